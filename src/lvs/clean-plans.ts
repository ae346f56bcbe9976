/**
 * clean-plans: the services a full pass found nothing to do for, remembered by the very
 * objects it compared, so the next pass need not plan them again while neither changed.
 *
 * Planning is pure (reconcile.ts planService) and its inputs are never modified: the desired
 * entry is kept between passes until a verdict, a drain or a reload recomputes it
 * (desired-services.ts), and NetlinkIpvs hands back the last read-back's entry of a service
 * whose rules did not change (unchanged-services.ts). So the same two objects give the same
 * plan. At 20,000 real servers, planning every service on every tick made a key string and a
 * map entry per real server, garbage the collector stopped the JS thread for (bench/verdict-latency).
 */
import type { DesiredService } from './desired-table.js';

/** CleanPlans remembers, by serviceKey, the desired and listed entries last found to need nothing; see the file comment. */
export class CleanPlans {
  readonly #pairs = new Map<string, { readonly wanted: DesiredService; readonly present: DesiredService }>();

  /** has says whether `wanted` against `present` (these objects) was found to need nothing. */
  has(key: string, wanted: DesiredService, present: DesiredService | undefined): boolean {
    const pair = this.#pairs.get(key);
    return pair !== undefined && pair.wanted === wanted && pair.present === present;
  }

  /** note records whether `wanted` against `present` needs nothing (`clean`). */
  note(key: string, wanted: DesiredService, present: DesiredService | undefined, clean: boolean): void {
    if (clean && present !== undefined) this.#pairs.set(key, { wanted, present });
    else this.#pairs.delete(key);
  }

  /** keepOnly forgets the services outside `keys` (a reload dropped them). */
  keepOnly(keys: Pick<ReadonlyMap<string, unknown>, 'has'>): void {
    for (const key of this.#pairs.keys()) if (!keys.has(key)) this.#pairs.delete(key);
  }
}
