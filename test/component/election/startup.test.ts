/**
 * RFC 5798 §6.4.1 (Initialize) and §6.4.3 tie-break: how a pair elects its first master.
 */
import { describe, expect, it } from 'vitest';
import { cluster } from './cluster.js';

describe('RFC 5798 §6.4.1 startup', () => {
  it('both start as backup; the higher priority wins after its own masterDown (3 × advert + skew)', () => {
    const { clock, net } = cluster([
      { name: 'a', priority: 200 },
      { name: 'b', priority: 100 },
    ]);
    net.start('a', 'b');
    clock.advanceTo(3217);
    expect(net.roles()).toEqual({ a: 'backup', b: 'backup' });
    clock.advanceTo(3218);
    expect(net.roles()).toEqual({ a: 'master', b: 'backup' });
    clock.advanceTo(60_000);
    expect(net.transitions('a')).toEqual(['0 init→backup (startup)', '3218 backup→master (master-down)']);
    expect(net.transitions('b')).toEqual(['0 init→backup (startup)']);
    expect(net.vipHolders()).toEqual(['a']);
  });

  it('the new master adverts, adds and announces its VIPs in the same instant', () => {
    const { clock, net } = cluster([
      { name: 'a', priority: 200 },
      { name: 'b', priority: 100 },
    ]);
    net.start('a', 'b');
    clock.advanceTo(3218);
    const kinds = net.log('a').filter((entry) => entry.atMs === 3218).map((entry) => entry.kind);
    expect(kinds).toEqual(['cancelTimer', 'transition', 'sendAdvert', 'armTimer', 'addVips', 'announce']);
  });

  it('a master adverts every advertIntervalMs and its backup never fires', () => {
    const { clock, net } = cluster([
      { name: 'a', priority: 200 },
      { name: 'b', priority: 100 },
    ]);
    net.start('a', 'b');
    clock.advanceTo(8218);
    const sent = net.wire.filter((datagram) => datagram.from === 'a').map((datagram) => datagram.atMs);
    expect(sent).toEqual([3218, 4218, 5218, 6218, 7218, 8218]);
    expect(net.wire.every((datagram) => datagram.from === 'a')).toBe(true);
  });

  it('priority 255 (the address owner) becomes master at once', () => {
    const { net } = cluster([
      { name: 'a', priority: 255 },
      { name: 'b', priority: 100 },
    ]);
    net.start('a', 'b');
    expect(net.roles()).toEqual({ a: 'master', b: 'backup' });
    expect(net.transitions('a')).toEqual(['0 init→master (owner-startup)']);
  });

  it('a lone node becomes master after its masterDown and holds the VIPs', () => {
    const { clock, net } = cluster([
      { name: 'a', priority: 200 },
      { name: 'b', priority: 100 },
    ]);
    net.start('b');
    clock.advanceTo(3609);
    expect(net.roles()).toEqual({ a: 'init', b: 'master' });
    expect(net.transitions('b')).toEqual(['0 init→backup (startup)', '3609 backup→master (master-down)']);
  });
});

describe('RFC 5798 §6.4.3 equal priority', () => {
  it('two equal nodes started together both claim, then the higher node id keeps it', () => {
    const { clock, net } = cluster([
      { name: 'a', priority: 150 },
      { name: 'b', priority: 150 },
    ]);
    const [winner, loser] = net.nodeId('a') > net.nodeId('b') ? ['a', 'b'] : ['b', 'a'];
    net.start('a', 'b');
    clock.advanceTo(3414); // 3 × 1000 + ⌊106 × 1000 / 256⌋
    expect(net.roles()).toEqual({ [winner]: 'master', [loser]: 'backup' });
    expect(net.transitions(loser)).toEqual([
      '0 init→backup (startup)',
      '3414 backup→master (master-down)',
      '3414 master→backup (higher-priority-master)',
    ]);
    clock.advanceTo(30_000);
    expect(net.vipHolders()).toEqual([winner]);
  });

  it('a backup of equal priority does not preempt a running master, whatever its node id', () => {
    const { clock, net } = cluster([
      { name: 'a', priority: 150 },
      { name: 'b', priority: 150 },
    ]);
    const [high, low] = net.nodeId('a') > net.nodeId('b') ? ['a', 'b'] : ['b', 'a'];
    net.start(low);
    clock.advanceTo(5000);
    net.start(high);
    clock.advanceTo(30_000);
    expect(net.roles()).toEqual({ [low]: 'master', [high]: 'backup' });
  });
});
