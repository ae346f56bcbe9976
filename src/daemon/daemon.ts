/**
 * daemon: tandem's composition root. It loads the config, wires the election thread to the VIP
 * owner and the tracked interfaces, runs the IPVS table, the health checks and the sync daemons
 * as DaemonComponents (lvs-components.ts), reports to systemd, reloads on request and stops in
 * the written order. It owns no kernel resource itself: every port comes in from the caller
 * (src/cli/run.ts passes the real ones, tests pass fakes).
 *
 *   const daemon = await Daemon.start({ configFile, node: 'alpha', hostname }, ports);
 *   await daemon.reload();       // SIGHUP
 *   await daemon.stop();         // SIGTERM: priority-0 advert, VIPs removed, sync daemons settled, components stopped, STOPPING=1
 *   const exit = await daemon.exited;
 */
import type { Level, Logger } from 'pino';
import { ConfigError, formatIssue, type ConfigIssue } from '../config/issues.js';
import { loadConfigFile } from '../config/load.js';
import type { NodeSelection } from '../config/select-node.js';
import type { Config } from '../config/types.js';
import type { ElectionStateName, KeySet } from '../election/types.js';
import { ElectionRuntime, type ElectionRuntimeError, type ElectionRuntimeHandlers, type ElectionRuntimeOptions } from '../election-runtime/election-runtime.js';
import { readKeySet } from '../election-runtime/key-file.js';
import { checkerFor } from '../health/checker-for.js';
import type { Checker } from '../health/checker.js';
import type { ControlEvent, ElectionNotice, ElectionStatus } from '../election-runtime/messages.js';
import type { ThreadPriority } from '../election-runtime/thread-priority.js';
import type { MonotonicClock, ScheduledTimer } from '../election-runtime/monotonic-clock.js';
import type { AddressPort, AnnouncePort, LinkPort, NotifyPort } from '../kernel/ports.js';
import { DEFAULT_VERIFY_INTERVAL_MS, VipOwner } from '../vip/vip-owner.js';
import type { DaemonComponent } from './daemon-component.js';
import { electionRuntimeOptions } from './election-setup.js';
import { InterfaceTracker } from './interface-tracker.js';
import { componentLogger } from './logger.js';
import { type IpvsAccess, lvsComponents, needsIpvs } from './lvs-components.js';
import { planReload } from './reload-plan.js';

export type { DaemonComponent } from './daemon-component.js';

/** ElectionHandle is the part of ElectionRuntime the daemon uses; tests may wrap the real one. */
export type ElectionHandle = Pick<ElectionRuntime, 'send' | 'status' | 'shutdown' | 'terminate' | 'threadPriority'>;

/** DaemonPorts are the kernel, service-manager and clock the daemon runs on. */
export interface DaemonPorts {
  readonly addresses: AddressPort;
  readonly links: LinkPort;
  readonly announcer: AnnouncePort;
  readonly notify: NotifyPort;
  readonly clock: MonotonicClock;
  /** log is the root logger; the daemon makes component children of it. */
  readonly log: Logger;
  /** ipvs is the kernel's IPVS table and sync daemons, or why there are none (lvs-components.ts). */
  readonly ipvs: IpvsAccess;
  /** checker runs the health checks; checkerFor() unless a test passes another. */
  readonly checker?: Checker;
  /** startElection defaults to ElectionRuntime.start (a worker thread on real UDP sockets). */
  readonly startElection?: (options: ElectionRuntimeOptions, handlers: ElectionRuntimeHandlers) => Promise<ElectionHandle>;
}

/** DaemonOptions say which config and node to run, and how the service manager wants pinging. */
export interface DaemonOptions {
  readonly configFile: string;
  /** node names this director; without it the host name picks the node. */
  readonly node?: string | undefined;
  readonly hostname: string;
  /** watchdogIntervalMs: WATCHDOG=1 this often (Notifier.watchdogIntervalMs); undefined for none. */
  readonly watchdogIntervalMs?: number | undefined;
  /** verifyIntervalMs: how often the VIP owner re-reads the kernel; DEFAULT_VERIFY_INTERVAL_MS. */
  readonly verifyIntervalMs?: number;
  /** ipvsTickIntervalMs and syncTickIntervalMs: how often the owners re-read the kernel; their defaults otherwise. */
  readonly ipvsTickIntervalMs?: number;
  readonly syncTickIntervalMs?: number;
}

/** DaemonExit is how the daemon ended: 0 after stop(), 1 after the election thread failed. */
export interface DaemonExit {
  readonly code: 0 | 1;
  readonly error?: Error;
}

/** ReloadOutcome: rejected keeps the running state; applied lists what did not take effect. */
export type ReloadOutcome =
  | { readonly ok: false; readonly issues: readonly ConfigIssue[] }
  | { readonly ok: true; readonly restartNeeded: readonly string[]; readonly notYetApplied: readonly string[] };

/** DaemonError is a start-up the daemon refuses; the message says what to pass or fix. */
export class DaemonError extends Error {
  override readonly name = 'DaemonError';
  /** code is stable, for scripts and tests. */
  readonly code: 'TANDEM_NO_NODE';

  constructor(code: 'TANDEM_NO_NODE', message: string) {
    super(message);
    this.code = code;
  }
}

/** Daemon is one running director; see the file comment. */
export class Daemon {
  readonly #options: DaemonOptions;
  readonly #ports: DaemonPorts;
  readonly #log: Logger;
  readonly #electionLog: Logger;
  readonly #vipOwner: VipOwner;
  readonly #tracker: InterfaceTracker;
  /** #components run the IPVS table, health checks and sync daemons, in start order. */
  readonly #components: readonly DaemonComponent[];
  readonly #bootConfig: Config;
  readonly #bootNode: NodeSelection;
  #applied: Config;
  #keys: KeySet;
  #election: ElectionHandle | undefined;
  #role: ElectionStateName | 'starting' = 'starting';
  /** #notices carries out election notices one after another, in the order the thread sent them. */
  #notices: Promise<void> = Promise.resolve();
  /** #announceCoveredByHold: the last addVips already announces, so the announce that follows it is skipped. */
  #announceCoveredByHold = false;
  /** #started are the components whose start() resolved, stopped in reverse order. */
  readonly #started: DaemonComponent[] = [];
  #electionFailed = false;
  #watchdog: ScheduledTimer | undefined;
  #stopping: Promise<void> | undefined;
  #resolveExit: (exit: DaemonExit) => void = () => undefined;
  /** exited resolves once the daemon has stopped, by stop() or because the election thread failed. */
  readonly exited: Promise<DaemonExit>;

  private constructor(options: DaemonOptions, ports: DaemonPorts, config: Config, node: NodeSelection, keys: KeySet) {
    this.#options = options;
    this.#ports = ports;
    this.#log = componentLogger(ports.log, 'daemon');
    this.#electionLog = componentLogger(ports.log, 'election');
    this.#bootConfig = config;
    this.#bootNode = node;
    this.#applied = config;
    this.#keys = keys;
    this.exited = new Promise((resolve) => {
      this.#resolveExit = resolve;
    });
    this.#vipOwner = new VipOwner(
      config.vips,
      config.election.announce,
      { addresses: ports.addresses, links: ports.links, announcer: ports.announcer, clock: ports.clock, log: componentLogger(ports.log, 'vip') },
      { verifyIntervalMs: options.verifyIntervalMs ?? DEFAULT_VERIFY_INTERVAL_MS },
    );
    this.#tracker = new InterfaceTracker(ports.links, node.self.trackInterfaces, (report) => { this.#send(report); }, componentLogger(ports.log, 'kernel'));
    // Throws, before anything starts, when the config needs IPVS and the kernel has none.
    this.#components = lvsComponents(config, 'init', {
      ipvs: ports.ipvs,
      checker: ports.checker ?? checkerFor(),
      clock: ports.clock,
      log: ports.log,
      ipvsTickIntervalMs: options.ipvsTickIntervalMs,
      syncTickIntervalMs: options.syncTickIntervalMs,
    });
  }

  /**
   * start loads the config (throwing ConfigError with every issue), reads the key files, clears
   * any VIP a previous run left, starts the components (so the IPVS table is programmed before
   * this director can become master), then the election, and sends READY=1.
   */
  static async start(options: DaemonOptions, ports: DaemonPorts): Promise<Daemon> {
    const { config, node } = await loadForNode(options);
    const keys = await readKeySet(config.election.authKeyFile, config.election.authKeyFileNext);
    const daemon = new Daemon(options, ports, config, node, keys);
    try {
      await daemon.#start();
    } catch (error) {
      // Undo what did start (timers, subscriptions, a running election), so the process can exit.
      daemon.#stopping ??= daemon.#stop(1, error instanceof Error ? error : new Error(String(error)));
      await daemon.#stopping;
      throw error;
    }
    return daemon;
  }

  /** role is the election state as last reported ('starting' before the first transition). */
  get role(): ElectionStateName | 'starting' {
    return this.#role;
  }

  /** holdingVips says whether the VIP owner is holding (master) or releasing. */
  get holdingVips(): boolean {
    return this.#vipOwner.stats.holding;
  }

  /** electionStatus asks the election thread for a snapshot. */
  electionStatus(): Promise<ElectionStatus> {
    return this.#requireElection().status();
  }

  async #start(): Promise<void> {
    const { self, peer } = this.#bootNode;
    this.#ports.log.level = this.#bootConfig.log.level;
    this.#log.info({ event: 'daemon.start', node: self.name, peer: peer.name, priority: self.priority, configFile: this.#options.configFile }, 'starting');
    // Released first: a VIP left by a crashed run must not linger on a node that may be backup.
    await this.#vipOwner.start();
    for (const component of this.#components) {
      await component.start();
      this.#started.push(component);
    }
    const startElection = this.#ports.startElection ?? ((options, handlers) => ElectionRuntime.start(options, handlers));
    this.#election = await startElection(electionRuntimeOptions(this.#bootConfig, this.#bootNode, this.#keys), {
      notice: (notice) => { this.#onNotice(notice); },
      failed: (error) => { this.#onElectionFailed(error); },
    });
    this.#logThreadPriority(this.#election.threadPriority);
    await this.#tracker.start();
    this.#safeNotify((notify) => { notify.ready(this.#statusText()); });
    this.#scheduleWatchdog();
    this.#log.info({ event: 'daemon.ready' }, 'running');
  }

  /**
   * reload re-reads the config file and key files. A bad config changes nothing: every issue is
   * logged as FILE:LINE:COL and the daemon keeps running. A good one is applied where it can be
   * (VIPs, announce settings, keys, log level, virtual servers, health, sync daemon, IPVS
   * timeouts); every other change is logged as needing a restart or as not yet managed.
   */
  async reload(): Promise<ReloadOutcome> {
    this.#safeNotify((notify) => { notify.reloading('reloading the config'); });
    try {
      return await this.#reload();
    } finally {
      this.#safeNotify((notify) => { notify.ready(this.#statusText()); });
    }
  }

  async #reload(): Promise<ReloadOutcome> {
    const log = componentLogger(this.#ports.log, 'config');
    const result = await loadConfigFile(this.#options.configFile, { node: this.#bootNode.self.name });
    if (!result.ok || result.node === null) {
      const issues = result.ok ? [] : result.issues;
      for (const issue of issues) log.error({ event: 'config.reload.issue', issue: formatIssue(issue) }, formatIssue(issue));
      log.error({ event: 'config.reload.rejected', issues: issues.length }, `reload rejected: ${issues.length} problem(s); the running config stays in force`);
      return { ok: false, issues };
    }
    const { config: next, node } = result;
    const sinceBoot = planReload(this.#bootConfig, this.#bootNode, next, node);
    const sinceApplied = planReload(this.#applied, this.#bootNode, next, node);
    await this.#reloadKeys(next, log);
    if (sinceApplied.vips) {
      await this.#vipOwner.update(next.vips, next.election.announce);
      log.info({ event: 'config.reload.vips', vips: next.vips.map((vip) => `${vip.address}/${vip.prefixLength}`) }, 'VIP list and announce settings applied');
    }
    if (sinceApplied.logLevel !== null) this.#ports.log.level = sinceApplied.logLevel satisfies Level;
    if (sinceApplied.lvs) await this.#reloadComponents(next, log);
    const restartNeeded = [...sinceBoot.restartNeeded];
    if (!this.#ports.ipvs.available && needsIpvs(next)) {
      restartNeeded.push('virtualServers/syncDaemon (this kernel has no IPVS)');
      log.error({ event: 'config.reload.ipvs-unavailable', err: this.#ports.ipvs.error }, `the config now needs IPVS, which this kernel lacks: ${this.#ports.ipvs.error.message}, then restart tandem`);
    }
    for (const path of restartNeeded) {
      log.warn({ event: 'config.reload.restart-needed', path }, `${path} changed: this takes effect only after a restart (systemctl restart tandem)`);
    }
    for (const section of sinceBoot.notYetApplied) {
      log.warn({ event: 'config.reload.not-yet-applied', path: section }, `${section} changed: this daemon does not manage ${section} yet, so the change is not applied`);
    }
    this.#applied = next;
    log.info({ event: 'config.reload.applied', restartNeeded: restartNeeded.length }, 'reload applied');
    return { ok: true, restartNeeded, notYetApplied: sinceBoot.notYetApplied };
  }

  /** #reloadComponents hands the new config to every component in start order; one failing does not stop the rest. */
  async #reloadComponents(next: Config, log: Logger): Promise<void> {
    for (const component of this.#started) {
      try {
        await component.reload?.(next);
      } catch (error) {
        log.error({ event: 'config.reload.component-error', component: component.name, err: error }, `component ${component.name} could not take the new config`);
      }
    }
    log.info({ event: 'config.reload.lvs', virtualServers: next.virtualServers.length, syncDaemon: next.syncDaemon !== null }, 'virtual servers, health, sync daemon and IPVS settings applied');
  }

  /** #reloadKeys re-reads the key files; an unreadable key keeps the old keys (and says so). */
  async #reloadKeys(next: Config, log: Logger): Promise<void> {
    let keys: KeySet;
    try {
      keys = await readKeySet(next.election.authKeyFile, next.election.authKeyFileNext);
    } catch (error) {
      log.error({ event: 'config.reload.keys-rejected', err: error }, 'could not read the key files; the running keys stay in force');
      return;
    }
    if (sameKeys(keys, this.#keys)) return;
    this.#send({ kind: 'keysChanged', keys });
    this.#keys = keys;
    log.info({ event: 'config.reload.keys', next: keys.next !== undefined }, 'election keys changed');
  }

  /**
   * stop shuts down in the written order (design.md, principle 10): the election adverts
   * priority 0 and waits for its successor, the VIPs are removed, the components stop in
   * reverse start order (the sync daemons settle first, see sync-daemon-component.ts; the
   * kernel keeps the IPVS table and the daemons after exit), then STOPPING=1 (the issue puts it
   * last). Calling it twice returns the same promise.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop(0);
    return this.#stopping;
  }

  async #stop(code: 0 | 1, error?: Error): Promise<void> {
    this.#log.info({ event: 'daemon.stop', role: this.#role }, 'stopping');
    this.#watchdog?.cancel();
    this.#watchdog = undefined;
    this.#tracker.stop();
    if (!this.#electionFailed && this.#election !== undefined) {
      try {
        await this.#election.shutdown();
      } catch (shutdownError) {
        this.#electionLog.error({ event: 'election.shutdown.error', err: shutdownError }, 'the election did not stop cleanly; removing the VIPs anyway');
      }
    }
    await this.#notices;
    // Already released by the election's removeVips, unless it failed or did not stop cleanly:
    // then no successor is known to hold the VIPs, and they go at once.
    await this.#vipOwner.release('step-down');
    await this.#vipOwner.stop();
    for (const component of [...this.#started].reverse()) {
      try {
        await component.stop();
      } catch (stopError) {
        this.#log.error({ event: 'component.stop.error', component: component.name, err: stopError }, `component ${component.name} did not stop cleanly`);
      }
    }
    this.#safeNotify((notify) => { notify.stopping('stopped'); });
    this.#log.info({ event: 'daemon.stopped' }, 'stopped');
    this.#resolveExit(error === undefined ? { code } : { code, error });
  }

  #onNotice(notice: ElectionNotice): void {
    const log = this.#electionLog;
    switch (notice.kind) {
      case 'addVips': {
        // hold() starts the announce schedule itself, once the addresses are in place.
        this.#announceCoveredByHold = true;
        const { takeover } = notice;
        this.#enqueue(() => {
          const holding = this.#vipOwner.hold();
          // A successor of a leaving master adverts only on this report, so the old master lets go
          // once every VIP is here and announced, however late this thread runs, and never while a
          // refused add is still being retried (docs/protocol.md "Handover").
          void this.#vipOwner.whenHeld().then((held) => {
            if (held) this.#send({ kind: 'vipsHeld', takeover });
          });
          return holding;
        });
        return;
      }
      case 'removeVips':
        this.#announceCoveredByHold = false;
        // Only a successor that took over (it adverted after our priority-0 adverts) lets the addresses linger.
        this.#enqueue(() => this.#vipOwner.release(notice.reason === 'handover-complete' ? 'handover' : 'step-down'));
        return;
      case 'announce':
        // The core follows addVips with announce (transitions.ts); restarting the burst would send its first packets twice.
        if (this.#announceCoveredByHold) this.#announceCoveredByHold = false;
        else this.#enqueue(() => { this.#vipOwner.announce(); });
        return;
      case 'transition':
        this.#role = notice.to;
        log.info({ event: 'election.transition', from: notice.from, to: notice.to, reason: notice.reason }, `${notice.from} -> ${notice.to} (${notice.reason})`);
        this.#safeNotify((notify) => { notify.status(this.#statusText()); });
        this.#followRole(notice.to);
        return;
      case 'configMismatch':
        if (notice.matching) log.info({ event: 'election.config-match', peer: notice.nodeId }, 'the peer runs the same election settings again');
        else log.error({ event: 'election.config-mismatch', peer: notice.nodeId, localDigest: notice.localDigest, peerDigest: notice.peerDigest }, 'the peer runs different election settings; compare both config files');
        return;
      case 'stall':
        log.warn({ event: 'election.stall', lateByMs: notice.lateByMs }, 'this process stalled; not blaming the peer for it');
        return;
      case 'rejected':
        log.warn({ event: 'election.rejected', reason: notice.reason, suppressedBefore: notice.suppressedBefore }, `advert rejected: ${notice.reason}`);
        return;
    }
  }

  /** #logThreadPriority says what the election thread runs at; a refused realtime policy risks false failovers under load. */
  #logThreadPriority(priority: ThreadPriority | null): void {
    if (priority === null) return;
    const fields = { event: 'election.thread-priority', ...priority };
    const missingFlags = priority.missingNodeFlags ?? [];
    const flagsWarning = missingFlags.length === 0 ? '' : `; node was started without ${missingFlags.join(' ')} (start it through bin/tandem.js), so collections may stall the election thread`;
    if (priority.refused.length === 0 && flagsWarning === '') this.#electionLog.info(fields, `election thread ${priority.threadId ?? '?'} runs ${priority.policy} ${priority.realtimePriority}`);
    else this.#electionLog.warn(fields, `election thread runs ${priority.policy} ${priority.realtimePriority} nice ${priority.nice ?? '?'}${priority.refused.length === 0 ? '' : `: ${priority.refused.join('; ')}`}${flagsWarning}`);
  }

  /** #followRole hands a transition to every component that follows the role; each orders its own kernel calls. */
  #followRole(role: ElectionStateName): void {
    for (const component of this.#started) {
      component.roleChanged?.(role).catch((error: unknown) => {
        this.#log.error({ event: 'component.role.error', component: component.name, role, err: error }, `component ${component.name} could not follow the role change`);
      });
    }
  }

  /** #onElectionFailed: nothing guards the VIPs any more, so drop them and end (systemd restarts us). */
  #onElectionFailed(error: ElectionRuntimeError): void {
    this.#electionFailed = true;
    this.#log.fatal({ event: 'election.failed', err: error }, 'the election thread failed; releasing the VIPs and exiting');
    this.#stopping ??= this.#stop(1, error);
  }

  #enqueue(step: () => Promise<void> | void): void {
    this.#notices = this.#notices.then(step).catch((error: unknown) => {
      this.#log.error({ event: 'daemon.notice.error', err: error }, 'carrying out an election notice failed');
    });
  }

  #send(event: ControlEvent): void {
    if (this.#stopping === undefined) this.#requireElection().send(event);
  }

  #requireElection(): ElectionHandle {
    if (this.#election === undefined) throw new Error('Daemon: the election has not started');
    return this.#election;
  }

  #scheduleWatchdog(): void {
    const intervalMs = this.#options.watchdogIntervalMs;
    if (intervalMs === undefined) return;
    // Pinged from the main loop's own timer, so a blocked loop starves the watchdog (systemd.service(5), WatchdogSec=).
    this.#watchdog = this.#ports.clock.schedule(intervalMs, () => {
      this.#safeNotify((notify) => { notify.watchdog(); });
      if (this.#watchdog !== undefined) this.#scheduleWatchdog();
    });
  }

  #statusText(): string {
    return `role: ${this.#role}; VIPs ${this.#vipOwner.stats.holding ? 'held' : 'not held'}`;
  }

  /** #safeNotify: systemd going away (ECONNREFUSED) must not take the daemon down. */
  #safeNotify(send: (notify: NotifyPort) => void): void {
    try {
      send(this.#ports.notify);
    } catch (error) {
      this.#log.warn({ event: 'notify.error', err: error }, 'could not notify the service manager');
    }
  }
}

/** loadForNode loads the config and insists on knowing which node this director is. */
async function loadForNode(options: DaemonOptions): Promise<{ config: Config; node: NodeSelection }> {
  const result = await loadConfigFile(options.configFile, { node: options.node, hostname: options.hostname });
  if (!result.ok) throw new ConfigError(result.issues);
  if (result.node === null) {
    throw new DaemonError('TANDEM_NO_NODE', `host '${options.hostname}' matches no node in ${options.configFile}; pass --node NAME or set the node's hostname`);
  }
  return { config: result.config, node: result.node };
}

function sameKeys(a: KeySet, b: KeySet): boolean {
  const equal = (x: Uint8Array | undefined, y: Uint8Array | undefined): boolean =>
    x === undefined || y === undefined ? x === y : Buffer.from(x).equals(Buffer.from(y));
  return equal(a.current, b.current) && equal(a.next, b.next);
}
