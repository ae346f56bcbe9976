/**
 * Authentication, anti-replay and the config digest on a running pair (docs/protocol.md).
 * steadyPair: a (200) master, adverts at 3218 + k × 1000; b (100), masterDown 3609.
 */
import { describe, expect, it } from 'vitest';
import { KEY_1, KEY_2, cluster, optionsOf, steadyPair } from './cluster.js';
import { encodeAdvertBody } from '../../../src/election/advert-codec.js';
import { sealAdvertBody } from '../../../src/election/auth.js';
import { nodeIdFromName } from '../../../src/election/options.js';
import type { Advert } from '../../../src/election/types.js';

function lastRejection(net: ReturnType<typeof steadyPair>['net'], name: string): string | undefined {
  const rejections = net.log(name).flatMap((entry) => (entry.kind === 'rejected' ? [entry.reason] : []));
  return rejections.at(-1);
}

describe('key rotation', () => {
  it('a rotation staged on both nodes causes no transition and no rejected advert', () => {
    const { clock, net } = steadyPair();
    const steps: [number, string, { current: Uint8Array; next?: Uint8Array }][] = [
      [10_500, 'b', { current: KEY_1, next: KEY_2 }], // 1. both accept the new key …
      [11_500, 'a', { current: KEY_1, next: KEY_2 }],
      [12_500, 'a', { current: KEY_2, next: KEY_1 }], // 2. … then both sign with it …
      [13_500, 'b', { current: KEY_2, next: KEY_1 }],
      [14_500, 'a', { current: KEY_2 }], // 3. … then both forget the old one.
      [15_500, 'b', { current: KEY_2 }],
    ];
    for (const [atMs, name, keys] of steps) {
      clock.advanceTo(atMs);
      net.dispatch(name, { kind: 'keysChanged', keys });
    }
    clock.advanceTo(60_000);
    expect(net.transitions('b')).toEqual(['0 init→backup (startup)']);
    expect(Object.values(net.state('b').counters.rejected).every((count) => count === 0)).toBe(true);
    expect(net.state('b').counters.advertsAccepted).toBe(57); // 3218 … 59218
  });

  it('signing with a key the peer does not know yet is loud (bad-auth) and the peer takes over', () => {
    const { clock, net } = steadyPair();
    net.dispatch('a', { kind: 'keysChanged', keys: { current: KEY_2 } });
    clock.advanceTo(20_000);
    expect(lastRejection(net, 'b')).toBe('bad-auth');
    expect(net.transitions('b').at(-1)).toBe('12827 backup→master (master-down)');
  });

  it('a key shorter than 32 bytes is refused with a message that says what to do', () => {
    const { net } = steadyPair();
    expect(() => {
      net.dispatch('a', { kind: 'keysChanged', keys: { current: new Uint8Array(16) } });
    }).toThrow(/at least 32 random bytes/);
  });
});

describe('replay and spoofing on the wire', () => {
  it('a captured advert replayed later is rejected as replay', () => {
    const { net } = steadyPair();
    const captured = net.wire.find((datagram) => datagram.from === 'a');
    net.inject('b', captured?.bytes ?? new Uint8Array());
    expect(lastRejection(net, 'b')).toBe('replay');
  });

  it('an advert captured before the peer rebooted stays rejected after the reboot', () => {
    const { clock, net } = steadyPair();
    const captured = net.wire.filter((datagram) => datagram.from === 'a').at(-1);
    net.reboot('a');
    clock.advanceTo(20_000);
    expect(net.state('b').counters.rejected.replay).toBe(0);
    net.inject('b', captured?.bytes ?? new Uint8Array());
    expect(lastRejection(net, 'b')).toBe('replay');
  });

  it('an advert from an unconfigured node, or another group, is rejected even with the right key', () => {
    const { net } = steadyPair();
    const advert: Advert = {
      groupId: 7,
      priority: 254,
      advertIntervalMs: 1000,
      state: 'master',
      flags: 0,
      nodeId: nodeIdFromName('intruder'),
      epoch: 1n,
      counter: 1n,
      configDigest: net.state('a').configDigest,
    };
    net.inject('b', sealAdvertBody({ current: KEY_1 }, encodeAdvertBody(advert)));
    expect(lastRejection(net, 'b')).toBe('unknown-peer');
    net.inject('b', sealAdvertBody({ current: KEY_1 }, encodeAdvertBody({ ...advert, nodeId: net.nodeId('a'), groupId: 8 })));
    expect(lastRejection(net, 'b')).toBe('wrong-group');
    net.inject('b', sealAdvertBody({ current: KEY_2 }, encodeAdvertBody({ ...advert, nodeId: net.nodeId('a') })));
    expect(lastRejection(net, 'b')).toBe('bad-auth');
    expect(net.roles()).toEqual({ a: 'master', b: 'backup' });
  });

  it('two nodes with different keys both count bad-auth on every advert: loud, not silent', () => {
    const { clock, net } = cluster([
      { name: 'a', priority: 200 },
      { name: 'b', priority: 100, keys: { current: KEY_2 } },
    ]);
    net.start('a', 'b');
    clock.advanceTo(10_000);
    expect(net.state('a').counters.rejected['bad-auth']).toBeGreaterThan(0);
    expect(net.state('b').counters.rejected['bad-auth']).toBeGreaterThan(0);
  });
});

describe('config digest mismatch', () => {
  it('raises one loud alarm, counts every mismatched advert, and never makes both nodes master', () => {
    const { clock, net } = steadyPair({}, { vips: ['192.0.2.99'] });
    clock.advanceTo(60_000);
    const alarms = net.log('b').filter((entry) => entry.kind === 'configMismatch');
    expect(alarms).toHaveLength(1);
    expect(alarms[0]).toMatchObject({ atMs: 3218, matching: false, nodeId: net.nodeId('a') });
    expect(net.state('b').counters.configMismatches).toBe(57);
    expect(net.roles()).toEqual({ a: 'master', b: 'backup' });
  });

  it('clears the alarm once the peer runs the same settings again', () => {
    const built = steadyPair({ vips: ['192.0.2.99'] });
    const { clock, net } = built;
    net.reboot('a', { ...optionsOf(built, 'a'), vips: optionsOf(built, 'b').vips });
    clock.advanceTo(30_000);
    const alarms = net.log('b').filter((entry) => entry.kind === 'configMismatch').map((entry) => entry.matching);
    expect(alarms).toEqual([false, true]);
  });

  it('VIP order and IPv6 spelling do not matter', () => {
    const { clock, net } = steadyPair({ vips: ['2001:DB8:0::10', '192.0.2.10'] });
    clock.advanceTo(20_000);
    expect(net.state('b').counters.configMismatches).toBe(0);
  });
});
