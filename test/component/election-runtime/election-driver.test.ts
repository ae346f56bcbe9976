/**
 * ElectionDriver: the shell's behaviour with real ElectionTimers and the loop-delay sampler on a
 * fake clock. The pair a (200) / b (100) uses 1000 ms adverts: a wins at 3218 (3 × 1000 + skew
 * 218) and adverts every 1000 ms; b's masterDown is 3609 and its stall threshold 500.
 */
import { describe, expect, it } from 'vitest';
import { KEY_2 } from '../election/cluster.js';
import { crash, driverNodes, transitions, type NodeSetup } from './driver-pair.js';

function steadyPair(b: Partial<NodeSetup> = {}) {
  const built = driverNodes([
    { name: 'a', priority: 200 },
    { name: 'b', priority: 100, ...b },
  ]);
  const { a, b: nodeB } = built.nodes as { a: (typeof built.nodes)[string]; b: (typeof built.nodes)[string] };
  a.driver.start();
  nodeB.driver.start();
  built.fake.advanceTo(10_000);
  return { fake: built.fake, a, b: nodeB };
}

describe('ElectionDriver', () => {
  it('carries out the core: a wins at 3218 and adverts every 1000 ms on the monotonic timers', () => {
    const { fake, a, b } = steadyPair();
    fake.advanceTo(20_000);
    expect(transitions(a)).toEqual(['0 init→backup (startup)', '3218 backup→master (master-down)']);
    expect(transitions(b)).toEqual(['0 init→backup (startup)']);
    const gaps = a.sent.slice(1).map((sent, index) => sent.atMs - a.sent[index]!.atMs);
    expect(new Set(gaps)).toEqual(new Set([1000]));
    expect(a.driver.status()).toMatchObject({ state: 'master', armedTimers: ['advert'], timers: { late: 0 } });
  });

  it('notices leave in the core order: transition, then addVips and announce after the first advert', () => {
    const { a } = steadyPair();
    expect(a.trace.slice(0, 5)).toEqual(['transition', 'transition', 'advert p=200', 'addVips', 'announce']);
  });

  it('adverts queued behind an expired masterDown are read first: b stays backup, no VIPs', () => {
    // The sampler is off, so only the read-the-socket-first ordering can save b. b's masterDown
    // was re-armed by a's advert at 10218 (due 13827). b blocks 10300 → 13900: the timer is held
    // past its due time with three of a's adverts queued behind it in the socket.
    const { fake, a, b } = steadyPair({ sampler: false });
    fake.advanceTo(10_300);
    b.clock.block(3600);
    fake.advanceTo(30_000);
    expect(transitions(b)).toEqual(['0 init→backup (startup)']);
    expect(b.notices.filter((notice) => notice.kind !== 'transition')).toEqual([]);
    expect(b.driver.status()).toMatchObject({ state: 'backup', armedTimers: ['masterDown'], counters: { stalls: 0 } });
    expect(transitions(a)).toHaveLength(2);
  });

  it('with the socket empty the same masterDown fails over at its due time, 13827', () => {
    const { fake, a, b } = steadyPair({ sampler: false });
    fake.advanceTo(10_300);
    crash(a);
    fake.advanceTo(30_000);
    expect(transitions(b).slice(1)).toEqual(['13827 backup→master (master-down)']);
    expect(b.trace).toContain('addVips');
  });

  it('with the socket empty a held masterDown fires when the block ends, 13900', () => {
    const { fake, a, b } = steadyPair({ sampler: false });
    fake.advanceTo(10_300);
    crash(a);
    b.clock.block(3600);
    fake.advanceTo(30_000);
    expect(transitions(b).slice(1)).toEqual(['13900 backup→master (master-down)']);
  });

  it('a block of the whole host that ends just after masterDown is due is a stall, not a dead master', () => {
    const { fake, a, b } = steadyPair();
    // Both loops block 10300 → 13900 (b's first), so a's overdue advert is sent only after b has
    // read its empty socket: b's masterDown runs 73 ms late (under the 500 ms threshold) and only
    // the loop-delay sampler shows the block.
    fake.advanceTo(10_300);
    b.clock.block(3600);
    a.clock.block(3600);
    fake.advanceTo(30_000);
    expect(transitions(b)).toEqual(['0 init→backup (startup)']);
    expect(b.notices.filter((notice) => notice.kind === 'stall')).toEqual([expect.objectContaining({ atMs: 13_900 })]);
    expect(b.driver.status().counters.stalls).toBe(1);
    expect(transitions(a)).toHaveLength(2);
  });

  it('without the loop-delay sampler the same block is a false failover (the test above can fail)', () => {
    const { fake, a, b } = steadyPair({ sampler: false });
    fake.advanceTo(10_300);
    b.clock.block(3600);
    a.clock.block(3600);
    fake.advanceTo(30_000);
    expect(transitions(b).slice(1)).toEqual(['13900 backup→master (master-down)', '13900 master→backup (higher-priority-master)']);
  });

  it('a master that really died during the block is still taken over, one interval later', () => {
    const { fake, a, b } = steadyPair();
    fake.advanceTo(10_300);
    crash(a);
    b.clock.block(3600);
    fake.advanceTo(30_000);
    expect(transitions(b).at(-1)).toBe('14900 backup→master (master-down)');
  });

  it('rejected datagrams become at most one notice per reason per window, with the held-back count', () => {
    const { fake, b } = steadyPair();
    for (let index = 0; index < 5; index += 1) b.driver.receive(new Uint8Array(3));
    fake.advanceTo(10_000 + 60_000);
    b.driver.receive(new Uint8Array(3));
    expect(b.notices.filter((notice) => notice.kind === 'rejected')).toEqual([
      { kind: 'rejected', reason: 'malformed', suppressedBefore: 0, atMs: 10_000 },
      { kind: 'rejected', reason: 'malformed', suppressedBefore: 4, atMs: 70_000 },
    ]);
    expect(b.driver.status().counters.rejected.malformed).toBe(6);
  });

  it('keysChanged reaches the core: with another key, the next advert from a is bad-auth', () => {
    const { fake, b } = steadyPair();
    b.driver.control({ kind: 'keysChanged', keys: { current: KEY_2 } });
    fake.advanceTo(11_300);
    expect(b.notices.filter((notice) => notice.kind === 'rejected')).toEqual([
      { kind: 'rejected', reason: 'bad-auth', suppressedBefore: 0, atMs: 10_218 },
    ]);
  });

  it('shutdown of the master: priority 0, b takes over after its skew, a removes its VIPs and stops', () => {
    const { fake, a, b } = steadyPair();
    a.driver.shutdown();
    fake.advanceTo(20_000);
    // b's skew at priority 100 with 1000 ms adverts is 609 ms.
    expect(transitions(b).at(-1)).toBe('10609 backup→master (peer-leaving)');
    expect(a.trace.slice(-3)).toEqual(['advert p=0', 'removeVips', 'transition']);
    // b's first advert, which lets a go, comes one interval after it took over (make-before-break).
    expect(transitions(a).at(-1)).toBe('11609 master→init (handover-complete)');
    expect(a.stopped).toMatchObject({ state: 'init', stopped: true, armedTimers: [] });
  });

  it('an event raised from a notice handler waits until the current actions are carried out', () => {
    const built = driverNodes([
      { name: 'a', priority: 255 },
      { name: 'b', priority: 100 },
    ]);
    const a = built.nodes.a!;
    a.onNotice = (notice) => {
      if (notice.kind === 'transition' && notice.to === 'master') a.driver.shutdown();
    };
    a.driver.start();
    expect(a.trace).toEqual(['transition', 'advert p=255', 'addVips', 'announce', 'advert p=0']);
  });
});
