/**
 * The IPVS owner's verdict fast path on the fake kernel: a verdict is one edit with no listing,
 * verdicts that arrive together share a batch, a refused edit makes the next fast pass re-read
 * that service, and the tick still finds drift. ipvs-owner-listing.test.ts has the verdicts that
 * arrive while a full pass lists the table.
 */
import { describe, expect, it } from 'vitest';
import { realServerRef } from '../../../src/lvs/config-to-ipvs.js';
import { web } from '../../unit/lvs/virtual-server-fixture.js';
import { harness, settle, weights } from './ipvs-owner-harness.js';

const service = { protocol: 'tcp', family: 4, address: '198.51.100.10', port: 80 } as const;

/** counted wraps the kernel's listings so a test can tell a fast pass (no listing) from a full one. */
function counted(kernel: ReturnType<typeof harness>['kernel']): { tables: number; realServerLists: number } {
  const reads = { tables: 0, realServerLists: 0 };
  const list = kernel.list.bind(kernel);
  kernel.list = () => {
    reads.tables++;
    return list();
  };
  const listRealServers = kernel.listRealServers.bind(kernel);
  kernel.listRealServers = (id) => {
    reads.realServerLists++;
    return listRealServers(id);
  };
  return reads;
}

describe('IpvsOwner verdict fast path', () => {
  it('applies a verdict as one edit without listing the table', async () => {
    const vs = web();
    const { kernel, batches, owner } = harness([vs]);
    await owner.start();
    const reads = counted(kernel);
    batches.length = 0;
    const passes = owner.stats.passes;

    await owner.setVerdict(realServerRef(vs, { address: '10.0.0.2', port: 80 }), 'down');
    expect(batches).toEqual([[{ kind: 'edit-real-server', service, realServer: expect.objectContaining({ address: '10.0.0.2', weight: 0 }) as unknown }]]);
    expect(reads).toEqual({ tables: 0, realServerLists: 0 });
    expect(owner.stats).toMatchObject({ passes, fastPasses: 1, operations: 5, refused: 0 });
    await owner.stop();
  });

  it('shares one batch between verdicts that arrive while a fast pass is queued', async () => {
    const vs = web();
    const { kernel, batches, owner } = harness([vs]);
    await owner.start();
    batches.length = 0;
    await Promise.all([
      owner.setVerdict(realServerRef(vs, { address: '10.0.0.1', port: 80 }), 'down'),
      owner.setVerdict(realServerRef(vs, { address: '10.0.0.3', port: 80 }), 'down'),
    ]);
    expect(batches.map((batch) => batch.map((operation) => operation.kind))).toEqual([['edit-real-server', 'edit-real-server']]);
    expect(owner.stats.fastPasses).toBe(1);
    expect(await weights(kernel)).toEqual({ '10.0.0.1': 0, '10.0.0.2': 2, '10.0.0.3': 0 });
    await owner.stop();
  });

  it('re-reads a service whose edit the kernel refused, and the next verdict repairs it', async () => {
    const vs = web();
    const { kernel, batches, owner } = harness([vs]);
    await owner.start();
    await kernel.deleteRealServer(service, { address: '10.0.0.3', port: 80 });
    const reads = counted(kernel);
    batches.length = 0;

    await owner.setVerdict(realServerRef(vs, { address: '10.0.0.3', port: 80 }), 'down');
    expect(owner.stats.refused).toBe(1);
    expect(reads.realServerLists).toBe(0);

    await owner.setVerdict(realServerRef(vs, { address: '10.0.0.2', port: 80 }), 'down');
    expect(reads).toEqual({ tables: 0, realServerLists: 1 });
    expect(batches[1]?.map((operation) => [operation.kind, 'realServer' in operation ? operation.realServer.address : ''])).toEqual([
      ['edit-real-server', '10.0.0.2'],
      ['add-real-server', '10.0.0.3'],
    ]);
    expect(await weights(kernel)).toEqual({ '10.0.0.1': 1, '10.0.0.2': 0, '10.0.0.3': 0 });
    await owner.stop();
  });

  it('leaves drift to the tick, which still counts it', async () => {
    const vs = web();
    const { kernel, clock, owner } = harness([vs]);
    await owner.start();
    // A weight edited by hand: the owner does not know, so a fast pass for another server leaves it.
    const [listed] = (await kernel.list()).services;
    const edited = listed?.realServers.find((rs) => rs.address === '10.0.0.1');
    if (edited === undefined) throw new Error('fixture: 10.0.0.1 not programmed');
    await kernel.editRealServer(service, { ...edited, weight: 7 });
    await owner.setVerdict(realServerRef(vs, { address: '10.0.0.2', port: 80 }), 'down');
    expect(await weights(kernel)).toEqual({ '10.0.0.1': 7, '10.0.0.2': 0, '10.0.0.3': 3 });
    expect(owner.stats.repairs).toBe(0);
    clock.advance(500);
    await settle();
    expect(await weights(kernel)).toEqual({ '10.0.0.1': 1, '10.0.0.2': 0, '10.0.0.3': 3 });
    expect(owner.stats.repairs).toBe(1);
    await owner.stop();
  });

  it('ignores a verdict for a real server the config does not have', async () => {
    const { batches, owner } = harness([web()]);
    await owner.start();
    batches.length = 0;
    await owner.setVerdict('tcp:198.51.100.10:80 -> 10.0.0.99:80', 'down');
    expect(batches).toEqual([]);
    expect(owner.stats.fastPasses).toBe(0);
    await owner.stop();
  });
});
