/**
 * ipvsadm-directors: the lab's directors driven by hand with ipvsadm and ip, the way an
 * operator (or a keepalived notify script) would, to measure the sync modes independently of
 * `tandem run`. Which daemons a role gets comes from tandem's own plan (desiredDaemons), so
 * the measurement is of the policy tandem ships.
 */
import type { SyncDaemonConfig } from '../../../src/config/types.js';
import { desiredDaemons } from '../../../src/lvs/sync-daemon-plan.js';
import type { CohortCount, Director } from './lab.js';
import { REAL_SERVER, VIP } from './lab.js';

/** SyncMode is the config's syncDaemon.mode. */
export type SyncMode = SyncDaemonConfig['mode'];
/** SYNC_MODES are both modes, in the order they are reported. */
export const SYNC_MODES: readonly SyncMode[] = ['both', 'follow-role'];
/** SYNCID is the lab's ipvsadm --syncid. */
export const SYNCID = 7;

/** syncConfig is the syncDaemon section the lab uses for `mode` (kernel defaults otherwise). */
export function syncConfig(mode: SyncMode): SyncDaemonConfig {
  return { mode, mcastInterface: 'eth0', syncid: SYNCID, maxlen: 0, group: '224.0.0.81', port: 8848, ttl: 1, sysctls: null };
}

/** sh runs a script in a director's guest and throws with its stderr when it fails. */
export async function sh(director: Director, script: string): Promise<string> {
  const result = await director.guest.run(script);
  if (result.code !== 0) throw new Error(`${director.name}: \`${script}\` exited ${result.code}: ${result.stderr}`);
  return result.stdout;
}

/** addService adds VIP:port (rr) with the real server by direct routing (ipvsadm -g). */
export async function addService(director: Director, port: number): Promise<void> {
  await sh(director, `ipvsadm -A -t ${VIP}:${port} -s rr && ipvsadm -a -t ${VIP}:${port} -r ${REAL_SERVER}:${port} -g -w 1`);
}

/**
 * setSyncDaemons makes the running daemons those `mode` wants for `role`. A start that finds
 * the daemon running (EEXIST) and a stop that finds none (ESRCH) are fine, as in tandem.
 */
export async function setSyncDaemons(director: Director, mode: SyncMode, role: 'master' | 'backup'): Promise<void> {
  const wanted = new Set(desiredDaemons(syncConfig(mode), role).map((daemon) => daemon.state));
  const steps = (['master', 'backup'] as const).map((state) =>
    wanted.has(state)
      ? `ipvsadm --start-daemon ${state} --mcast-interface eth0 --syncid ${SYNCID} 2>/dev/null`
      : `ipvsadm --stop-daemon ${state} 2>/dev/null`,
  );
  // Stops first: the order tandem's plan uses too.
  steps.sort((a, b) => Number(a.includes('--start')) - Number(b.includes('--start')));
  await sh(director, `${steps.join('; ')}; ipvsadm -L --daemon`);
}

/** holdVip adds the VIP and sends a gratuitous ARP, as a new master does. */
export async function holdVip(director: Director): Promise<void> {
  await sh(director, `ip addr add ${VIP}/32 dev eth0 && busybox arping -U -c 1 -I eth0 ${VIP} >/dev/null 2>&1; true`);
}

/** releaseVip removes the VIP, as a master that steps down does. */
export async function releaseVip(director: Director): Promise<void> {
  await sh(director, `ip addr del ${VIP}/32 dev eth0 2>/dev/null; true`);
}

/**
 * SYNC_WAIT_MS bounds a wait for synced entries: four flushes of the master's sync thread, which
 * sends a partly filled buffer every 2 s (IPVS_SYNC_FLUSH_TIME in ip_vs_sync.c).
 */
export const SYNC_WAIT_MS = 8_000;

/** SyncSurvival: survival per cohort and direction of an ipvsadm scenario, and the entries each standby held. */
export interface SyncSurvival {
  readonly count: number;
  /** Entries for "pre" on beta just before the failover. */
  readonly preOnBeta: number;
  /** Entries for "mid" on alpha just before the failback. */
  readonly midOnAlpha: number;
  readonly failover: { readonly pre: CohortCount };
  readonly failback: { readonly pre: CohortCount; readonly mid: CohortCount };
  readonly durationMs: number;
}

/** establishedEntries counts the director's ESTABLISHED IPVS connection entries for VIP:port. */
export async function establishedEntries(director: Director, port: number): Promise<number> {
  const out = await sh(director, `ipvsadm -Lnc | awk '$3 == "ESTABLISHED" && $5 == "${VIP}:${port}"' | wc -l`);
  return Number(out.trim());
}

/**
 * waitForEntries polls until the director lists `count` established entries for VIP:port or
 * `timeoutMs` passes, and returns the last count. The master's sync thread flushes a partly
 * filled buffer only every 2 s (IPVS_SYNC_FLUSH_TIME in ip_vs_sync.c), so give it that long.
 */
export async function waitForEntries(director: Director, port: number, count: number, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const seen = await establishedEntries(director, port);
    if (seen >= count || performance.now() > deadline) return seen;
    await new Promise((resolveSleep) => setTimeout(resolveSleep, 500));
  }
}
