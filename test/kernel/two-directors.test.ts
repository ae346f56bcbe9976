/**
 * two-directors: with two guest kernels as directors, long-lived TCP connections through the
 * VIP survive a failover and a failback (test/kernel/two-directors/ for the lab).
 *
 * The sync mode under test is the config's default, read by loading the lab's config without
 * a `mode`, so the test follows the default wherever it is set. The follow-role case is the
 * control that shows the probe can fail: it must lose the connections opened while alpha's
 * daemon was dead, which a master-only kernel never received.
 *
 * When alpha's link goes down instead and alpha preempts at once, connections opened through
 * beta meanwhile are lost on the failback in either mode (IPVS has no bulk resync;
 * bench/connection-survival measures it), so that case asserts only on the connections alpha
 * had before. The partition cases give the returning alpha a preempt delay: with the sync
 * sysctls tandem sets by default beta resends those connections meanwhile and they survive;
 * with the kernel's (`sysctls: null`, the control) they do not.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigOrThrow } from '../../src/config/load.js';
import { guestSkipReason } from './harness/guest.js';
import { runIpvsadmScenario } from './two-directors/ipvsadm-scenario.js';
import { runPartitionScenario } from './two-directors/tandem-partition-scenario.js';
import type { SyncMode } from './two-directors/ipvsadm-directors.js';
import { startTwoDirectorLab, type TwoDirectorLab } from './two-directors/lab.js';
import { writeLabConfig } from './two-directors/tandem-directors.js';
import { runTandemScenario } from './two-directors/tandem-scenario.js';

const skipReason = guestSkipReason();

/** CONNECTIONS per cohort: enough to see a partial loss, few enough for a quick run. */
const CONNECTIONS = 20;
/** PORTS: one virtual service per scenario, so no scenario sees another's entries. */
const PORTS = { ipvsadmDefault: 8101, ipvsadmFollowRole: 8102, tandem: 8103, tandemLink: 8104, partition: 8105, partitionKernel: 8106 } as const;
/** PARTITION_TIMEOUT_MS: two tandem starts, a takeover, a 6 s preempt delay and a loaded host. */
const PARTITION_TIMEOUT_MS = 300_000;

/** defaultSyncMode is the mode a config without syncDaemon.mode gets. */
async function defaultSyncMode(): Promise<SyncMode> {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-two-directors-'));
  try {
    const { config } = await loadConfigOrThrow(await writeLabConfig(dir, { port: 80, mode: undefined }));
    if (config.syncDaemon === null) throw new Error('the lab config lost its syncDaemon section');
    return config.syncDaemon.mode;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe.skipIf(skipReason !== undefined)('guest kernel: two directors, connections through failover and failback', () => {
  let lab: TwoDirectorLab;

  beforeAll(async () => {
    lab = await startTwoDirectorLab({ name: `t2d${process.pid}`, realServerPorts: Object.values(PORTS) });
  });

  afterAll(async () => {
    await lab.stop();
  });

  it('keeps every connection with the default sync mode (directors driven by ipvsadm)', async () => {
    const result = await runIpvsadmScenario(lab, await defaultSyncMode(), PORTS.ipvsadmDefault, CONNECTIONS);
    expect({ preOnBeta: result.preOnBeta, failover: result.failover, failback: result.failback }).toEqual({
      preOnBeta: CONNECTIONS,
      failover: { pre: { alive: CONNECTIONS, lost: 0 } },
      failback: { pre: { alive: CONNECTIONS, lost: 0 }, mid: { alive: CONNECTIONS, lost: 0 } },
    });
  });

  it('loses, in follow-role mode, the connections opened while alpha ran only a master daemon', async () => {
    const result = await runIpvsadmScenario(lab, 'follow-role', PORTS.ipvsadmFollowRole, CONNECTIONS);
    expect(result.failover.pre.alive).toBe(CONNECTIONS);
    expect(result.failback.pre.alive).toBe(CONNECTIONS);
    expect(result.midOnAlpha).toBe(0);
    expect(result.failback.mid.alive).toBe(0);
  });

  it('keeps every connection when tandem run is killed on alpha and comes back (default sync mode)', async () => {
    const result = await runTandemScenario(lab, undefined, PORTS.tandem, CONNECTIONS);
    console.info(
      `tandem run: failover ${result.failover.takeoverMs.toFixed(0)} ms, failback ${result.failback.takeoverMs.toFixed(0)} ms, ` +
        `scenario ${(result.durationMs / 1000).toFixed(1)} s`,
    );
    expect({ preOnBeta: result.preOnBeta, failover: result.failover.pre, failback: { pre: result.failback.pre, mid: result.failback.mid } }).toEqual({
      preOnBeta: CONNECTIONS,
      failover: { alive: CONNECTIONS, lost: 0 },
      failback: { pre: { alive: CONNECTIONS, lost: 0 }, mid: { alive: CONNECTIONS, lost: 0 } },
    });
  });

  it("keeps the connections it had when alpha's link goes down and comes back (default sync mode)", async () => {
    const result = await runTandemScenario(lab, undefined, PORTS.tandemLink, CONNECTIONS, { failure: 'link-down' });
    expect({ preOnBeta: result.preOnBeta, failover: result.failover.pre, failback: result.failback.pre }).toEqual({
      preOnBeta: CONNECTIONS,
      failover: { alive: CONNECTIONS, lost: 0 },
      failback: { alive: CONNECTIONS, lost: 0 },
    });
  });

  it('keeps the connections opened through beta while alpha was cut off (partition, tandem\'s sync sysctls)', async () => {
    const result = await runPartitionScenario(lab, PORTS.partition, CONNECTIONS, { syncSysctls: 'config-default' });
    console.info(`partition: ${result.failback.mid.alive}/${CONNECTIONS} mid alive, ${result.midOnAlpha} mid entries on alpha, ${result.dwellRounds} rounds, failback ${result.failback.takeoverMs.toFixed(0)} ms`);
    expect(result.sysctls).toEqual({ alpha: '3 0 / 1', beta: '3 0 / 1' });
    expect(result.preOnBeta).toBe(CONNECTIONS);
    expect(result.failback.pre).toEqual({ alive: CONNECTIONS, lost: 0 });
    expect(result.failback.mid.alive).toBeGreaterThanOrEqual(Math.ceil(0.99 * CONNECTIONS));
  }, PARTITION_TIMEOUT_MS);

  it('loses them with the kernel\'s sync sysctls (partition control, sysctls: null)', async () => {
    const result = await runPartitionScenario(lab, PORTS.partitionKernel, CONNECTIONS, { syncSysctls: 'kernel' });
    console.info(`partition control: ${result.failback.mid.alive}/${CONNECTIONS} mid alive, ${result.midOnAlpha} mid entries on alpha, ${result.dwellRounds} rounds`);
    expect(result.sysctls).toEqual({ alpha: '3 50 / 0', beta: '3 50 / 0' });
    expect(result.failback.pre).toEqual({ alive: CONNECTIONS, lost: 0 });
    expect(result.failback.mid.alive).toBeLessThan(CONNECTIONS / 2);
  }, PARTITION_TIMEOUT_MS);
});
