import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { SyncDaemonConfig } from '../../../src/config/types.js';
import type { ElectionStateName } from '../../../src/election/types.js';
import { SyncDaemonOwner } from '../../../src/lvs/sync-daemon-owner.js';
import { FakeClock } from '../../fakes/fake-clock.js';
import { FakeIpvs } from '../../fakes/fake-ipvs.js';
import { FakeIpvsSysctls } from '../../fakes/fake-ipvs-sysctls.js';

const followRole: SyncDaemonConfig = { mode: 'follow-role', mcastInterface: 'eth1', syncid: 7, maxlen: 0, group: '224.0.0.81', port: 8848, ttl: 1, sysctls: null };
const tuned = { syncThresholdPackets: 3, syncPeriodPackets: 0, syncRefreshPeriodSeconds: 1 };

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

function harness(config: SyncDaemonConfig | null, role: ElectionStateName) {
  const kernel = new FakeIpvs({ interfaces: { eth1: 1500 } });
  const sysctls = new FakeIpvsSysctls();
  const calls: string[] = [];
  const write = sysctls.write.bind(sysctls);
  sysctls.write = (name, value) => {
    calls.push(`sysctl ${name}=${value}`);
    return write(name, value);
  };
  const start = kernel.startDaemon.bind(kernel);
  const stop = kernel.stopDaemon.bind(kernel);
  kernel.startDaemon = (daemon) => {
    calls.push(`start ${daemon.state} ${daemon.syncid}`);
    return start(daemon);
  };
  kernel.stopDaemon = (state) => {
    calls.push(`stop ${state}`);
    return stop(state);
  };
  const clock = new FakeClock();
  const logLines: { event?: string }[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => { logLines.push(JSON.parse(line) as { event?: string }); } });
  const owner = new SyncDaemonOwner(config, role, { syncDaemons: kernel, syncSysctls: sysctls, clock, log }, { tickIntervalMs: 1000 });
  return { kernel, sysctls, calls, clock, owner, logLines };
}

const states = async (kernel: FakeIpvs): Promise<string[]> => (await kernel.listDaemons()).map((daemon) => daemon.state);

describe('SyncDaemonOwner against the fake kernel', () => {
  it('follow-role swaps the daemons in order on every transition', async () => {
    const { kernel, calls, owner } = harness(followRole, 'backup');
    await owner.start();
    expect(await states(kernel)).toEqual(['backup']);
    await owner.setRole('master');
    await owner.setRole('backup');
    expect(calls).toEqual(['start backup 7', 'stop backup', 'start master 7', 'stop master', 'start backup 7']);
    expect(await states(kernel)).toEqual(['backup']);
    await owner.stop();
  });

  it('both runs master and backup on each director and ignores role changes', async () => {
    const { kernel, calls, owner } = harness({ ...followRole, mode: 'both' }, 'init');
    await owner.start();
    await owner.setRole('master');
    await owner.setRole('backup');
    expect(calls).toEqual(['start master 7', 'start backup 7']);
    expect(await states(kernel)).toEqual(['master', 'backup']);
    await owner.stop();
  });

  it('restarts a daemon only when its settings change, even when the kernel clamps maxlen', async () => {
    // The kernel raises a backup's maxlen to at least 1024 (ip_vs_sync.c), so the listing says 1024.
    const clamped = { ...followRole, mode: 'both' as const, maxlen: 100 };
    const { kernel, calls, clock, owner } = harness(clamped, 'backup');
    await owner.start();
    expect((await kernel.listDaemons()).find((daemon) => daemon.state === 'backup')?.maxlen).toBe(1024);
    clock.advance(3000);
    await settle();
    await owner.update(clamped);
    expect(calls).toEqual(['start master 7', 'start backup 7']);
    await owner.update({ ...clamped, syncid: 9 });
    expect(calls.slice(2)).toEqual(['stop master', 'start master 9', 'stop backup', 'start backup 9']);
    await owner.stop();
  });

  it('restarts a daemon stopped by hand on the next tick and counts the repair', async () => {
    const { kernel, clock, owner } = harness(followRole, 'master');
    await owner.start();
    await kernel.stopDaemon('master');
    clock.advance(1000);
    await settle();
    expect(await states(kernel)).toEqual(['master']);
    expect(owner.stats.repairs).toBe(1);
    await owner.stop();
  });

  it('takes EEXIST on start and ESRCH on stop as done', async () => {
    const { kernel, owner } = harness(followRole, 'backup');
    await kernel.startDaemon({ state: 'backup', mcastInterface: 'eth1', syncid: 7 });
    const list = kernel.listDaemons.bind(kernel);
    let blind = true;
    // A listing that misses the running daemon (and a stale one for the stop) makes the owner race the kernel.
    kernel.listDaemons = async () => (blind ? [{ state: 'master', mcastInterface: 'eth1', syncid: 7 }] : list());
    await owner.start();
    blind = false;
    expect(owner.stats.errors).toBe(0);
    expect(owner.stats).toMatchObject({ starts: 1, stops: 1 });
    expect(await states(kernel)).toEqual(['backup']);
    await owner.stop();
  });

  it('leaves foreign daemons alone without a syncDaemon section, and stops its own when the section goes', async () => {
    const { kernel, calls, owner } = harness(null, 'master');
    await kernel.startDaemon({ state: 'master', mcastInterface: 'eth1', syncid: 1 });
    await owner.start();
    expect(await states(kernel)).toEqual(['master']);
    await owner.update({ ...followRole, mode: 'both' });
    expect(await states(kernel)).toEqual(['master', 'backup']);
    await owner.update(null);
    expect(await states(kernel)).toEqual([]);
    expect(calls.filter((call) => call.startsWith('start')).slice(1)).toEqual(['start master 7', 'start backup 7']);
    await owner.stop();
  });

  it('reports a refused start and tries again on the next tick', async () => {
    const { kernel, clock, owner } = harness({ ...followRole, mcastInterface: 'eth9' }, 'master');
    await owner.start();
    expect(owner.stats.errors).toBe(1);
    clock.advance(1000);
    await settle();
    expect(owner.stats.errors).toBe(2);
    expect(await kernel.listDaemons()).toEqual([]);
    await owner.stop();
  });
});

describe('SyncDaemonOwner and the sync sysctls', () => {
  const withSysctls = { ...followRole, mode: 'both' as const, sysctls: tuned };

  it('sets the sysctls before it starts a daemon, and only those that differ', async () => {
    const { sysctls, calls, owner } = harness(withSysctls, 'backup');
    sysctls.set('sync_refresh_period', '1');
    await owner.start();
    expect(calls).toEqual(['sysctl sync_threshold=3 0', 'start master 7', 'start backup 7']);
    expect([sysctls.value('sync_threshold'), sysctls.value('sync_refresh_period')]).toEqual(['3 0', '1']);
    expect(owner.stats).toMatchObject({ sysctlWrites: 1, repairs: 0, errors: 0 });
    await owner.stop();
  });

  it('writes on a reload only what changed, and repairs a value changed by hand on the tick', async () => {
    const { sysctls, calls, clock, owner } = harness(withSysctls, 'backup');
    await owner.start();
    await owner.update(withSysctls);
    expect(sysctls.writes).toHaveLength(2);
    await owner.update({ ...withSysctls, sysctls: { ...tuned, syncRefreshPeriodSeconds: 5 } });
    expect(sysctls.writes.slice(2)).toEqual([{ name: 'sync_refresh_period', value: '5' }]);
    sysctls.set('sync_threshold', '3\t50');
    clock.advance(1000);
    await settle();
    expect(sysctls.value('sync_threshold')).toBe('3 0');
    expect(owner.stats).toMatchObject({ sysctlWrites: 4, repairs: 1 });
    expect(calls.filter((call) => call.startsWith('start'))).toEqual(['start master 7', 'start backup 7']);
    await owner.stop();
  });

  it('still starts the daemons when a sysctl is refused, logs the refusal once, and sets it once it can', async () => {
    const { kernel, sysctls, clock, owner, logLines } = harness(withSysctls, 'backup');
    sysctls.failWith('sync_refresh_period', 'EROFS');
    await owner.start();
    expect(await states(kernel)).toEqual(['master', 'backup']);
    clock.advance(1000);
    await settle();
    const refusals = logLines.filter((line) => line.event === 'sync-daemon.sysctl-error');
    expect(refusals).toHaveLength(1);
    expect(JSON.stringify(refusals[0])).toContain('net.ipv4.vs.sync_refresh_period');
    expect(JSON.stringify(refusals[0])).toContain('EROFS');
    expect(owner.stats.errors).toBe(2);
    sysctls.failWith('sync_refresh_period', undefined);
    clock.advance(1000);
    await settle();
    expect(sysctls.value('sync_refresh_period')).toBe('1');
    // The write after a failed pass is the config's, not a repair of someone else's change.
    expect(owner.stats.repairs).toBe(0);
    await owner.stop();
  });

  it('leaves the sysctls alone with sysctls: null, and does not restore them when the section goes', async () => {
    const { sysctls, owner } = harness({ ...withSysctls, sysctls: null }, 'backup');
    await owner.start();
    expect(sysctls.writes).toEqual([]);
    await owner.update(withSysctls);
    await owner.update(null);
    await owner.update({ ...withSysctls, sysctls: null });
    expect(sysctls.writes.map((write) => write.value)).toEqual(['3 0', '1']);
    expect(sysctls.value('sync_threshold')).toBe('3 0');
    await owner.stop();
  });
});
