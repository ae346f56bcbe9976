/**
 * apply-to-rules: what the kernel's table becomes once it has accepted some operations, worked
 * out on a listing instead of read back. Pure.
 *
 * The IPVS owner lists the table without holding its write line, so operations its fast path
 * applies while the listing runs may or may not show in it: a dump walks the table service by
 * service, and a change to a service it has already passed is missed. Replaying every
 * operation accepted since the listing began covers both cases, because each operation here
 * leaves the same result whether or not the listing already showed it: an add or an edit puts
 * the whole entry (ipvsadm -A/-E and -a/-e replace every setting), and a delete removes one that
 * may already be gone. That holds only for accepted operations, which is all the owner passes.
 */
import type { IpvsOperation } from '../ipvs/ipvs-port.js';
import { type IpvsRules, type ServiceRules, realServerKey, serviceKey } from '../ipvs/model.js';

/** applyToRules is `rules` after the kernel accepted `operations` in order; see the file comment. */
export function applyToRules(rules: IpvsRules, operations: readonly IpvsOperation[]): IpvsRules {
  if (operations.length === 0) return rules;
  const services = new Map(rules.services.map((service) => [serviceKey(service), service]));
  for (const operation of operations) {
    const key = serviceKey(operation.service);
    const next = applyToService(services.get(key), operation);
    if (next === undefined) services.delete(key);
    else services.set(key, next);
  }
  return { services: [...services.values()] };
}

/**
 * applyToService is one service's entry (`present`, undefined when the kernel has none) after
 * the kernel accepted `operation`, which must name that service; undefined when it has none
 * then. The IPVS owner patches only the services such operations name, not the whole listing.
 */
export function applyToService(present: ServiceRules | undefined, operation: IpvsOperation): ServiceRules | undefined {
  switch (operation.kind) {
    case 'add-service':
    case 'edit-service':
      return { ...operation.service, realServers: present?.realServers ?? [] };
    case 'delete-service':
      return undefined;
    case 'add-real-server':
    case 'edit-real-server':
      // The kernel refuses a real server without its service (ESRCH), so an accepted one has it.
      return present === undefined ? undefined : withRealServers(present, putRealServer(present, operation.realServer));
    case 'delete-real-server': {
      const gone = realServerKey(operation.realServer);
      return present === undefined ? undefined : withRealServers(present, present.realServers.filter((rs) => realServerKey(rs) !== gone));
    }
  }
}
function putRealServer(service: ServiceRules, realServer: ServiceRules['realServers'][number]): ServiceRules['realServers'] {
  const key = realServerKey(realServer);
  const others = service.realServers.filter((rs) => realServerKey(rs) !== key);
  return [...others, realServer];
}

function withRealServers(service: ServiceRules, realServers: ServiceRules['realServers']): ServiceRules {
  return { ...service, realServers };
}
