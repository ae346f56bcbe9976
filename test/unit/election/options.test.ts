/** Option invariants the election relies on, and the node-id and digest derivations. */
import { describe, expect, it } from 'vitest';
import { configDigest } from '../../../src/election/config-digest.js';
import { initialElectionState } from '../../../src/election/election-state.js';
import { ElectionOptionsError, defaultHandoverTimeoutMs, nodeIdFromName, vipsHeldWaitMs, type ElectionOptions } from '../../../src/election/options.js';
import { skewMs } from '../../../src/election/timers.js';

const BASE: ElectionOptions = {
  groupId: 7,
  nodeId: nodeIdFromName('lb1'),
  peerNodeIds: [nodeIdFromName('lb2')],
  priority: 150,
  advertIntervalMs: 1000,
  preempt: true,
  preemptDelayMs: 0,
  vips: ['192.0.2.10'],
  keys: { current: new Uint8Array(32) },
  trackedInterfaces: [],
  trackedChecks: [],
  stallThresholdMs: 500,
  handoverTimeoutMs: 3000,
};

describe('election options', () => {
  it.each<[string, Partial<ElectionOptions>, RegExp]>([
    ['priority 0', { priority: 0 }, /priority 0 must be an integer 1\.\.255/],
    ['a 5 ms interval', { advertIntervalMs: 5 }, /advertIntervalMs 5/],
    ['no peers', { peerNodeIds: [] }, /at least one peer/],
    ['a peer with our own id', { peerNodeIds: [nodeIdFromName('lb1')] }, /appears twice/],
    ['a short key', { keys: { current: new Uint8Array(8) } }, /at least 32 random bytes/],
    ['a bad VIP', { vips: ['10.0.0.300'] }, /not an IP address/],
  ])('refuses %s with a typed error', (_what, change, message) => {
    let thrown: unknown;
    try {
      initialElectionState({ ...BASE, ...change }, 1n);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ElectionOptionsError);
    expect(thrown).toMatchObject({ code: 'TANDEM_ELECTION_OPTIONS', message: expect.stringMatching(message) as unknown });
  });

  it.each([
    // [advertIntervalMs, handover timeout, successor's wait for vipsHeld]
    [10, 1020, 1000],
    [50, 1100, 1000],
    [400, 1800, 1000],
    [2000, 6000, 2000],
    [1000, 3000, 1000],
  ])('at %i ms adverts the handover timeout is %i ms and a successor waits up to %i ms for vipsHeld', (advertIntervalMs, timeoutMs, waitMs) => {
    const handoverTimeoutMs = defaultHandoverTimeoutMs(advertIntervalMs);
    expect(handoverTimeoutMs).toBe(timeoutMs);
    expect(vipsHeldWaitMs({ advertIntervalMs, handoverTimeoutMs })).toBe(waitMs);
    // The successor's first advert, after the slowest skew (priority 1) and its whole wait, still
    // leaves the leaving master one interval to hear it (or hear the repeat of a lost one).
    expect(skewMs(1, advertIntervalMs) + waitMs + advertIntervalMs).toBeLessThan(handoverTimeoutMs);
  });

  it('leaves a successor no wait when handoverTimeoutMs is set below two intervals', () => {
    expect(vipsHeldWaitMs({ advertIntervalMs: 100, handoverTimeoutMs: 150 })).toBe(0);
  });

  it('derives distinct, stable node ids from names', () => {
    expect(nodeIdFromName('lb1')).toBe(nodeIdFromName('lb1'));
    expect(nodeIdFromName('lb1')).not.toBe(nodeIdFromName('lb2'));
  });

  it('gives both directors the same digest, and a different one for any covered field', () => {
    const lb2 = { ...BASE, nodeId: BASE.peerNodeIds[0] ?? 0, peerNodeIds: [BASE.nodeId], priority: 100, keys: { current: new Uint8Array(32).fill(1) } };
    const digest = Buffer.from(configDigest(BASE));
    expect(Buffer.from(configDigest(lb2))).toEqual(digest);
    for (const change of [{ groupId: 8 }, { advertIntervalMs: 900 }, { vips: ['192.0.2.11'] }, { peerNodeIds: [1] }]) {
      expect(Buffer.from(configDigest({ ...BASE, ...change }))).not.toEqual(digest);
    }
  });
});
