/**
 * ipvs-owner: the one module that changes the kernel's IPVS table and global timeouts.
 *
 * Each full pass lists the kernel's table, computes the desired one (desired-table.ts) from the
 * config, the health verdicts and the operator's drains, diffs the two (reconcile.ts) and
 * applies the operations in one batch. A pass runs on every input change and on a tick
 * (DEFAULT_TICK_INTERVAL_MS), so drift such as `ipvsadm -C` or a real server deleted by hand is
 * repaired within one tick, and a refused operation is retried from a fresh listing on the next.
 * Passes run one at a time; asks that arrive while a pass is queued share it.
 *
 * A full pass lists the table outside the owner's write line (serial-passes.ts), on its own
 * port when the daemon gives it one (`tableReads`, a second netlink socket: one socket carries
 * one exchange at a time, so a weight change would otherwise still wait for the listing). It diffs
 * there too, a slice of services at a time with the event loop let run between slices
 * (table-diff.ts, event-loop-slices.ts), against the listing with every operation the kernel
 * accepted from this owner since the listing began replayed (apply-to-rules.ts). Only its batch
 * and a little re-planning take the write line: there it re-plans the services fast passes
 * recomputed or accepted operations named since the listing began, each against its own listed
 * entry, so the line's work grows with those services, not with the table. So a verdict applied
 * while the table was read or diffed is neither undone by a desired entry older than it nor
 * done twice (EEXIST for a real server re-added in remove mode, ENOENT for one deleted again).
 * A reload or a failed fast pass meanwhile makes the diff stale: the pass rebuilds the desired
 * table (desired-services.ts, in slices too) and diffs again outside the line, and diffs the whole
 * table in the line only after EARLY_DIFF_ATTEMPTS stale diffs; a batch that failed outright while
 * it listed makes what the kernel holds unknown, and it lists again in the line.
 *
 * A verdict or a drain takes a fast path instead (issue 5: p99 ≤ 10 ms from verdict to kernel).
 * Everything it can change (weights, quorum, the sorry server) belongs to one virtual service, so
 * a fast pass recomputes only the services whose real servers changed (desiredService), diffs
 * each against what the owner knows the kernel holds for it (reconcileService) and applies the
 * few operations in one batch (known-services.ts says what the owner knows and when it reads).
 * Fast passes queue in the write line, so they never interleave with a full pass's batch, but
 * they do not wait for its listing; verdicts that arrive while one is queued join it, and a
 * full pass runs the queued ones first, so their changes are not taken for drift. The tick's
 * full pass remains the safety net: drift such as a weight edited by hand is found and counted
 * there.
 *
 * Drift is counted: operations needed by a pass when no input changed since the previous clean
 * pass mean the kernel moved under us. The table is programmed the same on both directors,
 * whatever their role, so a standby is ready the moment it becomes master.
 *
 * Failures are logged and counted, never thrown to the caller: the next tick retries them.
 * stop() leaves the table as it is; the kernel keeps forwarding without tandem.
 */
import type { Logger } from 'pino';
import type { IpvsConfig, VirtualServer } from '../config/types.js';
import type { MonotonicClock } from '../election-runtime/monotonic-clock.js';
import type { IpvsOperation, IpvsPort, OperationOutcome } from '../ipvs/ipvs-port.js';
import { type IpvsRules, serviceKey } from '../ipvs/model.js';
import { applyToRules } from './apply-to-rules.js';
import { CleanPlans } from './clean-plans.js';
import { reportBatch } from './ipvs-batch-report.js';
import { IpvsTimeouts } from './ipvs-timeouts.js';
import { KnownServices } from './known-services.js';
import { ipvsServiceId, realServerRef } from './config-to-ipvs.js';
import type { DesiredService, Verdict } from './desired-table.js';
import { DesiredServices } from './desired-services.js';
import { yieldLoop } from '../event-loop/yield-loop.js';
import { WritesFirst } from '../netlink/dump-runner.js';
import { reconcile, reconcileService } from './reconcile.js';
import { SerialPasses } from './serial-passes.js';
import { type TableDiff, diffTable, replan } from './table-diff.js';

/** IpvsOwnerConfig is the part of the config the owner follows; a reload passes a new one. */
export interface IpvsOwnerConfig {
  readonly virtualServers: readonly VirtualServer[];
  readonly ipvs: IpvsConfig;
}

/**
 * IpvsOwnerPorts are the kernel table, the clock for the tick, and a logger bound to component
 * "ipvs". `tableReads` is the same table on a second netlink socket, for full passes' listings
 * (see the file comment); without it they list on `ipvs`. `writesFirst` is the gate the owner
 * holds while a batch is in flight and its full pass's slices wait for: give it the one the
 * listing socket yields to (src/cli/run.ts), so that one gate orders writes before both; without
 * it the owner keeps its own.
 */
export interface IpvsOwnerPorts {
  readonly ipvs: IpvsPort;
  readonly tableReads?: Pick<IpvsPort, 'listRules'> | undefined;
  readonly writesFirst?: WritesFirst | undefined;
  readonly clock: MonotonicClock;
  readonly log: Logger;
}

/** IpvsOwnerOptions: how often to re-read the kernel while no input changes. */
export interface IpvsOwnerOptions {
  readonly tickIntervalMs: number;
}

/** DEFAULT_TICK_INTERVAL_MS re-reads the table twice a second, so drift is repaired within the 1 s. */
export const DEFAULT_TICK_INTERVAL_MS = 500;

/** IpvsOwnerStats are counters for status and metrics. */
export interface IpvsOwnerStats {
  /** Full passes: listing, whole-table diff, batch. */
  passes: number;
  /** Fast passes: the services a verdict or drain touched, diffed against what the owner knows. */
  fastPasses: number;
  /** Operations the kernel accepted. */
  operations: number;
  /** Accepted operations that repaired drift (see the file comment). */
  repairs: number;
  /** Operations the kernel refused. */
  refused: number;
  /** Passes that failed outright (a listing or the batch itself threw). */
  errors: number;
}

/**
 * ListingLog is what the owner changed while a full pass listed and diffed the table: the
 * operations the kernel accepted, in order, whether a batch failed outright (its effect
 * unknown), and the services fast passes recomputed (the pass re-plans them).
 */
interface ListingLog {
  readonly accepted: IpvsOperation[];
  unknown: boolean;
  readonly touched: Set<string>;
}

/** EarlyDiff is a full pass's diff taken outside the write line, valid while the config and the desired table's map are these objects. */
interface EarlyDiff {
  readonly config: IpvsOwnerConfig;
  readonly desired: ReadonlyMap<string, DesiredService>;
  readonly diff: TableDiff;
}

/**
 * EARLY_DIFF_ATTEMPTS bounds how often a full pass diffs again outside the write line after a
 * reload or a failed fast pass made its diff stale; past that it diffs the whole table in the line.
 */
const EARLY_DIFF_ATTEMPTS = 3;

/** IpvsOwner keeps the kernel's IPVS table equal to config ⊕ health ⊕ drains; see the file comment. */
export class IpvsOwner {
  readonly stats: IpvsOwnerStats = { passes: 0, fastPasses: 0, operations: 0, repairs: 0, refused: 0, errors: 0 };
  #config: IpvsOwnerConfig;
  readonly #ports: IpvsOwnerPorts;
  readonly #passes: SerialPasses;
  readonly #verdicts = new Map<string, Verdict>();
  readonly #drains = new Set<string>();
  /** #serviceOfRef maps each configured realServerRef to its virtual server, for the fast path. */
  #serviceOfRef: ReadonlyMap<string, VirtualServer>;
  /** #known is what the owner knows the kernel holds, for fast passes (known-services.ts). */
  readonly #known: KnownServices;
  /** #dirty holds the realServerRefs whose verdict or drain changed since the queued fast pass began. */
  readonly #dirty = new Set<string>();
  #fastQueued: Promise<void> | undefined;
  /** #desired is each configured service's desired entry for the current inputs (desired-services.ts). */
  readonly #desired: DesiredServices;
  /** #cleanPlans spares a full pass's diff the services it found converged last time, as the same entries (clean-plans.ts). */
  readonly #cleanPlans = new CleanPlans();
  /** #listingLog is what this owner changed since the running full pass began its listing; undefined while none lists. */
  #listingLog: ListingLog | undefined;
  /** #writes is held while a batch is in flight: a full pass's slices outside the line wait for it (#yieldToWrites). */
  readonly #writes: WritesFirst;
  /** Services dropped from the config by a reload, deleted even without purgeUnmanaged. */
  readonly #retired = new Set<string>();
  readonly #timeouts: IpvsTimeouts;
  #inputsChanged = true;
  #lastPassClean = false;
  /** Refusals and the error of the previous pass: a repeat every tick is logged at debug, not error. */
  #refusedBefore = new Set<string>();
  #errorBefore: string | undefined;

  constructor(config: IpvsOwnerConfig, ports: IpvsOwnerPorts, options: IpvsOwnerOptions = { tickIntervalMs: DEFAULT_TICK_INTERVAL_MS }) {
    this.#config = config;
    this.#serviceOfRef = serviceOfRef(config.virtualServers);
    this.#ports = ports;
    this.#writes = ports.writesFirst ?? new WritesFirst();
    this.#timeouts = new IpvsTimeouts(ports.ipvs, ports.log);
    this.#known = new KnownServices(ports.ipvs);
    this.#desired = new DesiredServices({ verdicts: this.#verdicts, drains: this.#drains }, ports.log);
    this.#passes = new SerialPasses(() => this.#pass(), ports.clock, options.tickIntervalMs);
  }

  /** start applies the timeouts and the table once, then keeps them on the tick. */
  start(): Promise<void> {
    this.#passes.startTicking();
    return this.#changed();
  }

  /** setVerdict records a health checker's verdict for one real server (by realServerRef). */
  setVerdict(realServerRef: string, verdict: Verdict): Promise<void> {
    if (this.#verdicts.get(realServerRef) === verdict) return this.#passes.settled();
    this.#verdicts.set(realServerRef, verdict);
    return this.#fast(realServerRef);
  }

  /** drain sets a real server to weight 0 until undrain, whatever its health. */
  drain(realServerRef: string): Promise<void> {
    if (this.#drains.has(realServerRef)) return this.#passes.settled();
    this.#drains.add(realServerRef);
    return this.#fast(realServerRef);
  }

  /** undrain gives a drained real server back to its health verdict. */
  undrain(realServerRef: string): Promise<void> {
    if (!this.#drains.delete(realServerRef)) return this.#passes.settled();
    return this.#fast(realServerRef);
  }

  /** update follows a reloaded config: a diff, not a restart. Services it drops are deleted. */
  update(config: IpvsOwnerConfig): Promise<void> {
    const keep = new Set(config.virtualServers.map((vs) => serviceKey(ipvsServiceId(vs))));
    for (const vs of this.#config.virtualServers) {
      const key = serviceKey(ipvsServiceId(vs));
      if (!keep.has(key)) this.#retired.add(key);
    }
    for (const key of keep) this.#retired.delete(key);
    this.#config = config;
    this.#serviceOfRef = serviceOfRef(config.virtualServers);
    this.#desired.invalidate();
    return this.#changed();
  }

  /** quorum is each configured service's quorum after the last pass, by serviceKey. */
  get quorum(): ReadonlyMap<string, boolean> {
    return this.#desired.quorum;
  }

  /** stop ends the tick and waits for a running pass; the kernel table stays as it is. */
  stop(): Promise<void> {
    return this.#passes.stop();
  }

  #changed(): Promise<void> {
    this.#inputsChanged = true;
    return this.#passes.request();
  }

  /** #fast queues a fast pass for the service of `ref`, or joins the queued one; a ref the config lacks changes nothing. */
  #fast(ref: string): Promise<void> {
    if (!this.#serviceOfRef.has(ref)) return this.#passes.settled();
    this.#dirty.add(ref);
    this.#fastQueued ??= this.#passes.exclusive(() => this.#fastPass());
    return this.#fastQueued;
  }

  /** #fastPass applies the verdicts and drains of #dirty; it runs in the write line. */
  async #fastPass(): Promise<void> {
    this.#fastQueued = undefined;
    if (this.#dirty.size === 0) return;
    const services = new Map<string, VirtualServer>();
    for (const ref of this.#dirty) {
      const vs = this.#serviceOfRef.get(ref);
      if (vs !== undefined) services.set(serviceKey(ipvsServiceId(vs)), vs);
    }
    this.#dirty.clear();
    this.stats.fastPasses++;
    const wanted = new Map<string, DesiredService>();
    const operations: IpvsOperation[] = [];
    try {
      for (const vs of services.values()) {
        const { key, service } = this.#desired.recompute(vs);
        wanted.set(key, service);
        this.#listingLog?.touched.add(key);
        operations.push(...reconcileService(service, await this.#known.entry(key, vs)));
      }
      const outcomes = await this.#apply(operations);
      if (this.#known.remember(wanted, operations, outcomes).size > 0) this.#lastPassClean = false;
      for (const label of this.#report(operations, outcomes, false)) this.#refusedBefore.add(label);
    } catch (error) {
      // Services after the one that threw were not recomputed.
      this.#desired.invalidate();
      this.#known.forget(services.keys());
      this.#failed(error);
    }
  }

  /**
   * #apply runs a batch (none when empty) and logs what the kernel accepted for a full pass
   * that is listing; a batch that throws leaves that pass's listing of unknown worth.
   */
  async #apply(operations: readonly IpvsOperation[]): Promise<readonly OperationOutcome[]> {
    if (operations.length === 0) return [];
    let outcomes: readonly OperationOutcome[];
    const release = this.#writes.hold();
    try {
      outcomes = await this.#ports.ipvs.apply(operations);
    } catch (error) {
      if (this.#listingLog !== undefined) this.#listingLog.unknown = true;
      throw error;
    } finally {
      release();
    }
    const log = this.#listingLog;
    if (log !== undefined) {
      operations.forEach((operation, index) => {
        if (outcomes[index]?.ok === true) log.accepted.push(operation);
      });
    }
    return outcomes;
  }

  /** #pass lists the table and diffs it outside the write line, then converges inside it; see the file comment. */
  async #pass(): Promise<void> {
    this.stats.passes++;
    const log: ListingLog = { accepted: [], unknown: false, touched: new Set() };
    this.#listingLog = log;
    const listed = await this.#listRules().then(
      (rules) => ({ rules }),
      (error: unknown) => ({ error }),
    );
    const early = 'error' in listed ? undefined : await this.#diffEarly(listed.rules, log);
    await this.#passes.exclusive(async () => {
      try {
        // Verdicts queued behind this pass go first, so the diff does not take their changes for drift.
        await this.#fastPass();
        this.#listingLog = undefined;
        const inputsChanged = this.#inputsChanged;
        this.#inputsChanged = false;
        // The table matters more than the timeouts: a refusal is counted, and the pass goes on.
        if (!(await this.#timeouts.apply(this.#config.ipvs.timeouts))) this.stats.errors++;
        if ('error' in listed) throw listed.error;
        await this.#converge(listed.rules, inputsChanged, early, log);
        this.#errorBefore = undefined;
      } catch (error) {
        this.#listingLog = undefined;
        this.#known.forget();
        this.#failed(error);
      }
    });
  }

  /**
   * #diffEarly diffs the desired table against the listing with what was accepted so far
   * replayed, a slice at a time (table-diff.ts), so a verdict that arrives meanwhile takes the
   * write line before this pass does instead of waiting for its diff. A reload or a failed fast
   * pass meanwhile makes the diff stale: it rebuilds the desired table (in slices too) and diffs
   * again, up to EARLY_DIFF_ATTEMPTS times; undefined when it gave up or the listing's worth is unknown.
   */
  async #diffEarly(rules: IpvsRules, log: ListingLog): Promise<EarlyDiff | undefined> {
    for (let attempt = 0; attempt < EARLY_DIFF_ATTEMPTS && !log.unknown; attempt++) {
      const config = this.#config;
      const desired = await this.#desired.rebuild(config.virtualServers, this.#yieldToWrites);
      if (desired === undefined || config !== this.#config) continue;
      const options = { purgeUnmanaged: config.ipvs.purgeUnmanaged, retired: new Set(this.#retired) };
      const early = { config, desired, diff: await diffTable(desired, rules, [...log.accepted], options, this.#yieldToWrites, this.#cleanPlans) };
      if (this.#isCurrent(early)) return early;
    }
    return undefined;
  }

  /**
   * #yieldToWrites lets the event loop run between a full pass's slices, then waits for this
   * owner's batches in flight: a verdict's weight change then has the JS thread to itself when
   * its ack arrives, instead of waiting behind the next slice (bench/verdict-latency, 18:30).
   */
  readonly #yieldToWrites = async (): Promise<void> => {
    await yieldLoop();
    await this.#writes.whenClear();
  };

  /** #isCurrent says whether `early` was diffed for the config and the desired table the owner has now. */
  #isCurrent(early: EarlyDiff): boolean {
    return early.config === this.#config && early.desired === this.#desired.current;
  }

  // The rules-only read: reconciling never needs counters, and skipping them is most of a large table's read-back.
  #listRules(): Promise<IpvsRules> {
    return (this.#ports.tableReads ?? this.#ports.ipvs).listRules();
  }

  #failed(error: unknown): void {
    this.stats.errors++;
    this.#lastPassClean = false;
    const text = String(error);
    this.#ports.log[text === this.#errorBefore ? 'debug' : 'error']({ event: 'ipvs.error', err: error }, 'could not converge the IPVS table; re-reading on the next tick');
    this.#errorBefore = text;
  }

  /**
   * #converge works out the difference between the desired table and `listing` with the
   * operations accepted since it began replayed, and applies it; it runs in the write line. With
   * a still current `early` diff it re-plans only the services changed since (fast passes,
   * operations accepted after it began: a fast pass begun before the listing may land after the
   * diff), so the line costs those services, not the table. Otherwise, or when a batch failed
   * outright meanwhile (the listing is then re-read), it diffs the whole table.
   */
  async #converge(listing: IpvsRules, inputsChanged: boolean, early: EarlyDiff | undefined, log: ListingLog): Promise<void> {
    let desired: ReadonlyMap<string, DesiredService>;
    let present: Pick<ReadonlySet<string>, 'has'>;
    let operations: IpvsOperation[];
    if (early !== undefined && !log.unknown && this.#isCurrent(early)) {
      desired = early.desired;
      // Retired services are not configured, so no accepted operation names them: the listing says which are left.
      present = early.diff.listed;
      operations = replan(early.diff, log.touched, desired, log.accepted);
    } else {
      const actual = log.unknown ? await this.#listRules() : applyToRules(listing, log.accepted);
      desired = this.#desired.now(this.#config.virtualServers);
      present = new Set(actual.services.map(serviceKey));
      operations = reconcile({ services: [...desired.values()] }, actual, { purgeUnmanaged: this.#config.ipvs.purgeUnmanaged, retired: this.#retired });
    }
    for (const key of this.#retired) if (!present.has(key)) this.#retired.delete(key);
    const drift = !inputsChanged && this.#lastPassClean;
    const outcomes = await this.#apply(operations);
    this.#known.forget();
    this.#lastPassClean = this.#known.remember(desired, operations, outcomes).size === 0;
    this.#refusedBefore = this.#report(operations, outcomes, drift);
  }

  /** #report logs and counts a batch's outcomes (ipvs-batch-report.ts), and returns the labels of the refused operations. */
  #report(operations: readonly IpvsOperation[], outcomes: readonly OperationOutcome[], drift: boolean): Set<string> {
    return reportBatch(operations, outcomes, drift, { log: this.#ports.log, stats: this.stats, refusedBefore: this.#refusedBefore });
  }
}

/** serviceOfRef maps every configured real server's realServerRef to its virtual server. */
function serviceOfRef(virtualServers: readonly VirtualServer[]): ReadonlyMap<string, VirtualServer> {
  const byRef = new Map<string, VirtualServer>();
  for (const vs of virtualServers) for (const rs of vs.realServers) byRef.set(realServerRef(vs, rs), vs);
  return byRef;
}
