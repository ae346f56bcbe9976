/**
 * Partition and heal: split brain must end within one advert interval of the heal, and the
 * winner must re-announce its VIPs without any opt-in (issue 4). steadyPair: a (200) master,
 * adverts at 3218 + k × 1000; b (100).
 */
import { describe, expect, it } from 'vitest';
import { steadyPair } from './cluster.js';

function announcesOf(net: ReturnType<typeof steadyPair>['net'], name: string, fromMs: number): number[] {
  return net.log(name).filter((entry) => entry.kind === 'announce' && entry.atMs >= fromMs).map((entry) => entry.atMs);
}

describe('partition and heal', () => {
  it('during a partition both sides hold the VIPs; b took over masterDown after the last advert', () => {
    const { clock, net } = steadyPair();
    net.partition('a');
    clock.advanceTo(20_000);
    expect(net.transitions('b').at(-1)).toBe('12827 backup→master (master-down)');
    expect(net.roles()).toEqual({ a: 'master', b: 'master' });
    expect(net.vipHolders()).toEqual(['a', 'b']);
  });

  it('when the lower master is heard first, the higher one reasserts and re-announces at once', () => {
    const { clock, net } = steadyPair();
    net.partition('a');
    clock.advanceTo(20_500); // b adverts at 12827 + k × 1000: next at 20827; a's next at 21218
    net.heal();
    clock.advanceTo(30_000);
    expect(net.transitions('b').at(-1)).toBe('20827 master→backup (higher-priority-master)');
    const reassert = net.wire.find((datagram) => datagram.from === 'a' && datagram.atMs === 20_827);
    expect(reassert?.priority).toBe(200);
    expect(announcesOf(net, 'a', 20_500)).toEqual([20_827, 20_827, 21_827]); // b's advert, its yield, one interval later
    expect(net.vipHolders()).toEqual(['a']);
  });

  it('when the higher master is heard first, the lower one steps down and its yield makes the winner re-announce, then again an interval later', () => {
    const { clock, net } = steadyPair();
    net.partition('a');
    clock.advanceTo(21_000); // a's next advert at 21218 comes before b's at 21827
    net.heal();
    clock.advanceTo(30_000);
    expect(net.transitions('b').at(-1)).toBe('21218 master→backup (higher-priority-master)');
    expect(announcesOf(net, 'a', 21_000)).toEqual([21_218, 22_218]);
    expect(net.vipHolders()).toEqual(['a']);
  });

  it('a one-way cut (b cannot hear a) is answered on every b advert, and ends within one interval of the heal', () => {
    const { clock, net } = steadyPair();
    net.block('a', 'b');
    clock.advanceTo(13_000);
    expect(net.roles()).toEqual({ a: 'master', b: 'master' });
    expect(announcesOf(net, 'a', 10_000)).toEqual([12_827]); // a heard b's first advert
    net.heal();
    clock.advanceTo(14_000);
    expect(net.roles()).toEqual({ a: 'master', b: 'backup' });
    const stepDown = net.log('b').find((entry) => entry.kind === 'transition' && entry.to === 'backup' && entry.atMs > 13_000);
    expect(stepDown?.atMs).toBeLessThanOrEqual(14_000);
  });

  it('a winner that hands over before its reannounce fires does not announce again (it would pull clients back)', () => {
    const { clock, net } = steadyPair();
    net.partition('a');
    clock.advanceTo(21_000);
    net.heal();
    clock.advanceTo(21_500); // healed at 21218; the reannounce is due at 22218
    net.dispatch('a', { kind: 'handover' });
    clock.advanceTo(30_000);
    expect(announcesOf(net, 'a', 21_000)).toEqual([21_218]);
    expect(net.roles()).toEqual({ a: 'backup', b: 'master' });
  });

  it('a winner that loses a tracked interface before its reannounce fires does not announce again', () => {
    const { clock, net } = steadyPair({ trackedInterfaces: ['eth0'] });
    net.partition('a');
    clock.advanceTo(21_000);
    net.heal();
    clock.advanceTo(21_500);
    net.dispatch('a', { kind: 'trackedInterface', name: 'eth0', up: false });
    expect(net.log('a').filter((entry) => entry.kind === 'cancelTimer' && entry.timer === 'reannounce').map((entry) => entry.atMs)).toEqual([21_500]);
    clock.advanceTo(30_000);
    expect(announcesOf(net, 'a', 21_000)).toEqual([21_218]);
  });
});
