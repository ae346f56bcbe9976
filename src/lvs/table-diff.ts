/**
 * table-diff: a full pass's diff, worked out service by service outside the owner's write line
 * and patched inside it for the services that changed meanwhile.
 *
 * At 20,000 real servers the whole-table diff costs the JS thread 30–40 ms (bench/verdict-latency),
 * and a verdict that arrives while the write line holds it waits that long (issue 5's goal is
 * 10 ms). So the owner diffs against its listing before it takes the write line, yielding the
 * event loop between slices of services (event-loop-slices.ts) so a verdict gets its turn; inside the
 * line it re-plans only the services a fast pass recomputed or an accepted operation named
 * (`replan`), each against its listed entry with those operations replayed (apply-to-rules.ts).
 * The plans are per service (reconcile.ts planService), so one service's plan depends only on
 * its own desired and listed entries, and re-planning the touched ones gives exactly what a
 * whole-table reconcile of the listing with every accepted operation replayed would; the line
 * never walks the whole listing or the whole desired table.
 */
import type { IpvsOperation } from '../ipvs/ipvs-port.js';
import { type IpvsRules, type ServiceRules, serviceKey } from '../ipvs/model.js';
import { applyToService } from './apply-to-rules.js';
import type { DesiredService } from './desired-table.js';
import { CleanPlans } from './clean-plans.js';
import { Slices } from './event-loop-slices.js';
import { NOTHING_TO_DO, type ReconcileOptions, type ServicePlan, orderOperations, planService, removedServices } from './reconcile.js';

/**
 * TableDiff is each desired service's plan, by serviceKey in the desired table's order, the keys
 * of the plans that have operations (in a table that has converged, none: the write line then
 * need not walk the plans), the services to delete, and the listing it was planned against, by
 * serviceKey, as read (before any accepted operation was replayed on it).
 */
export interface TableDiff {
  readonly plans: Map<string, ServicePlan>;
  readonly planned: Set<string>;
  readonly removeServices: readonly IpvsOperation[];
  readonly listed: ReadonlyMap<string, ServiceRules>;
}

/**
 * diffTable plans every `desired` service against `listing` with `accepted` (operations the
 * kernel accepted, in order, since the listing began) replayed on it, awaiting `yieldLoop` after
 * each slice of real servers (event-loop-slices.ts). Services outside `desired` are deleted as `options` allow; the
 * owner's fast passes, the only source of `accepted` operations, touch configured services only.
 * A service `clean` remembers as needing nothing, as the same two entries, is not planned again.
 */
export async function diffTable(
  desired: ReadonlyMap<string, DesiredService>,
  listing: IpvsRules,
  accepted: readonly IpvsOperation[],
  options: ReconcileOptions,
  yieldLoop: () => Promise<void>,
  clean = new CleanPlans(),
): Promise<TableDiff> {
  const slices = new Slices(yieldLoop);
  const listed = new Map<string, ServiceRules>();
  for (const service of listing.services) {
    listed.set(serviceKey(service), service);
    await slices.done(1);
  }
  const byService = acceptedByService(accepted);
  const diff: TableDiff = { plans: new Map(), planned: new Set(), removeServices: [], listed };
  for (const [key, wanted] of desired) {
    const present = replayed(listed.get(key), byService.get(key));
    if (clean.has(key, wanted, present)) {
      setPlan(diff, key, NOTHING_TO_DO);
      await slices.done(1);
      continue;
    }
    const plan = planService(wanted, present);
    clean.note(key, wanted, present, plan === NOTHING_TO_DO);
    setPlan(diff, key, plan);
    await slices.done(wanted.realServers.length + 1);
  }
  clean.keepOnly(desired);
  const removeServices = removedServices(desired, listed, options);
  await yieldLoop();
  return { ...diff, removeServices };
}

/**
 * replan re-plans the services of `diff` that are `touched` or that an `accepted` operation names
 * (every operation the kernel accepted since the listing began, in order) against their current
 * desired entry and their listed entry with those operations replayed, and returns the whole
 * diff's operations in reconcile's order. It costs the touched services and the operations, not
 * the table. A touched service must be one `diff` planned: a fast path never adds or removes a
 * desired service (a reload does, and the owner diffs again then).
 */
export function replan(diff: TableDiff, touched: Iterable<string>, desired: ReadonlyMap<string, DesiredService>, accepted: readonly IpvsOperation[]): IpvsOperation[] {
  const byService = acceptedByService(accepted);
  for (const key of new Set([...touched, ...byService.keys()])) {
    const wanted = desired.get(key);
    if (wanted !== undefined && diff.plans.has(key)) setPlan(diff, key, planService(wanted, replayed(diff.listed.get(key), byService.get(key))));
  }
  return orderOperations(diff.planned.size === 0 ? [] : diff.plans.values(), diff.removeServices);
}

/** setPlan puts one service's plan in `diff` and notes whether it has operations. */
function setPlan(diff: TableDiff, key: string, plan: ServicePlan): void {
  diff.plans.set(key, plan);
  if (plan.removeServers.length + plan.putService.length + plan.putServers.length > 0) diff.planned.add(key);
  else diff.planned.delete(key);
}

/** acceptedByService groups operations by the serviceKey they name, keeping their order. */
function acceptedByService(accepted: readonly IpvsOperation[]): Map<string, IpvsOperation[]> {
  const byService = new Map<string, IpvsOperation[]>();
  for (const operation of accepted) {
    const key = serviceKey(operation.service);
    const operations = byService.get(key);
    if (operations === undefined) byService.set(key, [operation]);
    else operations.push(operation);
  }
  return byService;
}

/** replayed is a listed service's entry after `operations` (all naming it) were accepted. */
function replayed(listed: ServiceRules | undefined, operations: readonly IpvsOperation[] = []): ServiceRules | undefined {
  return operations.reduce<ServiceRules | undefined>(applyToService, listed);
}
