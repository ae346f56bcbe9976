/**
 * sync-daemon-owner: the one module that starts and stops the kernel's IPVS connection-sync
 * daemons (ipvsadm --start-daemon / --stop-daemon), following the config and the election role.
 *
 * Each pass lists the running daemons, plans the ordered stops and starts
 * (sync-daemon-plan.ts) and carries them out. A pass runs on a role change, on a reload and on
 * a tick, so a daemon stopped by hand comes back (counted as a repair). A daemon is restarted
 * only when its settings change: the owner remembers the settings it started each one with,
 * because the kernel lists some of them adjusted (maxlen is clamped to the MTU) and comparing
 * only the listing would restart it on every pass.
 *
 * EEXIST on a start and ESRCH on a stop mean the kernel is already where the step leads: benign.
 * Any other refusal ends the pass, and the next tick re-reads and goes on from there.
 *
 * Without a syncDaemon section the owner leaves the kernel's daemons alone, except those it
 * started itself under an earlier config, which it stops. stop() leaves the daemons running;
 * shutdown ordering belongs to the daemon's composition root.
 *
 * The sync sysctls (sync-daemon-sysctls.ts) are read on every pass and written only where they
 * differ, after the listing (which loads ip_vs, and with it the sysctls) and before any start.
 * A sysctl that cannot be written is logged (once per distinct failure) and counted, but the
 * daemons still converge: sync with the kernel's thresholds is weaker, not off. tandem never
 * restores the values it wrote, neither on stop (the daemons it leaves running keep using them)
 * nor when the section goes; docs/config.md says how to put the kernel defaults back.
 */
import type { Logger } from 'pino';
import type { SyncDaemonConfig } from '../config/types.js';
import type { ElectionStateName } from '../election/types.js';
import type { MonotonicClock } from '../election-runtime/monotonic-clock.js';
import type { IpvsSysctlPort } from '../kernel/ipvs-sysctl.js';
import { IpvsError } from '../ipvs/ipvs-error.js';
import type { SyncDaemonPort } from '../ipvs/ipvs-port.js';
import type { SyncDaemon, SyncState } from '../ipvs/model.js';
import { SerialPasses } from './serial-passes.js';
import { type SyncDaemonStep, desiredDaemons, planSyncDaemons, sameSettings } from './sync-daemon-plan.js';
import { desiredSyncSysctls } from './sync-daemon-sysctls.js';

/** SyncDaemonOwnerPorts are the kernel's sync daemons and sync sysctls, the clock, and a logger bound to component "sync-daemon". */
export interface SyncDaemonOwnerPorts {
  readonly syncDaemons: SyncDaemonPort;
  readonly syncSysctls: IpvsSysctlPort;
  readonly clock: MonotonicClock;
  readonly log: Logger;
}

/** SyncDaemonOwnerOptions: how often to re-read the running daemons. */
export interface SyncDaemonOwnerOptions {
  readonly tickIntervalMs: number;
}

/** DEFAULT_SYNC_TICK_INTERVAL_MS re-reads the daemons once a second; they change only by hand. */
export const DEFAULT_SYNC_TICK_INTERVAL_MS = 1000;

/** SyncDaemonOwnerStats are counters for status and metrics. */
export interface SyncDaemonOwnerStats {
  starts: number;
  stops: number;
  /** Steps taken when neither the role nor the config changed: someone else moved the daemons. */
  repairs: number;
  /** Sysctl values written because they differed from the config. */
  sysctlWrites: number;
  errors: number;
}

/** SyncDaemonOwner drives the sync daemons; see the file comment. */
export class SyncDaemonOwner {
  readonly stats: SyncDaemonOwnerStats = { starts: 0, stops: 0, repairs: 0, sysctlWrites: 0, errors: 0 };
  #config: SyncDaemonConfig | null;
  #role: ElectionStateName;
  readonly #ports: SyncDaemonOwnerPorts;
  readonly #passes: SerialPasses;
  /** The settings each daemon this owner started was started with. */
  readonly #started = new Map<SyncState, SyncDaemon>();
  #inputsChanged = true;
  #lastPassClean = false;
  /** The last sysctl failure logged, so a lasting one is not logged on every tick. */
  #sysctlFailure: string | undefined;

  constructor(
    config: SyncDaemonConfig | null,
    role: ElectionStateName,
    ports: SyncDaemonOwnerPorts,
    options: SyncDaemonOwnerOptions = { tickIntervalMs: DEFAULT_SYNC_TICK_INTERVAL_MS },
  ) {
    this.#config = config;
    this.#role = role;
    this.#ports = ports;
    this.#passes = new SerialPasses(() => this.#pass(), ports.clock, options.tickIntervalMs);
  }

  /** start converges once, then keeps converging on the tick. */
  start(): Promise<void> {
    this.#passes.startTicking();
    return this.#changed();
  }

  /** setRole follows the election; it resolves once the daemons match the new role. */
  setRole(role: ElectionStateName): Promise<void> {
    if (role === this.#role) return this.#passes.settled();
    this.#role = role;
    return this.#changed();
  }

  /** update follows a reloaded syncDaemon section (null: none). */
  update(config: SyncDaemonConfig | null): Promise<void> {
    this.#config = config;
    return this.#changed();
  }

  /** stop ends the tick and waits for a running pass; the daemons keep running. */
  stop(): Promise<void> {
    return this.#passes.stop();
  }

  #changed(): Promise<void> {
    this.#inputsChanged = true;
    return this.#passes.request();
  }

  async #pass(): Promise<void> {
    const inputsChanged = this.#inputsChanged;
    this.#inputsChanged = false;
    if (this.#config === null && this.#started.size === 0) return;
    try {
      const running = await this.#ports.syncDaemons.listDaemons();
      // Without a config only what this owner started is its business.
      const owned = this.#config === null ? running.filter((daemon) => this.#started.has(daemon.state)) : running;
      const steps = planSyncDaemons(desiredDaemons(this.#config, this.#role), owned, (wanted, listed) => this.#isCurrent(wanted, listed));
      const drift = !inputsChanged && this.#lastPassClean;
      this.#lastPassClean = false;
      const sysctlsSet = await this.#applySysctls(drift);
      for (const step of steps) await this.#carryOut(step, drift);
      if (this.#config === null) this.#started.clear();
      this.#lastPassClean = sysctlsSet;
    } catch (error) {
      this.stats.errors++;
      this.#ports.log.error({ event: 'sync-daemon.error', err: error }, 'could not converge the sync daemons; re-reading on the next tick');
    }
  }

  /** applySysctls writes the sync sysctls that differ from the config; false (logged, not thrown) when it could not. */
  async #applySysctls(drift: boolean): Promise<boolean> {
    try {
      for (const wanted of desiredSyncSysctls(this.#config)) {
        const previous = await this.#ports.syncSysctls.read(wanted.name);
        if (previous === wanted.value) continue;
        await this.#ports.syncSysctls.write(wanted.name, wanted.value);
        this.stats.sysctlWrites++;
        if (drift) this.stats.repairs++;
        const fields = { event: drift ? 'sync-daemon.sysctl-repair' : 'sync-daemon.sysctl', sysctl: `net.ipv4.vs.${wanted.name}`, value: wanted.value, previous };
        if (drift) this.#ports.log.warn(fields, 'a sync sysctl drifted from the config; set it again');
        else this.#ports.log.info(fields, 'sync sysctl set');
      }
      this.#sysctlFailure = undefined;
      return true;
    } catch (error) {
      this.stats.errors++;
      const message = error instanceof Error ? error.message : String(error);
      if (message !== this.#sysctlFailure) {
        this.#ports.log.error({ event: 'sync-daemon.sysctl-error', err: error }, 'could not set the sync sysctls; the daemons run with the kernel\'s values, retrying on the next tick');
      }
      this.#sysctlFailure = message;
      return false;
    }
  }

  #isCurrent(wanted: SyncDaemon, listed: SyncDaemon): boolean {
    const startedWith = this.#started.get(wanted.state);
    const unchanged = startedWith !== undefined && wanted.maxlen === startedWith.maxlen && sameSettings(wanted, startedWith);
    return unchanged || sameSettings(wanted, listed);
  }

  async #carryOut(step: SyncDaemonStep, drift: boolean): Promise<void> {
    const state = step.kind === 'stop' ? step.state : step.daemon.state;
    if (step.kind === 'stop') {
      await benign(this.#ports.syncDaemons.stopDaemon(state), 'ESRCH');
      this.#started.delete(state);
      this.stats.stops++;
    } else {
      await benign(this.#ports.syncDaemons.startDaemon(step.daemon), 'EEXIST');
      this.#started.set(state, step.daemon);
      this.stats.starts++;
    }
    const fields = { event: drift ? 'sync-daemon.repair' : `sync-daemon.${step.kind}`, syncState: state, role: this.#role };
    if (drift) {
      this.stats.repairs++;
      this.#ports.log.warn(fields, 'the sync daemons drifted from the config; repaired');
    } else {
      this.#ports.log.info(step.kind === 'start' ? { ...fields, syncid: step.daemon.syncid, mcastInterface: step.daemon.mcastInterface } : fields, `sync daemon ${step.kind}`);
    }
  }
}

/** benign waits for a kernel call and swallows the one errno that means "already so". */
async function benign(call: Promise<void>, code: 'EEXIST' | 'ESRCH'): Promise<void> {
  try {
    await call;
  } catch (error) {
    if (!(error instanceof IpvsError && error.code === code)) throw error;
  }
}
