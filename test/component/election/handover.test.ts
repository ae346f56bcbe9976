/**
 * RFC 5798 §6.4.3 Shutdown (priority-0 advert, the backup waits its skew only) and tandem's
 * make-before-break handover: the leaving master keeps its VIPs until its successor adverts, and
 * the successor's first advert waits one interval after it took the VIPs (transitions.ts).
 * steadyPair: a (200) master, adverts at 3218 + k × 1000; b (100), skew ⌊156 × 1000 / 256⌋ = 609.
 */
import { describe, expect, it } from 'vitest';
import { steadyPair } from './cluster.js';
import { ADVERT_FLAG_HANDOVER } from '../../../src/election/types.js';

describe('graceful shutdown', () => {
  it('sends priority 0 with the handover flag; b takes over after its skew; a releases on hearing b one interval later', () => {
    const { clock, net } = steadyPair();
    net.dispatch('a', { kind: 'shutdown' });
    const goodbye = net.wire.at(-1);
    expect(goodbye).toMatchObject({ from: 'a', atMs: 10_000, priority: 0, flags: ADVERT_FLAG_HANDOVER });
    clock.advanceTo(10_608);
    expect(net.vipHolders()).toEqual(['a']);
    clock.advanceTo(10_609);
    expect(net.transitions('b').at(-1)).toBe('10609 backup→master (peer-leaving)');
    // Both hold the VIPs while b announces them; a's repeated priority-0 advert (11000) gets no answer.
    expect(net.vipHolders().sort()).toEqual(['a', 'b']);
    clock.advanceTo(11_608);
    expect(net.wire.filter((advert) => advert.from === 'b' && advert.atMs > 10_000)).toEqual([]);
    expect(net.vipHolders().sort()).toEqual(['a', 'b']);
    clock.advanceTo(11_609);
    expect(net.transitions('a').at(-1)).toBe('11609 master→init (handover-complete)');
    expect(net.vipHolders()).toEqual(['b']);
  });

  it('is make-before-break: b adds the VIPs before a removes them, with network delay', () => {
    const { clock, net } = steadyPair({}, {}, 5);
    net.dispatch('a', { kind: 'shutdown' });
    clock.advanceTo(20_000);
    const added = net.log('b').find((entry) => entry.kind === 'addVips');
    const removed = net.log('a').find((entry) => entry.kind === 'removeVips');
    expect(added?.atMs).toBe(10_000 + 5 + 609);
    expect(removed?.atMs).toBe(10_000 + 5 + 609 + 1000 + 5);
  });

  it('repeats the priority-0 advert every interval, so a lost one costs one interval, not masterDown', () => {
    const { clock, net } = steadyPair();
    net.dropNextAdverts('a', 1);
    net.dispatch('a', { kind: 'shutdown' }); // lost
    clock.advanceTo(20_000);
    expect(net.transitions('b').at(-1)).toBe('11609 backup→master (peer-leaving)'); // 11000 + 609
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
    expect(net.transitions('a').at(-1)).toBe('11609 master→backup (handover-complete)');
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

  it('is ignored by a backup', () => {
    const { clock, net } = steadyPair();
    net.dispatch('b', { kind: 'handover' });
    clock.advanceTo(60_000);
    expect(net.roles()).toEqual({ a: 'master', b: 'backup' });
  });
});
