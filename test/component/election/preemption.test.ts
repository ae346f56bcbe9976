/**
 * Preemption (RFC 5798 §6.4.2 Preempt_Mode) with tandem's preemptDelayMs, and nopreempt.
 * b (priority 100) starts alone at 0 and is master from 3609 ms, adverting at 3609 + k × 1000.
 */
import { describe, expect, it } from 'vitest';
import { cluster, type NodeSpec } from './cluster.js';

function lateHigherNode(a: Partial<NodeSpec>) {
  const built = cluster([
    { name: 'a', priority: 200, ...a },
    { name: 'b', priority: 100 },
  ]);
  built.net.start('b');
  built.clock.advanceTo(10_000);
  built.net.start('a');
  return built;
}

describe('preempt', () => {
  it('a higher-priority node that starts later takes over on the first lower advert it hears', () => {
    const { clock, net } = lateHigherNode({ preempt: true });
    clock.advanceTo(60_000);
    expect(net.transitions('a')).toEqual(['10000 init→backup (startup)', '10609 backup→master (preempt)']);
    expect(net.transitions('b').at(-1)).toBe('10609 master→backup (higher-priority-master)');
    expect(net.vipHolders()).toEqual(['a']);
  });
});

describe('nopreempt', () => {
  it('a higher-priority node with nopreempt stays backup behind a running master', () => {
    const { clock, net } = lateHigherNode({ preempt: false });
    clock.advanceTo(120_000);
    expect(net.roles()).toEqual({ a: 'backup', b: 'master' });
    expect(net.transitions('a')).toEqual(['10000 init→backup (startup)']);
  });

  it('a rebooted higher-priority master with nopreempt does not take the VIPs back', () => {
    const { clock, net } = cluster([
      { name: 'a', priority: 200, preempt: false },
      { name: 'b', priority: 100 },
    ]);
    net.start('a', 'b');
    clock.advanceTo(10_000); // a master since 3218, last advert at 9218
    net.crash('a');
    clock.advanceTo(12_827); // 9218 + 3609
    expect(net.roles()).toEqual({ a: 'dead', b: 'master' });
    clock.advanceTo(20_000);
    net.reboot('a');
    clock.advanceTo(120_000);
    expect(net.roles()).toEqual({ a: 'backup', b: 'master' });
    expect(net.vipHolders()).toEqual(['b']);
  });

  it('with nopreempt the higher node still takes over when the master dies', () => {
    const { clock, net } = lateHigherNode({ preempt: false });
    clock.advanceTo(20_000); // b adverts at 19609
    net.crash('b');
    clock.advanceTo(30_000);
    expect(net.transitions('a').at(-1)).toBe('22827 backup→master (master-down)'); // 19609 + 3218
  });
});

describe('preempt delay', () => {
  it('takes over exactly preemptDelayMs after first hearing the lower master', () => {
    const { clock, net } = lateHigherNode({ preempt: true, preemptDelayMs: 5000 });
    clock.advanceTo(15_608);
    expect(net.roles()).toEqual({ a: 'backup', b: 'master' });
    clock.advanceTo(15_609);
    expect(net.roles()).toEqual({ a: 'master', b: 'backup' });
    expect(net.transitions('a')).toEqual(['10000 init→backup (startup)', '15609 backup→master (preempt)']);
  });

  it('keeps following the lower master during the delay, so its death is still caught', () => {
    const { clock, net } = lateHigherNode({ preempt: true, preemptDelayMs: 60_000 });
    clock.advanceTo(12_000); // b's last advert at 11609
    net.crash('b');
    clock.advanceTo(20_000);
    expect(net.transitions('a').at(-1)).toBe('14827 backup→master (master-down)'); // 11609 + 3218
  });

  it('is cancelled when our priority falls below the master’s meanwhile', () => {
    const { clock, net } = lateHigherNode({
      preempt: true,
      preemptDelayMs: 5000,
      trackedChecks: [{ name: 'uplink', onFailure: { lowerPriorityBy: 150 } }],
    });
    clock.advanceTo(12_000); // preemptDelay armed at 10609, due at 15609
    net.dispatch('a', { kind: 'trackedCheck', name: 'uplink', ok: false }); // 200 − 150 = 50 < 100
    clock.advanceTo(60_000);
    expect(net.roles()).toEqual({ a: 'backup', b: 'master' });
    expect(net.log('a').some((entry) => entry.kind === 'cancelTimer' && entry.timer === 'preemptDelay' && entry.atMs === 12_609)).toBe(true);
  });
});
