/**
 * Tracked interfaces and checks: fault and priority changes. steadyPair: a (200) master with
 * adverts at 3218 + k × 1000; b (100), skew 609, masterDown 3609.
 */
import { describe, expect, it } from 'vitest';
import { steadyPair } from './cluster.js';

describe('tracked interfaces', () => {
  it('a master whose tracked link goes down enters fault, says priority 0 and drops the VIPs at once', () => {
    const { clock, net } = steadyPair({ trackedInterfaces: ['eth0'] });
    net.dispatch('a', { kind: 'trackedInterface', name: 'eth0', up: false });
    expect(net.wire.at(-1)).toMatchObject({ from: 'a', priority: 0, flags: 0 });
    expect(net.transitions('a').at(-1)).toBe('10000 master→fault (tracked-down)');
    expect(net.vipHolders()).toEqual([]);
    clock.advanceTo(10_609);
    expect(net.transitions('b').at(-1)).toBe('10609 backup→master (peer-leaving)');
    expect(net.vipHolders()).toEqual(['b']);
  });

  it('when the link returns the node becomes backup, then preempts on the next advert', () => {
    const { clock, net } = steadyPair({ trackedInterfaces: ['eth0'] });
    net.dispatch('a', { kind: 'trackedInterface', name: 'eth0', up: false });
    clock.advanceTo(20_000);
    net.dispatch('a', { kind: 'trackedInterface', name: 'eth0', up: true });
    clock.advanceTo(30_000);
    expect(net.transitions('a').slice(-2)).toEqual(['20000 fault→backup (tracked-up)', '20609 backup→master (preempt)']);
  });

  it('a backup in fault never takes over', () => {
    const { clock, net } = steadyPair({}, { trackedInterfaces: ['eth1'] });
    net.dispatch('b', { kind: 'trackedInterface', name: 'eth1', up: false });
    net.crash('a');
    clock.advanceTo(60_000);
    expect(net.roles()).toEqual({ a: 'dead', b: 'fault' });
  });

  it('an untracked interface changes nothing', () => {
    const { clock, net } = steadyPair({ trackedInterfaces: ['eth0'] });
    net.dispatch('a', { kind: 'trackedInterface', name: 'eth9', up: false });
    clock.advanceTo(60_000);
    expect(net.roles()).toEqual({ a: 'master', b: 'backup' });
  });
});

describe('tracked checks', () => {
  it('a failing weighted check lowers the master\u2019s priority, adverts it at once, and b preempts', () => {
    const { clock, net } = steadyPair({ trackedChecks: [{ name: 'gateway', onFailure: { lowerPriorityBy: 150 } }] });
    net.dispatch('a', { kind: 'trackedCheck', name: 'gateway', ok: false });
    expect(net.wire.at(-1)).toMatchObject({ from: 'a', atMs: 10_000, priority: 50 });
    clock.advanceTo(20_000);
    expect(net.transitions('b').at(-1)).toBe('10000 backup→master (preempt)');
    expect(net.transitions('a').at(-1)).toBe('10000 master→backup (higher-priority-master)');
  });

  it('a fault check forces fault while failing', () => {
    const { clock, net } = steadyPair({ trackedChecks: [{ name: 'disk', onFailure: 'fault' }] });
    net.dispatch('a', { kind: 'trackedCheck', name: 'disk', ok: false });
    clock.advanceTo(20_000);
    expect(net.roles()).toEqual({ a: 'fault', b: 'master' });
    net.dispatch('a', { kind: 'trackedCheck', name: 'disk', ok: true });
    clock.advanceTo(30_000);
    expect(net.roles()).toEqual({ a: 'master', b: 'backup' });
  });
});
