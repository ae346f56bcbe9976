/** Option invariants the election relies on, and the node-id and digest derivations. */
import { describe, expect, it } from 'vitest';
import { configDigest } from '../../../src/election/config-digest.js';
import { initialElectionState } from '../../../src/election/election-state.js';
import { ElectionOptionsError, nodeIdFromName, type ElectionOptions } from '../../../src/election/options.js';

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
