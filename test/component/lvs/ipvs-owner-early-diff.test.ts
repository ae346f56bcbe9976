/**
 * The IPVS owner's full pass diffs its listing before it takes the write line, yielding the
 * event loop as it goes: a verdict that arrives while the pass diffs reaches the kernel before
 * the pass's batch, and the batch, re-planned for the service the verdict touched, does not
 * undo it.
 */
import { describe, expect, it } from 'vitest';
import type { IpvsOperation } from '../../../src/ipvs/ipvs-port.js';
import { realServerRef } from '../../../src/lvs/config-to-ipvs.js';
import { web } from '../../unit/lvs/virtual-server-fixture.js';
import type { FakeClock } from '../../fakes/fake-clock.js';
import type { FakeIpvs } from '../../fakes/fake-ipvs.js';
import { harness, ipvsConfig, settle, weights } from './ipvs-owner-harness.js';

const service = { protocol: 'tcp', family: 4, address: '198.51.100.10', port: 80 } as const;

function describeBatch(operations: readonly IpvsOperation[]): string {
  return operations.map((operation) => `${operation.kind}${'realServer' in operation ? ` ${operation.realServer.address}` : ''}`).join(',');
}

/**
 * passWithVerdictAfterListing runs one tick's full pass whose listing, once read, lets `verdict`
 * in on the next turn of the event loop, while the pass works on that listing; it returns when
 * both have settled.
 */
async function passWithVerdictAfterListing(kernel: FakeIpvs, clock: FakeClock, verdict: () => Promise<void>): Promise<void> {
  const listRules = kernel.listRules.bind(kernel);
  let applied: Promise<void> | undefined;
  kernel.listRules = async () => {
    const rules = await listRules();
    setImmediate(() => {
      applied = verdict();
    });
    return rules;
  };
  clock.advance(500);
  await settle();
  await applied;
  await settle();
}

describe('IpvsOwner full pass diff outside the write line', () => {
  it('applies a verdict that arrives right after the listing before the pass batch, which then leaves it', async () => {
    const vs = web();
    const { kernel, batches, clock, owner } = harness([vs]);
    await owner.start();
    // Drift on the very real server the verdict will change: the listing shows weight 5.
    await kernel.editRealServer(service, { address: '10.0.0.1', port: 80, forward: 'route', weight: 5, upperThreshold: 0, lowerThreshold: 0 });
    batches.length = 0;
    await passWithVerdictAfterListing(kernel, clock, () => owner.setVerdict(realServerRef(vs, { address: '10.0.0.1', port: 80 }), 'down'));
    // The verdict's one edit is all that reached the kernel: the pass re-planned its service against it.
    expect(batches.map(describeBatch)).toEqual(['edit-real-server 10.0.0.1']);
    expect(batches[0]?.[0]).toMatchObject({ realServer: { weight: 0 } });
    expect(await weights(kernel)).toEqual({ '10.0.0.1': 0, '10.0.0.2': 2, '10.0.0.3': 3 });
    expect(owner.stats).toMatchObject({ refused: 0, errors: 0 });
    await owner.stop();
  });

  it('still repairs drift on the services no verdict touched while it diffed', async () => {
    const vs = web();
    const other = web({ address: '198.51.100.11' });
    const { kernel, batches, clock, owner } = harness([vs, other]);
    await owner.start();
    await kernel.deleteRealServer({ ...service, address: '198.51.100.11' }, { address: '10.0.0.2', port: 80 });
    batches.length = 0;
    await passWithVerdictAfterListing(kernel, clock, () => owner.setVerdict(realServerRef(vs, { address: '10.0.0.1', port: 80 }), 'down'));
    expect(batches.map(describeBatch)).toEqual(['edit-real-server 10.0.0.1', 'add-real-server 10.0.0.2']);
    expect(batches[1]?.[0]?.service).toMatchObject({ address: '198.51.100.11' });
    expect(owner.stats).toMatchObject({ repairs: 1, refused: 0, errors: 0 });
    await owner.stop();
  });

  it('follows a reload that lands while it diffs, keeping the verdict, with nothing refused', async () => {
    const vs = web();
    const { kernel, clock, owner } = harness([vs]);
    await owner.start();
    await owner.setVerdict(realServerRef(vs, { address: '10.0.0.2', port: 80 }), 'down');
    const reloaded = web({
      realServers: [
        { address: '10.0.0.2', weight: 2 },
        { address: '10.0.0.3', weight: 9 },
      ],
    });
    const listRules = kernel.listRules.bind(kernel);
    let update: Promise<void> | undefined;
    kernel.listRules = async () => {
      const rules = await listRules();
      if (update === undefined) {
        setImmediate(() => {
          update = owner.update({ virtualServers: [reloaded], ipvs: ipvsConfig });
        });
      }
      return rules;
    };
    clock.advance(500);
    await settle();
    await update;
    await settle();
    expect(await weights(kernel)).toEqual({ '10.0.0.2': 0, '10.0.0.3': 9 });
    expect(owner.stats).toMatchObject({ refused: 0, errors: 0 });
    await owner.stop();
  });
});
