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
    const present = services.get(key);
    switch (operation.kind) {
      case 'add-service':
      case 'edit-service':
        services.set(key, { ...operation.service, realServers: present?.realServers ?? [] });
        break;
      case 'delete-service':
        services.delete(key);
        break;
      case 'add-real-server':
      case 'edit-real-server':
        // The kernel refuses a real server without its service (ESRCH), so an accepted one has it.
        if (present !== undefined) services.set(key, withRealServers(present, putRealServer(present, operation.realServer)));
        break;
      case 'delete-real-server': {
        const gone = realServerKey(operation.realServer);
        if (present !== undefined) services.set(key, withRealServers(present, present.realServers.filter((rs) => realServerKey(rs) !== gone)));
        break;
      }
    }
  }
  return { services: [...services.values()] };
}

function putRealServer(service: ServiceRules, realServer: ServiceRules['realServers'][number]): ServiceRules['realServers'] {
  const key = realServerKey(realServer);
  const others = service.realServers.filter((rs) => realServerKey(rs) !== key);
  return [...others, realServer];
}

function withRealServers(service: ServiceRules, realServers: ServiceRules['realServers']): ServiceRules {
  return { ...service, realServers };
}
