/**
 * ipvs-owner: the one module that changes the kernel's IPVS table and global timeouts.
 *
 * Each pass lists the kernel's table, computes the desired one (desired-table.ts) from the
 * config, the health verdicts and the operator's drains, diffs the two (reconcile.ts) and
 * applies the operations in one batch. A pass runs on every input change and on a tick
 * (DEFAULT_TICK_INTERVAL_MS), so drift such as `ipvsadm -C` or a real server deleted by hand is
 * repaired within one tick, and a refused operation is retried from a fresh listing on the next.
 * Passes are serialised; inputs that change while one runs are taken by the next, and asks that
 * arrive while a pass is queued share it.
 *
 * A verdict or a drain takes a fast path instead (issue 5: p99 ≤ 10 ms from verdict to kernel).
 * Everything it can change (weights, quorum, the sorry server) belongs to one virtual service, so
 * a fast pass recomputes only the services whose real servers changed (desiredService), diffs
 * each against what the owner knows the kernel holds for it (reconcileService) and applies the
 * few operations in one batch. What the owner knows is the desired entry of each service whose
 * operations were all accepted by the last pass, full or fast; a service it does not know (first
 * pass not run, an operation refused, a batch that threw) is read from the kernel on its own
 * (one GET_SERVICE and one GET_DEST dump), which is the "re-read after an error" of principle 6.
 * Fast passes queue in the same line as full ones, never between a full pass's listing and its
 * batch; verdicts that arrive while one is queued join it. The tick's full pass remains the
 * safety net: drift such as a weight edited by hand is found and counted there.
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
import { realServerKey, serviceKey, type Timeouts } from '../ipvs/model.js';
import { ipvsServiceId, realServerRef } from './config-to-ipvs.js';
import { type DesiredService, type Verdict, desiredService, desiredTable } from './desired-table.js';
import { reconcile, reconcileService } from './reconcile.js';
import { SerialPasses } from './serial-passes.js';

/** IpvsOwnerConfig is the part of the config the owner follows; a reload passes a new one. */
export interface IpvsOwnerConfig {
  readonly virtualServers: readonly VirtualServer[];
  readonly ipvs: IpvsConfig;
}

/** IpvsOwnerPorts are the kernel table, the clock for the tick, and a logger bound to component "ipvs". */
export interface IpvsOwnerPorts {
  readonly ipvs: IpvsPort;
  readonly clock: MonotonicClock;
  readonly log: Logger;
}

/** IpvsOwnerOptions: how often to re-read the kernel while no input changes. */
export interface IpvsOwnerOptions {
  readonly tickIntervalMs: number;
}

/** DEFAULT_TICK_INTERVAL_MS re-reads the table twice a second, so drift is repaired within the 1 s. */
export const DEFAULT_TICK_INTERVAL_MS = 500;

/** DETAILED_LOG_LIMIT is the most operations a pass logs one line each at info (or warn for repairs). */
const DETAILED_LOG_LIMIT = 20;

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
  /** #known is each service's kernel entry as of the last pass that had all its operations accepted, by serviceKey. */
  #known = new Map<string, DesiredService>();
  /** #dirty holds the realServerRefs whose verdict or drain changed since the queued fast pass began. */
  readonly #dirty = new Set<string>();
  #fastQueued: Promise<void> | undefined;
  #quorum = new Map<string, boolean>();
  /** Services dropped from the config by a reload, deleted even without purgeUnmanaged. */
  readonly #retired = new Set<string>();
  #timeoutsSet: Timeouts | undefined;
  #inputsChanged = true;
  #lastPassClean = false;
  /** Refusals and the error of the previous pass: a repeat every tick is logged at debug, not error. */
  #refusedBefore = new Set<string>();
  #errorBefore: string | undefined;

  constructor(config: IpvsOwnerConfig, ports: IpvsOwnerPorts, options: IpvsOwnerOptions = { tickIntervalMs: DEFAULT_TICK_INTERVAL_MS }) {
    this.#config = config;
    this.#serviceOfRef = serviceOfRef(config.virtualServers);
    this.#ports = ports;
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
    return this.#changed();
  }

  /** quorum is each configured service's quorum after the last pass, by serviceKey. */
  get quorum(): ReadonlyMap<string, boolean> {
    return this.#quorum;
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
    this.#fastQueued ??= this.#passes.enqueue(() => this.#fastPass());
    return this.#fastQueued;
  }

  async #fastPass(): Promise<void> {
    this.#fastQueued = undefined;
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
      for (const [key, vs] of services) {
        const { service, hasQuorum } = desiredService(vs, { verdicts: this.#verdicts, drains: this.#drains, quorum: this.#quorum });
        this.#logQuorum(new Map([[key, hasQuorum]]));
        this.#quorum.set(key, hasQuorum);
        wanted.set(key, service);
        operations.push(...reconcileService(service, this.#known.get(key) ?? (await this.#readService(vs))));
      }
      const outcomes = operations.length === 0 ? [] : await this.#ports.ipvs.apply(operations);
      if (this.#remember(wanted, operations, outcomes).size > 0) this.#lastPassClean = false;
      for (const label of this.#report(operations, outcomes, false)) this.#refusedBefore.add(label);
    } catch (error) {
      for (const key of services.keys()) this.#known.delete(key);
      this.#failed(error);
    }
  }

  /** #readService is one service's kernel entry, listed on its own, or undefined when the kernel has none. */
  async #readService(vs: VirtualServer): Promise<DesiredService | undefined> {
    const id = ipvsServiceId(vs);
    const service = await this.#ports.ipvs.getVirtualService(id);
    return service === undefined ? undefined : { ...service, realServers: await this.#ports.ipvs.listRealServers(id) };
  }

  /**
   * #remember records `wanted` as known for every service whose operations were all accepted,
   * forgets the others so the next pass re-reads them, and returns the forgotten keys.
   */
  #remember(wanted: ReadonlyMap<string, DesiredService>, operations: readonly IpvsOperation[], outcomes: readonly OperationOutcome[]): Set<string> {
    const refused = new Set<string>();
    operations.forEach((operation, index) => {
      if (outcomes[index]?.ok !== true) refused.add(serviceKey(operation.service));
    });
    for (const [key, service] of wanted) {
      if (refused.has(key)) this.#known.delete(key);
      else this.#known.set(key, service);
    }
    return refused;
  }

  async #pass(): Promise<void> {
    const inputsChanged = this.#inputsChanged;
    this.#inputsChanged = false;
    this.stats.passes++;
    try {
      await this.#converge(inputsChanged);
      this.#errorBefore = undefined;
    } catch (error) {
      this.#known.clear();
      this.#failed(error);
    }
  }

  #failed(error: unknown): void {
    this.stats.errors++;
    this.#lastPassClean = false;
    const text = String(error);
    this.#ports.log[text === this.#errorBefore ? 'debug' : 'error']({ event: 'ipvs.error', err: error }, 'could not converge the IPVS table; re-reading on the next tick');
    this.#errorBefore = text;
  }

  async #converge(inputsChanged: boolean): Promise<void> {
    await this.#applyTimeouts();
    const { table, quorum } = desiredTable({
      virtualServers: this.#config.virtualServers,
      verdicts: this.#verdicts,
      drains: this.#drains,
      quorum: this.#quorum,
    });
    this.#logQuorum(quorum);
    this.#quorum = new Map(quorum);
    // The rules-only read: reconciling never needs counters, and skipping them is most of a large table's read-back.
    const actual = await this.#ports.ipvs.listRules();
    const present = new Set(actual.services.map(serviceKey));
    for (const key of this.#retired) if (!present.has(key)) this.#retired.delete(key);
    const operations = reconcile(table, actual, { purgeUnmanaged: this.#config.ipvs.purgeUnmanaged, retired: this.#retired });
    const drift = !inputsChanged && this.#lastPassClean;
    const outcomes = operations.length === 0 ? [] : await this.#ports.ipvs.apply(operations);
    this.#known.clear();
    this.#lastPassClean = this.#remember(new Map(table.services.map((service) => [serviceKey(service), service])), operations, outcomes).size === 0;
    this.#refusedBefore = this.#report(operations, outcomes, drift);
  }

  /** #report logs and counts a batch's outcomes, and returns the labels of the refused operations. */
  #report(operations: readonly IpvsOperation[], outcomes: readonly OperationOutcome[], drift: boolean): Set<string> {
    // A whole table at start or after a flush would be thousands of lines: one summary, details at debug.
    const detailed = operations.length <= DETAILED_LOG_LIMIT;
    const refusedNow = new Set<string>();
    operations.forEach((operation, index) => {
      this.#record(operation, outcomes[index], drift, detailed, refusedNow);
    });
    if (!detailed) {
      const refused = outcomes.filter((outcome) => !outcome.ok).length;
      this.#ports.log.info({ event: 'ipvs.applied', operations: operations.length, refused, drift }, 'IPVS table changed');
    }
    return refusedNow;
  }

  #record(operation: IpvsOperation, outcome: OperationOutcome | undefined, drift: boolean, detailed: boolean, refusedNow: Set<string>): void {
    const fields = {
      vs: serviceKey(operation.service),
      ...('realServer' in operation ? { rs: realServerKey(operation.realServer) } : {}),
      ...(operation.kind === 'add-real-server' || operation.kind === 'edit-real-server' ? { weight: operation.realServer.weight } : {}),
    };
    if (outcome === undefined || !outcome.ok) {
      this.stats.refused++;
      const label = `${operation.kind} ${fields.vs} ${fields.rs ?? ''}`;
      refusedNow.add(label);
      const level = this.#refusedBefore.has(label) ? 'debug' : 'error';
      this.#ports.log[level]({ ...fields, event: `ipvs.${operation.kind}.refused`, err: outcome?.error }, 'the kernel refused an IPVS change; retrying on the next tick');
      return;
    }
    this.stats.operations++;
    if (drift) {
      this.stats.repairs++;
      this.#ports.log[detailed ? 'warn' : 'debug']({ ...fields, event: 'ipvs.repair', operation: operation.kind }, 'the IPVS table drifted from the config; repaired');
    } else {
      this.#ports.log[detailed ? 'info' : 'debug']({ ...fields, event: `ipvs.${operation.kind}` }, 'IPVS table changed');
    }
  }

  #logQuorum(next: ReadonlyMap<string, boolean>): void {
    for (const [vs, hasQuorum] of next) {
      const before = this.#quorum.get(vs);
      if (before === undefined || before === hasQuorum) continue;
      const event = hasQuorum ? 'ipvs.quorum.gained' : 'ipvs.quorum.lost';
      this.#ports.log.warn({ vs, event }, hasQuorum ? 'quorum regained' : 'quorum lost; the sorry server, if any, takes new connections');
    }
  }

  /** #applyTimeouts sets ipvs.timeouts when they differ from what this owner last set (at start, after a reload). */
  async #applyTimeouts(): Promise<void> {
    const wanted = this.#config.ipvs.timeouts;
    const last = this.#timeoutsSet;
    if (last !== undefined && last.tcpSeconds === wanted.tcpSeconds && last.tcpFinSeconds === wanted.tcpFinSeconds && last.udpSeconds === wanted.udpSeconds) return;
    // All zero means "leave the kernel's values" (ipvsadm --set 0 0 0 changes nothing), so send nothing.
    if (wanted.tcpSeconds !== 0 || wanted.tcpFinSeconds !== 0 || wanted.udpSeconds !== 0) {
      try {
        await this.#ports.ipvs.setTimeouts(wanted);
      } catch (error) {
        // The table matters more than the timeouts: program it anyway, and retry these next pass.
        this.stats.errors++;
        this.#ports.log.error({ event: 'ipvs.timeouts.error', err: error }, 'could not set the IPVS timeouts; retrying on the next tick');
        return;
      }
      this.#ports.log.info({ event: 'ipvs.timeouts', ...wanted }, 'IPVS timeouts set');
    }
    this.#timeoutsSet = wanted;
  }
}

/** serviceOfRef maps every configured real server's realServerRef to its virtual server. */
function serviceOfRef(virtualServers: readonly VirtualServer[]): ReadonlyMap<string, VirtualServer> {
  const byRef = new Map<string, VirtualServer>();
  for (const vs of virtualServers) for (const rs of vs.realServers) byRef.set(realServerRef(vs, rs), vs);
  return byRef;
}
