/**
 * sync-daemon-plan: which IPVS connection-sync daemons a director should run, and the ordered
 * stops and starts that get there from what the kernel runs. Pure.
 *
 * Mode `both` runs a master and a backup daemon on each director whatever its role, so each
 * side always holds the other's connections and they also survive a failback. Mode
 * `follow-role` runs a master daemon only on the active director and a backup daemon everywhere
 * else (backup, fault, and init before the first election).
 *
 * Order: daemons that should not run are stopped before any is started. On a follow-role
 * transition that is the swap the issue asks for:
 * - becoming master: stop backup, then start master. Once this director forwards, its table is
 *   the truth; a backup daemon still running would apply the old master's late updates over the
 *   connections this director now owns.
 * - becoming backup: stop master, then start backup. The director stops announcing its now stale
 *   table before it listens to the new master, so the two are never both senders of one syncid
 *   on this host.
 * A daemon whose settings changed is stopped and started again (the kernel has no edit; a second
 * start in one state is EEXIST).
 */
import type { ElectionStateName } from '../election/types.js';
import type { SyncDaemonConfig } from '../config/types.js';
import { canonicalAddress } from '../ipvs/inet-address.js';
import type { SyncDaemon, SyncState } from '../ipvs/model.js';

/** SyncDaemonStep is one stop or start, carried out in order. */
export type SyncDaemonStep = { readonly kind: 'stop'; readonly state: SyncState } | { readonly kind: 'start'; readonly daemon: SyncDaemon };

/** desiredDaemons are the daemons this director should run in `role`; none without a syncDaemon section. */
export function desiredDaemons(config: SyncDaemonConfig | null, role: ElectionStateName): SyncDaemon[] {
  if (config === null) return [];
  const states: SyncState[] = config.mode === 'both' ? ['master', 'backup'] : [role === 'master' ? 'master' : 'backup'];
  return states.map((state) => ({
    state,
    mcastInterface: config.mcastInterface,
    syncid: config.syncid,
    // 0 asks the kernel to derive it from the interface MTU, which is what leaving it out does.
    ...(config.maxlen === 0 ? {} : { maxlen: config.maxlen }),
    group: config.group,
    port: config.port,
    ttl: config.ttl,
  }));
}

/**
 * planSyncDaemons orders the steps from `running` to `desired`; see the file comment.
 * `isCurrent` says whether a running daemon already has the wanted settings.
 */
export function planSyncDaemons(
  desired: readonly SyncDaemon[],
  running: readonly SyncDaemon[],
  isCurrent: (wanted: SyncDaemon, running: SyncDaemon) => boolean,
): SyncDaemonStep[] {
  const wantedStates = new Set(desired.map((daemon) => daemon.state));
  const steps: SyncDaemonStep[] = running.filter((daemon) => !wantedStates.has(daemon.state)).map((daemon) => ({ kind: 'stop', state: daemon.state }));
  for (const wanted of desired) {
    const current = running.find((daemon) => daemon.state === wanted.state);
    if (current !== undefined && isCurrent(wanted, current)) continue;
    if (current !== undefined) steps.push({ kind: 'stop', state: wanted.state });
    steps.push({ kind: 'start', daemon: wanted });
  }
  return steps;
}

/**
 * sameSettings compares a wanted daemon with one the kernel lists. maxlen counts only when one
 * was asked for: left out, the kernel derives it, so any listed value matches.
 */
export function sameSettings(wanted: SyncDaemon, listed: SyncDaemon): boolean {
  const group = (text: string | undefined): string | undefined => (text === undefined ? undefined : (canonicalAddress(text) ?? text));
  return (
    wanted.state === listed.state &&
    wanted.mcastInterface === listed.mcastInterface &&
    wanted.syncid === listed.syncid &&
    (wanted.maxlen === undefined || wanted.maxlen === listed.maxlen) &&
    group(wanted.group) === group(listed.group) &&
    wanted.port === listed.port &&
    wanted.ttl === listed.ttl
  );
}
