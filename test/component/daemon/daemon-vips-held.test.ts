/**
 * The daemon tells the election thread when the VIPs of a takeover are held (vipsHeld): once
 * VipOwner.whenHeld() says every VIP is on the interface and announced (a refused add is retried
 * first), and with the number of the takeover the addVips notice carried. A successor of a leaving master waits for this report
 * before its first advert (docs/protocol.md "Handover"). The election thread is the real one,
 * wrapped to record what crosses the boundary, in order with the fake kernel's calls.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ElectionHandle } from '../../../src/daemon/daemon.js';
import { ElectionRuntime } from '../../../src/election-runtime/election-runtime.js';
import type { AddressSpec } from '../../../src/kernel/ports.js';
import { type Harness, createHarness, destroyHarness, startDaemon, until, vipsOn } from './harness.js';

let h: Harness;

beforeEach(async () => {
  h = await createHarness();
});

afterEach(async () => {
  await destroyHarness(h);
});

/**
 * recordingElection starts the real election thread and records addVips notices, sent events and
 * address adds (the first `refusedAdds` refused by the fake kernel) in h.timeline.
 */
function recordingElection(addLagMs: number, refusedAdds = 0): Parameters<typeof startDaemon>[2] {
  const add = h.addresses.add.bind(h.addresses);
  let refusals = refusedAdds;
  h.addresses.add = async (spec: AddressSpec) => {
    // A slow main thread: the address add (a netlink round trip) takes addLagMs.
    await new Promise((resolve) => setTimeout(resolve, addLagMs));
    if (refusals-- > 0) h.addresses.refuseNext('add', 'EPERM');
    try {
      const outcome = await add(spec);
      h.timeline.push(`add ${spec.address}`);
      return outcome;
    } catch (error) {
      h.timeline.push(`add ${spec.address} refused`);
      throw error;
    }
  };
  const announce = h.announcer.announce.bind(h.announcer);
  h.announcer.announce = (vip, target) => {
    h.timeline.push(`announce ${vip}`);
    return announce(vip, target);
  };
  return {
    startElection: async (options, handlers): Promise<ElectionHandle> => {
      const runtime = await ElectionRuntime.start(options, {
        ...handlers,
        notice: (notice) => {
          if (notice.kind === 'addVips') h.timeline.push(`notice addVips ${notice.takeover}`);
          handlers.notice(notice);
        },
      });
      return {
        send: (event) => {
          const announced = h.announcer.sent.length;
          h.timeline.push(event.kind === 'vipsHeld' ? `send vipsHeld ${event.takeover} after ${announced} announcement(s)` : `send ${event.kind}`);
          runtime.send(event);
        },
        status: () => runtime.status(),
        shutdown: () => runtime.shutdown(),
        terminate: () => runtime.terminate(),
        threadPriority: runtime.threadPriority,
      };
    },
  };
}

describe('Daemon: vipsHeld', () => {
  it('is sent once the VIPs are added and announced, with the takeover number of the addVips notice', async () => {
    const daemon = await startDaemon(h, {}, recordingElection(150));
    await until('master', () => daemon.role === 'master');
    await until('vipsHeld', () => h.timeline.some((line) => line.startsWith('send vipsHeld')));
    const steps = h.timeline.filter((line) => /^(notice addVips|add |announce |send vipsHeld)/.test(line));
    // hold() adds at once and announces; the report follows without waiting for the converge that
    // comes after (a verify tick's converge may add the VIP a second time meanwhile: EEXIST).
    expect(steps.slice(0, 3)).toEqual(['notice addVips 1', 'add 192.0.2.100', 'announce 192.0.2.100']);
    const sent = steps.filter((line) => line.startsWith('send vipsHeld'));
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatch(/^send vipsHeld 1 after [1-9]\d* announcement/);
    expect(steps.indexOf(sent[0] ?? '')).toBeGreaterThan(2);
    // A normal takeover (master-down) adverted at once; the report changes nothing there.
    const status = await daemon.electionStatus();
    expect(status).toMatchObject({ state: 'master', armedTimers: ['advert'] });
  });

  it('is not sent before the add is done, however long it takes', async () => {
    const daemon = await startDaemon(h, {}, recordingElection(600));
    await until('the addVips notice', () => h.timeline.includes('notice addVips 1'));
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(daemon.holdingVips).toBe(true);
    expect(h.timeline.filter((line) => line.startsWith('send vipsHeld') || line.startsWith('add '))).toEqual([]);
    await until('vipsHeld', () => h.timeline.some((line) => line.startsWith('send vipsHeld')));
    expect(h.timeline.indexOf('add 192.0.2.100')).toBeLessThan(h.timeline.findIndex((line) => line.startsWith('send vipsHeld')));
  });

  it('waits while the kernel refuses the add: sent only once a retry put the VIP on the interface and it was announced', async () => {
    // Refused four times (the take, its converge, then retries on the burst's frames or a verify tick); a later retry succeeds.
    const daemon = await startDaemon(h, {}, recordingElection(0, 4));
    await until('vipsHeld', () => h.timeline.some((line) => line.startsWith('send vipsHeld')));
    expect(daemon.holdingVips).toBe(true);
    const steps = h.timeline.filter((line) => /^(notice addVips|add |announce |send vipsHeld)/.test(line));
    const added = steps.indexOf('add 192.0.2.100');
    expect(steps.slice(0, added)).toEqual(['notice addVips 1', ...Array.from({ length: 4 }, () => 'add 192.0.2.100 refused')]);
    // Never announced before it was there, and reported once, after its first announcement.
    const announced = steps.findIndex((line) => line.startsWith('announce '));
    expect(announced).toBeGreaterThan(added);
    const sent = steps.filter((line) => line.startsWith('send vipsHeld'));
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatch(/^send vipsHeld 1 after [1-9]\d* announcement/);
    expect(steps.indexOf(sent[0] ?? '')).toBeGreaterThan(announced);
    expect(await vipsOn(h)).toEqual(['192.0.2.100/24']);
  });
});
