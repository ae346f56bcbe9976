/**
 * RFC 5798 §6.4.2 Master_Down_Timer: lost adverts and a dead master. In steadyPair, a (200) is
 * master and adverts at 3218 + k × 1000; b (100) times out after 3609 ms of silence.
 */
import { describe, expect, it } from 'vitest';
import { steadyPair } from './cluster.js';

describe('loss of adverts', () => {
  it.each([1, 2])('losing %i advert(s) in a row causes no transition', (lost) => {
    const { clock, net } = steadyPair();
    net.dropNextAdverts('a', lost); // from 10218 on
    clock.advanceTo(60_000);
    expect(net.transitions('b')).toEqual(['0 init→backup (startup)']);
    expect(net.vipHolders()).toEqual(['a']);
  });

  it('losing 3 adverts makes b master exactly masterDown after the last advert it heard, and heals at once', () => {
    const { clock, net } = steadyPair();
    net.dropNextAdverts('a', 3); // 10218, 11218, 12218 lost; b last heard 9218
    clock.advanceTo(60_000);
    expect(net.transitions('b')).toEqual([
      '0 init→backup (startup)',
      '12827 backup→master (master-down)', // 9218 + 3609
      '12827 master→backup (higher-priority-master)', // a answered b's first advert at once
    ]);
    const announces = net.log('a').filter((entry) => entry.kind === 'announce').map((entry) => entry.atMs);
    // The heal: announce on b's advert, again on its yield, and once more an interval later.
    expect(announces).toEqual([3218, 12827, 12827, 13827]);
    expect(net.vipHolders()).toEqual(['a']);
  });
});

describe('master failure', () => {
  it('a crashed master is replaced exactly masterDown after its last advert', () => {
    const { clock, net } = steadyPair();
    net.crash('a'); // at 10000; last advert 9218
    clock.advanceTo(12_826);
    expect(net.roles()).toEqual({ a: 'dead', b: 'backup' });
    clock.advanceTo(12_827);
    expect(net.roles()).toEqual({ a: 'dead', b: 'master' });
    expect(net.vipHolders()).toEqual(['b']);
  });

  it('the RFC timer uses the master\u2019s advertised interval, not our own (RFC 5798 §6.4.2)', () => {
    // b is configured with 500 ms adverts; a adverts every 1000 ms. b must wait 3 × 1000 + skew.
    const { clock, net } = steadyPair({}, { advertIntervalMs: 500 });
    clock.advanceTo(20_000);
    const lastAdvertMs = Math.max(...net.wire.filter((datagram) => datagram.from === 'a').map((datagram) => datagram.atMs));
    net.crash('a');
    clock.advanceTo(30_000);
    expect(net.transitions('b').at(-1)).toBe(`${lastAdvertMs + 3609} backup→master (master-down)`);
  });
});

describe('a flapping link', () => {
  function flap(outageMs: number, upMs: number, untilMs: number) {
    const built = steadyPair();
    const heals: number[] = [];
    let at = 10_000;
    while (at < untilMs) {
      const cutAt = at;
      const healAt = at + outageMs;
      built.clock.schedule(cutAt - built.clock.nowMs, () => {
        built.net.partition('a');
      });
      built.clock.schedule(healAt - built.clock.nowMs, () => {
        built.net.heal();
      });
      heals.push(healAt);
      at = healAt + upMs;
    }
    built.clock.advanceTo(untilMs + 10_000);
    return { ...built, heals };
  }

  it('outages that lose at most 2 adverts cause no transition at all', () => {
    // A 1500 ms outage loses at most 2 adverts and a 1000 ms up-window always lets one through,
    // so b never hears 3000 ms of silence, well under its 3609 ms masterDown.
    const { net } = flap(1500, 1000, 60_000);
    expect(net.transitions('a')).toEqual(['0 init→backup (startup)', '3218 backup→master (master-down)']);
    expect(net.transitions('b')).toEqual(['0 init→backup (startup)']);
  });

  it('longer outages fail over each time, and each heal leaves one master within one advert interval', () => {
    const { net, heals } = flap(5000, 2000, 40_000);
    const takeovers = net.transitions('b').filter((line) => line.includes('backup→master'));
    const stepDowns = net.log('b').filter((entry) => entry.kind === 'transition' && entry.to === 'backup' && entry.from === 'master');
    expect(takeovers).toHaveLength(heals.length);
    expect(stepDowns).toHaveLength(heals.length);
    for (const [index, entry] of stepDowns.entries()) {
      const healAt = heals[index] ?? Number.NaN;
      expect(entry.atMs).toBeGreaterThanOrEqual(healAt);
      expect(entry.atMs - healAt).toBeLessThanOrEqual(1000);
    }
    expect(net.roles()).toEqual({ a: 'master', b: 'backup' });
    expect(net.vipHolders()).toEqual(['a']);
  });
});
