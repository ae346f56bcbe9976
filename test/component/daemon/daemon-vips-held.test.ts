/**
 * The daemon tells the election thread when the VIPs of a takeover are held (vipsHeld): after
 * VipOwner.hold() resolved, so the VIPs are on the interface and announced, and with the number of
 * the takeover the addVips notice carried. A successor of a leaving master waits for this report
 * before its first advert (docs/protocol.md "Handover"). The election thread is the real one,
 * wrapped to record what crosses the boundary, in order with the fake kernel's calls.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ElectionHandle } from '../../../src/daemon/daemon.js';
import { ElectionRuntime } from '../../../src/election-runtime/election-runtime.js';
import type { AddressSpec } from '../../../src/kernel/ports.js';
import { type Harness, createHarness, destroyHarness, startDaemon, until } from './harness.js';

let h: Harness;

beforeEach(async () => {
  h = await createHarness();
});

afterEach(async () => {
  await destroyHarness(h);
});

/** recordingElection starts the real election thread and records addVips notices and sent events in h.timeline. */
function recordingElection(addLagMs: number): Parameters<typeof startDaemon>[2] {
  const add = h.addresses.add.bind(h.addresses);
  h.addresses.add = async (spec: AddressSpec) => {
    // A slow main thread: the address add (a netlink round trip) takes addLagMs.
    await new Promise((resolve) => setTimeout(resolve, addLagMs));
    h.timeline.push(`add ${spec.address}`);
    return add(spec);
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
  it('is sent once hold() has added and announced the VIPs, with the takeover number of the addVips notice', async () => {
    const daemon = await startDaemon(h, {}, recordingElection(150));
    await until('master', () => daemon.role === 'master');
    await until('vipsHeld', () => h.timeline.some((line) => line.startsWith('send vipsHeld')));
    const steps = h.timeline.filter((line) => /^(notice addVips|add |send vipsHeld)/.test(line));
    // hold() adds at once, announces, then converges (which may add again) before it resolves.
    expect(steps.slice(0, 2)).toEqual(['notice addVips 1', 'add 192.0.2.100']);
    expect(steps.filter((line) => line.startsWith('send vipsHeld'))).toHaveLength(1);
    expect(steps.at(-1)).toMatch(/^send vipsHeld 1 after [1-9]\d* announcement/);
    // A normal takeover (master-down) adverted at once; the report changes nothing there.
    const status = await daemon.electionStatus();
    expect(status).toMatchObject({ state: 'master', armedTimers: ['advert'] });
  });

  it('is not sent before hold() resolves, however long the add takes', async () => {
    const daemon = await startDaemon(h, {}, recordingElection(600));
    await until('the addVips notice', () => h.timeline.includes('notice addVips 1'));
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(daemon.holdingVips).toBe(true);
    expect(h.timeline.filter((line) => line.startsWith('send vipsHeld') || line.startsWith('add '))).toEqual([]);
    await until('vipsHeld', () => h.timeline.some((line) => line.startsWith('send vipsHeld')));
    expect(h.timeline.indexOf('add 192.0.2.100')).toBeLessThan(h.timeline.findIndex((line) => line.startsWith('send vipsHeld')));
  });
});
