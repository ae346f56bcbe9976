/**
 * desired-services: the IPVS owner's desired entry of every configured virtual service, kept
 * between passes, and each service's quorum.
 *
 * Every verdict and drain reaches a fast pass, which recomputes its one service (`recompute`),
 * so the whole table is rebuilt only when the config changed or a fast pass failed midway
 * (`invalidate`). At 20,000 real servers a rebuild costs the JS thread 100–130 ms on a loaded
 * host (bench/verdict-latency), so a full pass rebuilds outside the write line, a slice at a time
 * with the event loop let run between slices (`rebuild`); a fast pass meanwhile updates the
 * services already rebuilt, and the rest are computed after it from the inputs it left. Only a
 * pass that must converge without its early diff rebuilds in one go (`now`).
 */
import type { Logger } from 'pino';
import type { VirtualServer } from '../config/types.js';
import { serviceKey } from '../ipvs/model.js';
import { reportQuorum } from './ipvs-batch-report.js';
import { type DesiredInputs, type DesiredService, desiredService, desiredTable } from './desired-table.js';
import { Slices } from './event-loop-slices.js';

/** DesiredServices is the owner's desired table by serviceKey, in config order; see the file comment. */
export class DesiredServices {
  readonly #inputs: Pick<DesiredInputs, 'verdicts' | 'drains'>;
  readonly #log: Logger;
  #services: Map<string, DesiredService> | undefined;
  /** #rebuilding is the table a running `rebuild` has filled so far. */
  #rebuilding: Map<string, DesiredService> | undefined;
  /** #generation counts invalidations, so a rebuild that one overtook knows it is stale. */
  #generation = 0;
  #quorum = new Map<string, boolean>();

  /** `inputs` are the owner's verdicts and drains, read (never written) at each computation. */
  constructor(inputs: Pick<DesiredInputs, 'verdicts' | 'drains'>, log: Logger) {
    this.#inputs = inputs;
    this.#log = log;
  }

  /** quorum is each configured service's quorum as last computed, by serviceKey. */
  get quorum(): ReadonlyMap<string, boolean> {
    return this.#quorum;
  }

  /** current is the whole table, or undefined while it must be rebuilt; a new object after each rebuild. */
  get current(): ReadonlyMap<string, DesiredService> | undefined {
    return this.#services;
  }

  /** recompute computes one service from the current inputs, keeps it, logs a quorum change and returns it with its key. */
  recompute(vs: VirtualServer): { readonly key: string; readonly service: DesiredService } {
    const { key, service } = this.#compute(vs);
    if (this.#services !== undefined) this.#services.set(key, service);
    // A service the running rebuild has not reached yet is computed there, in its config order.
    else if (this.#rebuilding?.has(key) === true) this.#rebuilding.set(key, service);
    return { key, service };
  }

  /** invalidate drops the table (a reload, a fast pass that failed midway): the next pass rebuilds it. */
  invalidate(): void {
    this.#services = undefined;
    this.#rebuilding = undefined;
    this.#generation++;
  }

  /**
   * rebuild is the table for `virtualServers`, rebuilt a slice at a time when needed (see the
   * file comment), or undefined when it was invalidated meanwhile.
   */
  async rebuild(virtualServers: readonly VirtualServer[], yieldLoop: () => Promise<void>): Promise<ReadonlyMap<string, DesiredService> | undefined> {
    if (this.#services !== undefined) return this.#services;
    const generation = this.#generation;
    const built = new Map<string, DesiredService>();
    this.#rebuilding = built;
    const slices = new Slices(yieldLoop);
    for (const vs of virtualServers) {
      const { key, service } = this.#compute(vs);
      built.set(key, service);
      await slices.done(vs.realServers.length + 1);
      if (generation !== this.#generation) return undefined;
    }
    for (const key of this.#quorum.keys()) if (!built.has(key)) this.#quorum.delete(key);
    this.#rebuilding = undefined;
    this.#services = built;
    return built;
  }

  /** now is the table for `virtualServers`, rebuilt in one go when needed. */
  now(virtualServers: readonly VirtualServer[]): ReadonlyMap<string, DesiredService> {
    if (this.#services === undefined) {
      const { table, quorum } = desiredTable({ virtualServers, ...this.#inputs, quorum: this.#quorum });
      reportQuorum(this.#log, this.#quorum, quorum);
      this.#quorum = new Map(quorum);
      // A rebuild still running (none does while the owner's line holds) would now be stale.
      this.#rebuilding = undefined;
      this.#generation++;
      this.#services = new Map(table.services.map((service) => [serviceKey(service), service]));
    }
    return this.#services;
  }

  #compute(vs: VirtualServer): { key: string; service: DesiredService } {
    const { service, hasQuorum } = desiredService(vs, { ...this.#inputs, quorum: this.#quorum });
    const key = serviceKey(service);
    reportQuorum(this.#log, this.#quorum, new Map([[key, hasQuorum]]));
    this.#quorum.set(key, hasQuorum);
    return { key, service };
  }
}
