/**
 * health-component: the daemon's health checks. It builds the probes of every real server's
 * effective check (identical checks share one probe, probe-set.ts), runs them on the check
 * scheduler, and hands each verdict change to the IPVS owner, one real server at a time.
 *
 * The health modules name a real server by its virtual server's `name` (RealServerRef); the
 * IPVS owner keys verdicts by its kernel identity (lvs/config-to-ipvs.ts realServerRef). This
 * glue translates between the two through the config in force, so neither side learns the
 * other's words.
 */
import type { Logger } from 'pino';
import type { Config, VirtualServer } from '../config/types.js';
import type { MonotonicClock } from '../election-runtime/monotonic-clock.js';
import { CheckScheduler, type VerdictChange } from '../health/check-scheduler.js';
import type { Checker } from '../health/checker.js';
import { probesFor, type RealServerRef } from '../health/probe-set.js';
import { realServerRef } from '../lvs/config-to-ipvs.js';
import type { Verdict } from '../lvs/desired-table.js';
import type { DaemonComponent } from './daemon-component.js';

/** VerdictSink is the part of IpvsOwner the health component feeds. */
export interface VerdictSink {
  setVerdict(realServerRef: string, verdict: Verdict): Promise<void>;
}

/** HealthComponentPorts: the checker (checkerFor() in production), the clock, the owner and a logger bound to component "health". */
export interface HealthComponentPorts {
  readonly checker: Checker;
  readonly clock: MonotonicClock;
  readonly verdicts: VerdictSink;
  readonly log: Logger;
  /** random feeds the scheduler's jitter; Math.random unless a test fixes it. */
  readonly random?: () => number;
}

/** HealthComponent runs the checks of the config in force; see the file comment. */
export class HealthComponent implements DaemonComponent {
  readonly name = 'health';
  readonly #ports: HealthComponentPorts;
  readonly #scheduler: CheckScheduler;
  #byName: ReadonlyMap<string, VirtualServer>;
  /** #sent is the last verdict handed over per IPVS realServerRef, so a reload can clear those whose probe went. */
  readonly #sent = new Map<string, Verdict>();

  constructor(config: Config, ports: HealthComponentPorts) {
    this.#ports = ports;
    this.#byName = byName(config.virtualServers);
    this.#scheduler = new CheckScheduler({
      clock: ports.clock,
      checker: ports.checker,
      maxConcurrent: config.health.maxConcurrent,
      onVerdict: (change) => { this.#onVerdict(change); },
      onError: ({ listener, probeKey, error }) => {
        ports.log.error({ event: 'health.listener.error', probe: probeKey, listener, err: error }, 'a health listener threw; the probe keeps running');
      },
      ...(ports.random === undefined ? {} : { random: ports.random }),
    });
    this.#scheduler.update(probesFor(config.virtualServers));
  }

  /** start arms every probe; until its first verdict a real server is at its check's initialState. */
  start(): Promise<void> {
    this.#scheduler.start();
    this.#ports.log.info({ event: 'health.start', probes: this.#scheduler.verdicts().length }, 'health checks started');
    return Promise.resolve();
  }

  /**
   * reload replaces the probe set: a probe whose address and check are unchanged keeps its
   * verdict and rise/fall counters. Every current verdict is handed over again, because a real
   * server added to an existing probe must take that probe's verdict, not its initialState; a
   * real server left without a probe (check removed, or server gone) is handed back as up, so an
   * old "down" cannot quiesce an unchecked server.
   */
  async reload(config: Config): Promise<void> {
    this.#byName = byName(config.virtualServers);
    this.#scheduler.setMaxConcurrent(config.health.maxConcurrent);
    this.#scheduler.update(probesFor(config.virtualServers));
    const current = new Map<string, Verdict>();
    for (const verdict of this.#scheduler.verdicts()) {
      for (const ref of this.#refs(verdict.realServers)) current.set(ref, verdict.up ? 'up' : 'down');
    }
    for (const ref of this.#sent.keys()) if (!current.has(ref)) current.set(ref, 'up');
    this.#sent.clear();
    await Promise.all([...current].map(([ref, verdict]) => this.#send(ref, verdict)));
  }

  /** stop cancels every timer and aborts the checks in flight; the IPVS table keeps the last verdicts. */
  stop(): Promise<void> {
    this.#scheduler.stop();
    return Promise.resolve();
  }

  #onVerdict(change: VerdictChange): void {
    const verdict: Verdict = change.up ? 'up' : 'down';
    const why = change.result.ok ? {} : { reason: change.result.reason, detail: change.result.detail };
    for (const ref of this.#refs(change.realServers)) {
      this.#ports.log[change.up ? 'info' : 'warn']({ event: `health.${verdict}`, rs: ref, probe: change.probeKey, ...why }, `real server ${verdict}`);
      void this.#send(ref, verdict);
    }
  }

  #send(ref: string, verdict: Verdict): Promise<void> {
    this.#sent.set(ref, verdict);
    // The owner logs and retries its own failures; a rejection here would be a bug, logged once.
    return this.#ports.verdicts.setVerdict(ref, verdict).catch((error: unknown) => {
      this.#ports.log.error({ event: 'health.verdict.error', rs: ref, err: error }, 'could not hand a verdict to the IPVS owner');
    });
  }

  /** #refs turns the health modules' refs into the IPVS owner's; a name the config no longer has is skipped. */
  #refs(realServers: readonly RealServerRef[]): string[] {
    const refs: string[] = [];
    for (const rs of realServers) {
      const vs = this.#byName.get(rs.virtualServer);
      if (vs !== undefined) refs.push(realServerRef(vs, rs));
    }
    return refs;
  }
}

function byName(virtualServers: readonly VirtualServer[]): ReadonlyMap<string, VirtualServer> {
  return new Map(virtualServers.map((vs) => [vs.name, vs]));
}
