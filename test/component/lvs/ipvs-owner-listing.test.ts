/**
 * The IPVS owner's full pass lists the table outside its write line: a verdict that arrives
 * while the tick's listing runs reaches the kernel before the listing ends, and the pass that
 * follows neither undoes it nor does it again (no EEXIST, no ENOENT, no drift counted).
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { IpvsRules } from '../../../src/ipvs/model.js';
import { realServerRef } from '../../../src/lvs/config-to-ipvs.js';
import { IpvsOwner } from '../../../src/lvs/ipvs-owner.js';
import { FakeClock } from '../../fakes/fake-clock.js';
import { FakeIpvs } from '../../fakes/fake-ipvs.js';
import { web } from '../../unit/lvs/virtual-server-fixture.js';
import { harness, ipvsConfig, settle, weights } from './ipvs-owner-harness.js';

const rs1 = { address: '10.0.0.1', port: 80 };
const rs2 = { address: '10.0.0.2', port: 80 };

/**
 * slowListing makes the kernel's rules listings take the table as it is when they begin, then
 * wait for release(): a listing that has already passed the entries a later change touches.
 * weights() reads through list(), which stays quick.
 */
function slowListing(kernel: FakeIpvs): { release: () => void; readonly listings: number; events: string[] } {
  const state = { release: (): void => undefined, listings: 0, events: [] as string[] };
  const listRules = kernel.listRules.bind(kernel);
  kernel.listRules = async (): Promise<IpvsRules> => {
    state.listings++;
    state.events.push('list');
    const table = await listRules();
    await new Promise<void>((resolve) => (state.release = resolve));
    state.events.push('listed');
    return table;
  };
  const apply = kernel.apply.bind(kernel);
  kernel.apply = (operations) => {
    state.events.push(`apply ${operations.map((operation) => `${operation.kind}${'realServer' in operation ? ` ${operation.realServer.address}` : ''}`).join(',')}`);
    return apply(operations);
  };
  return state;
}

describe('IpvsOwner full pass listing outside the write line', () => {
  it('applies a verdict while the tick is listing, before the listing ends, and the pass leaves it', async () => {
    const vs = web();
    const { kernel, batches, clock, owner } = harness([vs]);
    await owner.start();
    batches.length = 0;
    const slow = slowListing(kernel);
    clock.advance(500);
    await settle();
    await owner.setVerdict(realServerRef(vs, rs1), 'down');
    // The verdict is in the kernel while the listing still waits.
    expect(slow.events).toEqual(['list', 'apply edit-real-server 10.0.0.1']);
    expect(await weights(kernel)).toEqual({ '10.0.0.1': 0, '10.0.0.2': 2, '10.0.0.3': 3 });
    slow.release();
    await settle();
    // The listing showed 10.0.0.1 at weight 1, yet the pass neither restores it nor edits it again.
    expect(slow.events).toEqual(['list', 'apply edit-real-server 10.0.0.1', 'listed']);
    expect(await weights(kernel)).toEqual({ '10.0.0.1': 0, '10.0.0.2': 2, '10.0.0.3': 3 });
    expect(owner.stats).toMatchObject({ repairs: 0, refused: 0, errors: 0 });
    await owner.stop();
  });

  it('applies a verdict that arrives while the pass waits for its turn, before the diff, and counts no drift', async () => {
    const vs = web();
    const { kernel, clock, owner } = harness([vs]);
    await owner.start();
    const slow = slowListing(kernel);
    clock.advance(500);
    await settle();
    slow.release();
    // Queued right behind the pass's listing: the pass runs it first, then diffs.
    const verdict = owner.setVerdict(realServerRef(vs, rs2), 'down');
    await verdict;
    await settle();
    expect(await weights(kernel)).toEqual({ '10.0.0.1': 1, '10.0.0.2': 0, '10.0.0.3': 3 });
    expect(owner.stats).toMatchObject({ repairs: 0, refused: 0 });
    await owner.stop();
  });

  it('in remove mode, neither re-adds (EEXIST) nor re-deletes (ENOENT) what verdicts changed during the listing', async () => {
    const vs = web({ onFailure: 'remove' });
    const { kernel, clock, logs, owner } = harness([vs]);
    await owner.start();
    await owner.setVerdict(realServerRef(vs, rs1), 'down');
    expect(await weights(kernel)).toEqual({ '10.0.0.2': 2, '10.0.0.3': 3 });
    const slow = slowListing(kernel);
    clock.advance(500);
    await settle();
    await owner.setVerdict(realServerRef(vs, rs1), 'up');
    await owner.setVerdict(realServerRef(vs, rs2), 'down');
    expect(slow.events).toEqual(['list', 'apply add-real-server 10.0.0.1', 'apply delete-real-server 10.0.0.2']);
    slow.release();
    await settle();
    expect(slow.events).toHaveLength(4);
    expect(await weights(kernel)).toEqual({ '10.0.0.1': 1, '10.0.0.3': 3 });
    expect(owner.stats).toMatchObject({ repairs: 0, refused: 0, errors: 0 });
    expect(logs.filter((line) => typeof line.event === 'string' && line.event.endsWith('.refused'))).toEqual([]);
    await owner.stop();
  });

  it('still repairs drift from the listing, and lists again in its turn when a batch failed during the listing', async () => {
    const vs = web();
    const { kernel, clock, owner } = harness([vs]);
    await owner.start();
    await kernel.deleteRealServer({ protocol: 'tcp', family: 4, address: '198.51.100.10', port: 80 }, rs2);
    const slow = slowListing(kernel);
    const apply = kernel.apply.bind(kernel);
    let failNext = true;
    kernel.apply = (operations) => {
      if (!failNext) return apply(operations);
      failNext = false;
      return Promise.reject(new Error('netlink: no reply in time'));
    };
    clock.advance(500);
    await settle();
    await owner.setVerdict(realServerRef(vs, rs1), 'down');
    expect(owner.stats.errors).toBe(1);
    slow.release();
    await settle();
    // The second listing runs inside the write line; release it too.
    expect(slow.listings).toBe(2);
    slow.release();
    await settle();
    expect(await weights(kernel)).toEqual({ '10.0.0.1': 0, '10.0.0.2': 2, '10.0.0.3': 3 });
    expect(owner.stats).toMatchObject({ errors: 1, refused: 0 });
    await owner.stop();
  });

  it('lists on tableReads when given one, and writes only on ipvs', async () => {
    const vs = web();
    const kernel = new FakeIpvs();
    const reads: string[] = [];
    const tableReads = {
      listRules: (): Promise<IpvsRules> => {
        reads.push('listRules');
        return kernel.listRules();
      },
    };
    const writes = Object.assign(Object.create(kernel) as FakeIpvs, {
      listRules: (): Promise<IpvsRules> => Promise.reject(new Error('the full pass must list on tableReads')),
    });
    const log = pino({ level: 'silent' });
    const owner = new IpvsOwner({ virtualServers: [vs], ipvs: ipvsConfig }, { ipvs: writes, tableReads, clock: new FakeClock(), log }, { tickIntervalMs: 500 });
    await owner.start();
    expect(reads).toEqual(['listRules']);
    expect(owner.stats.errors).toBe(0);
    expect(await weights(kernel)).toEqual({ '10.0.0.1': 1, '10.0.0.2': 2, '10.0.0.3': 3 });
    await owner.stop();
  });

  it('follows a reload that lands while the tick lists, keeping the verdicts, and still repairs drift after it', async () => {
    const vs = web();
    const { kernel, clock, owner } = harness([vs]);
    await owner.start();
    await owner.setVerdict(realServerRef(vs, rs2), 'down');
    const slow = slowListing(kernel);
    clock.advance(500);
    await settle();
    const reloaded = web({
      realServers: [
        { address: '10.0.0.1', weight: 1 },
        { address: '10.0.0.2', weight: 2 },
        { address: '10.0.0.3', weight: 9 },
      ],
    });
    const update = owner.update({ virtualServers: [reloaded], ipvs: ipvsConfig });
    slow.release();
    await settle();
    slow.release();
    await update;
    expect(await weights(kernel)).toEqual({ '10.0.0.1': 1, '10.0.0.2': 0, '10.0.0.3': 9 });
    // A weight edited by hand: the next tick puts back the reloaded table, verdict included.
    await kernel.editRealServer(
      { protocol: 'tcp', family: 4, address: '198.51.100.10', port: 80 },
      { address: '10.0.0.3', port: 80, forward: 'route', weight: 4, upperThreshold: 0, lowerThreshold: 0 },
    );
    clock.advance(500);
    await settle();
    slow.release();
    await settle();
    expect(await weights(kernel)).toEqual({ '10.0.0.1': 1, '10.0.0.2': 0, '10.0.0.3': 9 });
    expect(owner.stats).toMatchObject({ repairs: 1, refused: 0, errors: 0 });
    await owner.stop();
  });
});
