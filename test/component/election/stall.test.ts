/**
 * Our own stalls are not the peer's death (the keepalived "thread timer expired" class, design.md).
 * steadyPair: a (200) master, adverts at 3218 + k × 1000; b (100) masterDown 3609, threshold 500.
 * A stalled node's due timers run first when it wakes, then its queued datagrams (fake network).
 */
import { describe, expect, it } from 'vitest';
import { steadyPair } from './cluster.js';

describe('a stall of our own process', () => {
  it('a masterDown that fires late behind a stall buys a grace window, and the queued adverts keep b backup', () => {
    const { clock, net } = steadyPair();
    net.stall('b', 5000); // 10000 → 15000; masterDown (due 12827) and adverts 10218…14218 queue up
    clock.advanceTo(60_000);
    expect(net.transitions('b')).toEqual(['0 init→backup (startup)']);
    expect(net.state('b').counters.stalls).toBe(1);
    expect(net.log('b').find((entry) => entry.kind === 'stall')).toMatchObject({ atMs: 15_000, lateByMs: 2173 });
    expect(net.vipHolders()).toEqual(['a']);
  });

  it('without stall detection the same stall is a false failover (the test above can fail)', () => {
    const { clock, net } = steadyPair({}, { stallThresholdMs: 1_000_000 });
    net.stall('b', 5000);
    clock.advanceTo(60_000);
    expect(net.transitions('b').slice(1, 3)).toEqual([
      '15000 backup→master (master-down)',
      '15000 master→backup (higher-priority-master)',
    ]);
  });

  it('if the master really died during the stall, b takes over one advert interval after waking', () => {
    const { clock, net } = steadyPair();
    net.crash('a');
    net.stall('b', 5000);
    clock.advanceTo(60_000);
    expect(net.transitions('b').at(-1)).toBe('16000 backup→master (master-down)');
    expect(net.state('b').counters.stalls).toBe(1);
  });

  it('lateness under the threshold is not a stall: the failover happens when the timer runs', () => {
    const { clock, net } = steadyPair();
    net.crash('a');
    clock.advanceTo(12_500);
    net.stall('b', 400); // masterDown due 12827 runs at 12900, 73 ms late
    clock.advanceTo(60_000);
    expect(net.transitions('b').at(-1)).toBe('12900 backup→master (master-down)');
    expect(net.state('b').counters.stalls).toBe(0);
  });

  it('a node that keeps stalling still fails over after MAX_STALL_GRACES graces', () => {
    const { clock, net } = steadyPair();
    net.crash('a');
    net.stall('b', 5000); // wakes 15000 (grace 1), grace to 16000
    clock.advanceTo(15_500);
    net.stall('b', 1200); // 16000 timer runs at 16700 (grace 2), grace to 17700
    clock.advanceTo(17_200);
    net.stall('b', 1200); // 17700 timer runs at 18400 (grace 3), grace to 19400
    clock.advanceTo(18_900);
    net.stall('b', 1200); // 19400 timer runs at 20100: graces exhausted, fail over
    clock.advanceTo(60_000);
    expect(net.state('b').counters.stalls).toBe(3);
    expect(net.transitions('b').at(-1)).toBe('20100 backup→master (master-down)');
  });
});
