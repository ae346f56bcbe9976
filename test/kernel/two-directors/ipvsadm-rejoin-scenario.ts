/**
 * ipvsadm-rejoin-scenario: alpha is cut off (eth0 down) while beta serves, comes back as
 * backup for a while, then takes over again; driven with ipvsadm, sync mode "both".
 *
 * IPVS has no bulk resync: a backup learns a connection only when the master sends it, and
 * with the kernel defaults (sync_threshold "3 50", sync_refresh_period 0, ipvs-sysctl.rst) an
 * established connection is sent again only on every 50th inbound packet. So what beta
 * learned while alpha was cut off never reaches alpha, whatever the mode. With
 * sync_threshold "3 0" and sync_refresh_period N, the master resends a connection on its
 * first packet once N seconds have passed since the last send, so a backup that stays backup
 * for a few seconds of traffic catches up. `tuned` measures that.
 */
import { addService, establishedEntries, holdVip, releaseVip, setSyncDaemons, sh, SYNC_WAIT_MS, waitForEntries, type SyncSurvival } from './ipvsadm-directors.js';
import type { TwoDirectorLab } from './lab.js';

/** Kernel defaults and the tuned values (net.ipv4.vs.*, ipvs-sysctl.rst). */
const SYSCTLS = {
  defaults: 'sysctl -qw net.ipv4.vs.sync_threshold="3 50" net.ipv4.vs.sync_refresh_period=0',
  tuned: 'sysctl -qw net.ipv4.vs.sync_threshold="3 0" net.ipv4.vs.sync_refresh_period=1',
} as const;
/** The rejoined alpha stays backup this long while the clients talk: 3 rounds 1.2 s apart. */
const DWELL_ROUNDS = 3;
const DWELL_ROUND_MS = 1_200;
/** RejoinResult is the survival with the kernel's sync sysctls at their defaults or tuned. */
export interface RejoinResult extends SyncSurvival {
  readonly tuned: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((resolveSleep) => setTimeout(resolveSleep, ms));

/** runRejoinScenario runs the scenario on VIP:port; the sysctls are back at the defaults after it. */
export async function runRejoinScenario(lab: TwoDirectorLab, tuned: boolean, port: number, count: number): Promise<RejoinResult> {
  const started = performance.now();
  const [alpha, beta] = lab.directors;
  const pre = `rejoin-${port}-pre`;
  const mid = `rejoin-${port}-mid`;
  try {
    await Promise.all(lab.directors.map((d) => sh(d, tuned ? SYSCTLS.tuned : SYSCTLS.defaults)));
    await Promise.all([addService(alpha, port), addService(beta, port)]);
    await Promise.all([setSyncDaemons(alpha, 'both', 'master'), setSyncDaemons(beta, 'both', 'backup')]);
    await holdVip(alpha);
    const openedPre = await lab.client.open(pre, count, port);
    if (openedPre.opened !== count) throw new Error(`only ${openedPre.opened} of ${count} connections opened through alpha`);
    const preOnBeta = await waitForEntries(beta, port, count, SYNC_WAIT_MS);

    await sh(alpha, 'ip link set eth0 down');
    await holdVip(beta);
    const afterFailover = await lab.client.probe([pre]);
    const openedMid = await lab.client.open(mid, count, port);
    if (openedMid.opened !== count) throw new Error(`only ${openedMid.opened} of ${count} connections opened through beta`);

    // Alpha rejoins as backup (its fault removed the VIP) while the clients keep talking.
    await sh(alpha, 'ip link set eth0 up');
    await releaseVip(alpha);
    for (let round = 0; round < DWELL_ROUNDS; round++) {
      await sleep(DWELL_ROUND_MS);
      await lab.client.probe([mid]);
    }
    await sleep(SYNC_WAIT_MS / 3);
    const midOnAlpha = Math.max(0, (await establishedEntries(alpha, port)) - count);

    await releaseVip(beta);
    await holdVip(alpha);
    const afterFailback = await lab.client.probe([pre, mid]);
    return {
      tuned,
      count,
      preOnBeta,
      midOnAlpha,
      failover: { pre: afterFailover[pre]! },
      failback: { pre: afterFailback[pre]!, mid: afterFailback[mid]! },
      durationMs: performance.now() - started,
    };
  } finally {
    await Promise.all(lab.directors.map((d) => sh(d, `ip link set eth0 up; ${SYSCTLS.defaults}`)));
    await releaseVip(beta);
  }
}
