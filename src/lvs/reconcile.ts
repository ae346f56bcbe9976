/**
 * reconcile: the minimal ordered IPVS operations that turn the kernel's table into the desired
 * one. Pure; the owner (ipvs-owner.ts) lists, diffs and applies.
 *
 * Identity is the kernel's lookup key: protocol, family and address:port (or fwmark) for a
 * service, address:port for a real server. Everything else (scheduler, flags, persistence,
 * forwarding, weight, thresholds, tunnel) can be edited in place, and an edit replaces the whole
 * entry (ipvsadm -E / -e; fields left out go back to their defaults), so an edit always carries
 * the full desired entry. A changed identity is simply a different entry: the old one is deleted
 * and the new one added.
 *
 * Order, in four phases: real servers leave managed services first, then services leave, then
 * services are added or edited, then real servers are added or edited. So a service exists
 * before its real servers arrive, and nothing is deleted after something that replaces it was
 * added (the kernel refuses a sync daemon while mixed-family real servers exist; deleting first
 * never creates such a moment). A deleted service takes its real servers with it in the kernel,
 * so it costs one operation, not one per real server.
 *
 * Only services in the desired table are touched. Others stay unless `purgeUnmanaged` is set,
 * or they are `retired`: managed under an earlier config and since removed from it.
 */
import type { IpvsOperation } from '../ipvs/ipvs-port.js';
import { DEFAULT_TUNNEL, type RealServer, type VirtualService, realServerKey, serviceId, serviceKey } from '../ipvs/model.js';
import type { DesiredService, DesiredTable } from './desired-table.js';

/** ReconcileOptions say which services outside the desired table may be deleted. */
export interface ReconcileOptions {
  /** ipvs.purgeUnmanaged: delete every kernel service the config does not declare. */
  readonly purgeUnmanaged: boolean;
  /** serviceKeys tandem managed under an earlier config and no longer declares. */
  readonly retired?: ReadonlySet<string>;
}

/** reconcile lists the operations that make `actual` equal `desired`; see the file comment. */
export function reconcile(desired: DesiredTable, actual: DesiredTable, options: ReconcileOptions): IpvsOperation[] {
  const actualByKey = new Map(actual.services.map((service) => [serviceKey(service), service]));
  const plans = desired.services.map((wanted) => planService(wanted, actualByKey.get(serviceKey(wanted))));
  const desiredKeys = new Set(desired.services.map(serviceKey));
  return orderOperations(plans, removedServices(desiredKeys, actualByKey, options));
}

/**
 * removedServices lists the delete-service operations for the kernel services (`actual`, by
 * serviceKey) that `desired` lacks and `options` allow deleting (the file comment's second phase).
 */
export function removedServices(
  desired: Pick<ReadonlySet<string>, 'has'>,
  actual: ReadonlyMap<string, VirtualService>,
  options: ReconcileOptions,
): IpvsOperation[] {
  const removeServices: IpvsOperation[] = [];
  for (const [key, service] of actual) {
    if (!desired.has(key) && (options.purgeUnmanaged || options.retired?.has(key) === true)) {
      removeServices.push({ kind: 'delete-service', service: serviceId(service) });
    }
  }
  return removeServices;
}

/** orderOperations puts per-service plans and the removed services in the file comment's four phases. */
export function orderOperations(plans: Iterable<ServicePlan>, removeServices: readonly IpvsOperation[]): IpvsOperation[] {
  const removeServers: IpvsOperation[] = [];
  const putService: IpvsOperation[] = [];
  const putServers: IpvsOperation[] = [];
  for (const plan of plans) {
    removeServers.push(...plan.removeServers);
    putService.push(...plan.putService);
    putServers.push(...plan.putServers);
  }
  return [...removeServers, ...removeServices, ...putService, ...putServers];
}

/**
 * reconcileService lists the operations that make one service's kernel entry (`actual`, or
 * undefined when the kernel has none) equal `desired`, in the file comment's order. The owner's
 * verdict fast path uses it on the one service a verdict touched; reconcile runs the same plan
 * for every service, so a weight change is one edit-real-server either way.
 */
export function reconcileService(desired: DesiredService, actual: DesiredService | undefined): IpvsOperation[] {
  const plan = planService(desired, actual);
  return [...plan.removeServers, ...plan.putService, ...plan.putServers];
}

/** ServicePlan is one service's operations, by the phase of the file comment they belong to. */
export interface ServicePlan {
  readonly removeServers: readonly IpvsOperation[];
  readonly putService: readonly IpvsOperation[];
  readonly putServers: readonly IpvsOperation[];
}

/**
 * NOTHING_TO_DO is the plan of every service whose entry is as wanted, shared (planService
 * returns this very object when there is nothing to do): a full pass keeps
 * its plans from its diff to its batch, and at 20,000 real servers one object per converged
 * service would be 1,000 objects the garbage collector copies in between (bench/verdict-latency).
 */
export const NOTHING_TO_DO: ServicePlan = Object.freeze({ removeServers: [], putService: [], putServers: [] });

/**
 * planService is the operations that make one service's kernel entry (`present`, or undefined
 * when none) equal `wanted`. A full pass plans every service of the table, mostly to find
 * nothing to do, so it allocates only what an operation needs: at 20,000 real servers the
 * garbage of the plans is a good part of what the collector stops the JS thread for.
 */
export function planService(wanted: DesiredService, present: DesiredService | undefined): ServicePlan {
  const { realServers, ...settings } = wanted;
  const putService: IpvsOperation[] = [];
  if (present === undefined) putService.push({ kind: 'add-service', service: settings });
  else if (!sameService(wanted, present)) putService.push({ kind: 'edit-service', service: settings });

  // What is left in presentServers once the wanted ones are taken out is what must go.
  const presentServers = new Map<string, RealServer>();
  for (const server of present?.realServers ?? []) presentServers.set(realServerKey(server), server);
  const putServers: IpvsOperation[] = [];
  for (const server of realServers) {
    const key = realServerKey(server);
    const current = presentServers.get(key);
    if (current === undefined) {
      putServers.push({ kind: 'add-real-server', service: serviceId(wanted), realServer: server });
      continue;
    }
    presentServers.delete(key);
    if (!sameRealServer(server, current)) putServers.push({ kind: 'edit-real-server', service: serviceId(wanted), realServer: server });
  }
  const removeServers: IpvsOperation[] = [];
  for (const server of presentServers.values()) {
    removeServers.push({ kind: 'delete-real-server', service: serviceId(wanted), realServer: { address: server.address, port: server.port } });
  }
  if (removeServers.length + putService.length + putServers.length === 0) return NOTHING_TO_DO;
  return { removeServers, putService, putServers };
}

/** sameService compares every editable setting of a service (identity is already equal). */
function sameService(wanted: DesiredService, present: VirtualService): boolean {
  return (
    wanted.scheduler === present.scheduler &&
    wanted.onePacket === present.onePacket &&
    wanted.persistenceEngine === present.persistenceEngine &&
    wanted.persistence?.timeoutSeconds === present.persistence?.timeoutSeconds &&
    wanted.persistence?.netmaskPrefixLength === present.persistence?.netmaskPrefixLength &&
    wanted.schedulerFlags.length === present.schedulerFlags.length &&
    wanted.schedulerFlags.every((flag) => present.schedulerFlags.includes(flag))
  );
}

/**
 * sameRealServer compares every editable setting of a real server. The kernel lists a real
 * server at one of the director's own addresses as 'local' whatever method it was given
 * (ip_vs_ctl.c sets IP_VS_CONN_F_LOCALNODE), so 'local' matches any wanted method; editing it
 * would never converge.
 */
function sameRealServer(wanted: RealServer, present: RealServer): boolean {
  const tunnelsMatch =
    wanted.forward !== 'tunnel' || present.forward !== 'tunnel' || sameTunnel(wanted.tunnel ?? DEFAULT_TUNNEL, present.tunnel ?? DEFAULT_TUNNEL);
  return (
    (present.forward === 'local' || wanted.forward === present.forward) &&
    wanted.weight === present.weight &&
    wanted.upperThreshold === present.upperThreshold &&
    wanted.lowerThreshold === present.lowerThreshold &&
    tunnelsMatch
  );
}

function sameTunnel(a: NonNullable<RealServer['tunnel']>, b: NonNullable<RealServer['tunnel']>): boolean {
  return a.type === b.type && a.port === b.port && a.checksum === b.checksum;
}
