/**
 * lvs-components: from the config and the kernel's IPVS access to the components that keep the
 * IPVS table, the health checks and the sync daemons: in start order, IPVS owner, health
 * checks, sync daemons. Stopped in reverse, the sync daemons settle first (right after the
 * VIPs go, design.md principle 10), then the checks stop, then the table owner.
 *
 * A kernel without the ip_vs module has no IPVS generic netlink family. A director that
 * balances nothing (no virtualServers, no syncDaemon) still runs the election and the VIPs, so
 * it starts without these components; one that must balance refuses to start, with the
 * family-missing error and its `modprobe ip_vs` hint.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/types.js';
import type { ElectionStateName } from '../election/types.js';
import type { MonotonicClock } from '../election-runtime/monotonic-clock.js';
import type { Checker } from '../health/checker.js';
import type { IpvsPort, SyncDaemonPort } from '../ipvs/ipvs-port.js';
import type { IpvsSysctlPort } from '../kernel/ipvs-sysctl.js';
import { DEFAULT_TICK_INTERVAL_MS, IpvsOwner } from '../lvs/ipvs-owner.js';
import { DEFAULT_SYNC_TICK_INTERVAL_MS, SyncDaemonOwner } from '../lvs/sync-daemon-owner.js';
import type { WritesFirst } from '../netlink/dump-runner.js';
import type { DaemonComponent } from './daemon-component.js';
import { HealthComponent } from './health-component.js';
import { IpvsComponent } from './ipvs-component.js';
import { componentLogger } from './logger.js';
import { SyncDaemonComponent } from './sync-daemon-component.js';

/**
 * IpvsAccess is the kernel's IPVS as `tandem run` found it: usable (with the namespace's
 * net.ipv4.vs sync sysctls, which exist only with ip_vs), or missing with the reason.
 * `tableReads` is the table on a second netlink socket for the IPVS owner's full-pass listings,
 * so a verdict's weight change never queues behind a listing on the socket it writes on
 * (ipvs-owner.ts); without it the owner lists on `kernel`. `writesFirst` is the gate that listing
 * socket yields to, which the owner holds and waits for too (IpvsOwnerPorts).
 */
export type IpvsAccess =
  | {
      readonly available: true;
      readonly kernel: IpvsPort & SyncDaemonPort;
      readonly tableReads?: Pick<IpvsPort, 'listRules'> | undefined;
      readonly writesFirst?: WritesFirst | undefined;
      readonly syncSysctls: IpvsSysctlPort;
    }
  | { readonly available: false; readonly error: Error };

/** LvsPorts are what the LVS components run on. */
export interface LvsPorts {
  readonly ipvs: IpvsAccess;
  readonly checker: Checker;
  readonly clock: MonotonicClock;
  /** log is the root logger; each component gets its child. */
  readonly log: Logger;
  /** ipvsTickIntervalMs and syncTickIntervalMs default to the owners' own defaults. */
  readonly ipvsTickIntervalMs?: number | undefined;
  readonly syncTickIntervalMs?: number | undefined;
}

/** needsIpvs says whether a config has anything for the IPVS components to do. */
export function needsIpvs(config: Config): boolean {
  return config.virtualServers.length > 0 || config.syncDaemon !== null;
}

/**
 * lvsComponents builds the components in start order, or none when IPVS is missing and the
 * config needs none; it throws the access error when IPVS is missing and the config needs it.
 * `role` is the sync daemons' role before the first transition.
 */
export function lvsComponents(config: Config, role: ElectionStateName, ports: LvsPorts): DaemonComponent[] {
  if (!ports.ipvs.available) {
    if (needsIpvs(config)) throw ports.ipvs.error;
    componentLogger(ports.log, 'ipvs').warn({ event: 'ipvs.unavailable', err: ports.ipvs.error }, 'no IPVS in this kernel; running without the IPVS table, health checks and sync daemons (the config has none)');
    return [];
  }
  const { kernel, tableReads, writesFirst, syncSysctls } = ports.ipvs;
  const ipvsOwner = new IpvsOwner(
    { virtualServers: config.virtualServers, ipvs: config.ipvs },
    { ipvs: kernel, tableReads, writesFirst, clock: ports.clock, log: componentLogger(ports.log, 'ipvs') },
    { tickIntervalMs: ports.ipvsTickIntervalMs ?? DEFAULT_TICK_INTERVAL_MS },
  );
  const syncOwner = new SyncDaemonOwner(
    config.syncDaemon,
    role,
    { syncDaemons: kernel, syncSysctls, clock: ports.clock, log: componentLogger(ports.log, 'sync-daemon') },
    { tickIntervalMs: ports.syncTickIntervalMs ?? DEFAULT_SYNC_TICK_INTERVAL_MS },
  );
  return [
    new IpvsComponent(ipvsOwner),
    new HealthComponent(config, { checker: ports.checker, clock: ports.clock, verdicts: ipvsOwner, log: componentLogger(ports.log, 'health') }),
    new SyncDaemonComponent(syncOwner),
  ];
}
