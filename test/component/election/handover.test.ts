/**
 * RFC 5798 §6.4.3 Shutdown (priority-0 advert, the backup waits its skew only) and tandem's
 * make-before-break handover: the leaving master keeps its VIPs until its successor adverts, and
 * the successor's first advert waits until its main thread reports the VIPs held (vipsHeld), at
 * most handoverTimeoutMs less two intervals (transitions.ts becomeMaster, options.ts).
 * steadyPair: a (200) master, adverts at 3218 + k × 1000; b (100), skew ⌊156 × 1000 / 256⌋ = 609.
 */
import { describe, expect, it } from 'vitest';
import { steadyPair } from './cluster.js';
import { defaultHandoverTimeoutMs, vipsHeldWaitMs } from '../../../src/election/options.js';
import { ADVERT_FLAG_HANDOVER } from '../../../src/election/types.js';

describe('graceful shutdown', () => {
  it('sends priority 0 with the handover flag; b takes over after its skew and adverts once its main thread holds the VIPs; a then releases', () => {
    const { clock, net } = steadyPair();
    net.setMainThreadLag('b', 250);
    net.dispatch('a', { kind: 'shutdown' });
    const goodbye = net.wire.at(-1);
    expect(goodbye).toMatchObject({ from: 'a', atMs: 10_000, priority: 0, flags: ADVERT_FLAG_HANDOVER });
    clock.advanceTo(10_608);
    expect(net.vipHolders()).toEqual(['a']);
    clock.advanceTo(10_609);
    expect(net.transitions('b').at(-1)).toBe('10609 backup→master (peer-leaving)');
    // b's main thread has not added the VIPs yet: b stays silent, a keeps them.
    clock.advanceTo(10_858);
    expect(net.wire.filter((advert) => advert.from === 'b')).toEqual([]);
    expect(net.vipHolders()).toEqual(['a']);
    clock.advanceTo(10_859);
    expect(net.wire.filter((advert) => advert.from === 'b').map((advert) => advert.atMs)).toEqual([10_859]);
    expect(net.transitions('a').at(-1)).toBe('10859 master→init (handover-complete)');
    expect(net.vipHolders()).toEqual(['b']);
    // Then every interval from the first advert, and the late report's number was the awaited one.
    clock.advanceTo(12_859);
    expect(net.wire.filter((advert) => advert.from === 'b').map((advert) => advert.atMs)).toEqual([10_859, 11_859, 12_859]);
    expect(net.state('b').awaitingVipsHeld).toBe(false);
  });

  it('is make-before-break: b adds the VIPs before a removes them, with network delay', () => {
    const { clock, net } = steadyPair({}, {}, 5);
    net.setMainThreadLag('b', 40);
    net.dispatch('a', { kind: 'shutdown' });
    clock.advanceTo(20_000);
    const advertAt = net.wire.find((advert) => advert.from === 'b')?.atMs;
    const removed = net.log('a').find((entry) => entry.kind === 'removeVips');
    expect(advertAt).toBe(10_000 + 5 + 609 + 40);
    expect(removed?.atMs).toBe(10_000 + 5 + 609 + 40 + 5);
  });

  it('adverts anyway when the main thread does not report within the wait (handoverTimeoutMs less two intervals), before a gives up', () => {
    const { clock, net } = steadyPair();
    net.setMainThreadLag('b', 'stuck');
    net.dispatch('a', { kind: 'shutdown' });
    expect(vipsHeldWaitMs(net.state('b').options)).toBe(1000);
    clock.advanceTo(11_608);
    expect(net.wire.filter((advert) => advert.from === 'b')).toEqual([]);
    expect(net.vipHolders()).toEqual(['a']);
    clock.advanceTo(11_609);
    expect(net.wire.filter((advert) => advert.from === 'b').map((advert) => advert.atMs)).toEqual([11_609]);
    // Heard before a's own handover timeout (13000): the pair converges on b.
    expect(net.transitions('a').at(-1)).toBe('11609 master→init (handover-complete)');
    expect(net.roles()).toEqual({ a: 'init', b: 'master' });
  });

  it('a report after the wait ended sends no extra advert: the cadence runs from the bound', () => {
    const { clock, net } = steadyPair();
    net.setMainThreadLag('b', 1500); // held at 12109, after the bound (11609)
    net.dispatch('a', { kind: 'shutdown' });
    clock.advanceTo(14_000);
    expect(net.vipHolders()).toEqual(['b']);
    expect(net.wire.filter((advert) => advert.from === 'b').map((advert) => advert.atMs)).toEqual([11_609, 12_609, 13_609]);
  });

  it('repeats the priority-0 advert every interval, so a lost one costs one interval, not masterDown', () => {
    const { clock, net } = steadyPair();
    net.dropNextAdverts('a', 1);
    net.dispatch('a', { kind: 'shutdown' }); // lost
    clock.advanceTo(20_000);
    expect(net.transitions('b').at(-1)).toBe('11609 backup→master (peer-leaving)'); // 11000 + 609
  });

  it('with the default timeout and a lost first goodbye, a stuck successor still adverts before a gives up', () => {
    // 50 ms adverts (the config default): handover timeout 1100 ms, the successor waits 1000 ms.
    const fast = { advertIntervalMs: 50, handoverTimeoutMs: defaultHandoverTimeoutMs(50) };
    const { clock, net } = steadyPair(fast, fast);
    net.setMainThreadLag('b', 'stuck');
    net.dropNextAdverts('a', 1);
    net.dispatch('a', { kind: 'shutdown' }); // 10000, lost; repeated at 10050
    clock.advanceTo(12_000);
    // b's skew at 50 ms is ⌊156 × 50 / 256⌋ = 30; it waits 1000; a's timer runs out at 11100.
    expect(net.transitions('b').at(-1)).toBe('10080 backup→master (peer-leaving)');
    expect(net.transitions('a').at(-1)).toBe('11080 master→init (handover-complete)');
  });

  it('releases the VIPs after handoverTimeoutMs when no successor speaks', () => {
    const { clock, net } = steadyPair();
    net.crash('b');
    net.dispatch('a', { kind: 'shutdown' });
    clock.advanceTo(12_999);
    expect(net.vipHolders()).toEqual(['a']);
    clock.advanceTo(13_000);
    expect(net.transitions('a').at(-1)).toBe('13000 master→init (handover-timeout)');
    expect(net.vipHolders()).toEqual([]);
  });

  it('a backup that shuts down just stops, holding nothing', () => {
    const { clock, net } = steadyPair();
    net.dispatch('b', { kind: 'shutdown' });
    clock.advanceTo(60_000);
    expect(net.transitions('b').at(-1)).toBe('10000 backup→init (shutdown)');
    expect(net.roles()).toEqual({ a: 'master', b: 'init' });
  });
});

describe('planned handover', () => {
  it('moves the VIPs to b make-before-break, and a (higher priority, preempt) does not take them back', () => {
    const { clock, net } = steadyPair();
    net.dispatch('a', { kind: 'handover' });
    clock.advanceTo(11_609);
    expect(net.transitions('b').at(-1)).toBe('10609 backup→master (peer-leaving)');
    // b's main thread holds the VIPs at once here, so b adverts, and a lets go, at its takeover.
    expect(net.transitions('a').at(-1)).toBe('10609 master→backup (handover-complete)');
    clock.advanceTo(120_000);
    expect(net.roles()).toEqual({ a: 'backup', b: 'master' });
    expect(net.vipHolders()).toEqual(['b']);
  });

  it('after handing over, a takes the VIPs back when b dies, and preempts again from then on', () => {
    const { clock, net } = steadyPair();
    net.dispatch('a', { kind: 'handover' });
    clock.advanceTo(20_000); // b adverts at 10609 + k × 1000, last 19609
    net.crash('b');
    clock.advanceTo(30_000);
    expect(net.transitions('a').at(-1)).toBe('22827 backup→master (master-down)'); // 19609 + 3218
    net.reboot('b');
    clock.advanceTo(60_000);
    expect(net.roles()).toEqual({ a: 'master', b: 'backup' });
  });

  it('keeps the VIPs on a while b\'s main thread lags by ten intervals (default profile): never nobody, never a gap', () => {
    const fast = { advertIntervalMs: 50, handoverTimeoutMs: defaultHandoverTimeoutMs(50) };
    const { clock, net } = steadyPair(fast, fast);
    net.setMainThreadLag('b', 10 * 50);
    net.dispatch('a', { kind: 'handover' });
    for (let atMs = 10_000; atMs <= 12_000; atMs += 1) {
      clock.advanceTo(atMs);
      expect(net.vipHolders().length, `VIP holders at ${atMs} ms`).toBeGreaterThan(0);
    }
    expect(net.transitions('b').at(-1)).toBe('10030 backup→master (peer-leaving)');
    expect(net.log('b').find((entry) => entry.kind === 'sendAdvert')?.atMs).toBe(10_530);
    expect(net.transitions('a').at(-1)).toBe('10530 master→backup (handover-complete)');
    expect(net.vipHolders()).toEqual(['b']);
  });

  it('a tracked check that lowers b\'s priority while it waits sends no early advert; the first one carries it', () => {
    const tracked = { trackedChecks: [{ name: 'web', onFailure: { lowerPriorityBy: 20 } }] };
    const { clock, net } = steadyPair({}, tracked);
    net.setMainThreadLag('b', 300);
    net.dispatch('a', { kind: 'handover' });
    clock.advanceTo(10_700); // b took over at 10609
    net.dispatch('b', { kind: 'trackedCheck', name: 'web', ok: false });
    clock.advanceTo(10_908);
    expect(net.wire.filter((advert) => advert.from === 'b')).toEqual([]);
    clock.advanceTo(10_909);
    expect(net.wire.filter((advert) => advert.from === 'b').map((advert) => [advert.atMs, advert.priority])).toEqual([[10_909, 80]]);
    expect(net.transitions('a').at(-1)).toBe('10909 master→backup (handover-complete)');
  });

  it('is ignored by a backup', () => {
    const { clock, net } = steadyPair();
    net.dispatch('b', { kind: 'handover' });
    clock.advanceTo(60_000);
    expect(net.roles()).toEqual({ a: 'master', b: 'backup' });
  });
});

describe('vipsHeld anywhere but a waiting successor', () => {
  it('changes nothing for a backup, a master that adverted at once, or after stepping down', () => {
    const { clock, net } = steadyPair();
    const takeover = net.state('a').takeovers;
    expect(takeover).toBe(1);
    for (const name of ['a', 'b']) {
      const before = net.state(name);
      const logged = net.log(name).length;
      net.dispatch(name, { kind: 'vipsHeld', takeover });
      expect(net.state(name)).toBe(before);
      expect(net.log(name)).toHaveLength(logged);
    }
    // a steps down for a higher master; the report of its earlier hold comes after.
    net.reboot('b', { ...net.state('b').options, priority: 250 });
    clock.advanceTo(20_000);
    expect(net.roles()).toEqual({ a: 'backup', b: 'master' });
    const stepped = net.state('a');
    net.dispatch('a', { kind: 'vipsHeld', takeover });
    expect(net.state('a')).toBe(stepped);
  });

  it('a report of an earlier takeover does not end the wait of the current one', () => {
    const { clock, net } = steadyPair();
    net.setMainThreadLag('b', 'stuck');
    net.dispatch('a', { kind: 'shutdown' });
    clock.advanceTo(10_700);
    const waiting = net.state('b');
    expect(waiting).toMatchObject({ name: 'master', awaitingVipsHeld: true });
    net.dispatch('b', { kind: 'vipsHeld', takeover: waiting.takeovers - 1 });
    expect(net.state('b')).toBe(waiting);
    expect(net.wire.filter((advert) => advert.from === 'b')).toEqual([]);
    net.dispatch('b', { kind: 'vipsHeld', takeover: waiting.takeovers });
    clock.advanceTo(10_700); // delivers the advert to a
    expect(net.wire.filter((advert) => advert.from === 'b').map((advert) => advert.atMs)).toEqual([10_700]);
    expect(net.transitions('a').at(-1)).toBe('10700 master→init (handover-complete)');
  });
});

describe('removeVips carries the reason of its transition (only handover-complete lets the shell linger)', () => {
  const removals = (net: ReturnType<typeof steadyPair>['net'], name: string): string[] =>
    net.log(name).flatMap((entry) => (entry.kind === 'removeVips' ? [`${entry.atMs} ${entry.reason}`] : []));

  it('handover-complete after a shutdown or an explicit handover that a successor answered', () => {
    const stopped = steadyPair();
    stopped.net.dispatch('a', { kind: 'shutdown' });
    stopped.clock.advanceTo(11_000);
    expect(removals(stopped.net, 'a')).toEqual(['10609 handover-complete']);
    const handed = steadyPair();
    handed.net.dispatch('a', { kind: 'handover' });
    handed.clock.advanceTo(11_000);
    expect(removals(handed.net, 'a')).toEqual(['10609 handover-complete']);
  });

  it('handover-timeout when no successor speaks, higher-priority-master after a split brain, tracked-down on a fault', () => {
    const lone = steadyPair();
    lone.net.crash('b');
    lone.net.dispatch('a', { kind: 'shutdown' });
    lone.clock.advanceTo(14_000);
    expect(removals(lone.net, 'a')).toEqual(['13000 handover-timeout']);

    const split = steadyPair();
    split.net.partition('a');
    split.clock.advanceTo(21_000); // b master since 12827; a's next advert (21218) reaches it first
    split.net.heal();
    split.clock.advanceTo(22_000);
    expect(removals(split.net, 'b')).toEqual(['21218 higher-priority-master']);

    const faulted = steadyPair({ trackedInterfaces: ['eth0'] });
    faulted.net.dispatch('a', { kind: 'trackedInterface', name: 'eth0', up: false });
    expect(removals(faulted.net, 'a')).toEqual(['10000 tracked-down']);
  });
});
