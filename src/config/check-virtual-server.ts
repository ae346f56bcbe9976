/**
 * check-virtual-server: the rules of one virtual server that span several keys. Most come from
 * ipvsadm(8) or from what the kernel refuses (linux/net/netfilter/ipvs/ip_vs_ctl.c), so a config
 * that passes here is one the kernel will take.
 */
import type { z } from 'zod';
import { familyOf } from './addresses.js';
import {
  effectiveHealthCheck,
  netmaskPrefixLength,
  serviceFamily,
  servicePort,
} from './resolve-virtual-server.js';
import { HEALTH_CHECK_KINDS_WITHOUT_PORT } from './schema-health.js';
import { report } from './schema-primitives.js';
import type { RealServerInput, VirtualServerInput } from './schema-virtual-server.js';

type Ctx = z.core.$RefinementCtx;

/** Destination is what real servers and sorry servers share for these rules. */
interface Destination {
  readonly address: string;
  readonly port: number | null;
  readonly forward: RealServerInput['forward'];
}

/** checkDestination applies the family and port rules to a real or sorry server at `path`. */
function checkDestination(vs: VirtualServerInput, dest: Destination, path: readonly PropertyKey[], ctx: Ctx): void {
  const family = serviceFamily(vs);
  // The kernel accepts a family other than the service's only for tunnel forwarding.
  if (familyOf(dest.address) !== family && dest.forward !== 'tunnel') {
    report(ctx, 'family-mismatch', `${dest.address} is not ${family === 'inet' ? 'IPv4' : 'IPv6'} like its service`, 'With route or masquerade forwarding a real server must have the service\'s address family; only tunnel forwarding can cross families.', [...path, 'address']);
  }
  // ipvsadm rewrites a route/tunnel server's port to the service's, the kernel does not; insist
  // they agree so both tools show the same table. fwmark services keep any port.
  if (vs.protocol !== 'fwmark' && dest.forward !== 'masquerade' && dest.port !== null && dest.port !== vs.port) {
    report(ctx, 'dr-port-mismatch', `a ${dest.forward} real server cannot use port ${dest.port} when the service port is ${vs.port}`, `${dest.forward === 'route' ? 'Direct routing' : 'A tunnel'} delivers the packet unchanged, so the server must listen on the service port: remove \`port\` (it defaults to ${vs.port}), or use forward: masquerade to map ports.`, [...path, 'port']);
  }
}

/** checkRealServer applies the per-real-server rules beyond family and port. */
function checkRealServer(vs: VirtualServerInput, rs: RealServerInput, path: readonly PropertyKey[], ctx: Ctx): void {
  checkDestination(vs, rs, path, ctx);
  // ip_vs_ctl.c refuses l_threshold > u_threshold with ERANGE, also when the upper one is 0.
  if (rs.lowerThreshold > rs.upperThreshold) {
    report(ctx, 'threshold-order', `lowerThreshold ${rs.lowerThreshold} is above upperThreshold ${rs.upperThreshold}`, 'Set lowerThreshold at or below upperThreshold (the kernel refuses otherwise); with no upperThreshold leave lowerThreshold at 0.', [...path, 'lowerThreshold']);
  }
  if (rs.forward !== 'tunnel') {
    for (const key of ['tunnelType', 'tunnelPort', 'tunnelChecksum'] as const) {
      if (rs[key] !== null) {
        report(ctx, 'tunnel-option-without-tunnel', `${key} is set but forward is ${rs.forward}`, 'Remove it, or set forward: tunnel.', [...path, key]);
      }
    }
  } else if (rs.tunnelType === 'gue' && rs.tunnelPort === null) {
    report(ctx, 'tunnel-port-required', 'a gue tunnel needs tunnelPort', 'Add tunnelPort: the UDP port the real server decapsulates GUE on (ipvsadm --tun-port).', [...path, 'tunnelType']);
  } else if (rs.tunnelType !== 'gue' && rs.tunnelPort !== null) {
    report(ctx, 'tunnel-option-without-tunnel', `tunnelPort applies only to tunnelType gue, not ${rs.tunnelType ?? 'ipip'}`, 'Remove tunnelPort, or set tunnelType: gue.', [...path, 'tunnelPort']);
  }
  const check = effectiveHealthCheck(rs, vs.healthCheck);
  const port = rs.port ?? servicePort(vs);
  if (check !== null && check.port === null && port === 0 && !HEALTH_CHECK_KINDS_WITHOUT_PORT.includes(check.kind)) {
    report(ctx, 'health-check-port-required', `the ${check.kind} check has no port to probe: this fwmark real server has none`, 'Give the real server a port, or give its healthCheck a port.', rs.healthCheck === undefined ? [...path, 'address'] : [...path, 'healthCheck']);
  }
}

/** checkDuplicates reports a real server listed twice (same address and resulting port). */
function checkDuplicates(vs: VirtualServerInput, ctx: Ctx): void {
  const seen = new Map<string, number>();
  vs.realServers.forEach((rs, index) => {
    const key = `${rs.address} ${rs.port ?? servicePort(vs)}`;
    const first = seen.get(key);
    if (first === undefined) {
      seen.set(key, index);
    } else {
      report(ctx, 'duplicate-real-server', `${rs.address} port ${rs.port ?? servicePort(vs)} is already realServers[${first}]`, 'IPVS keys a real server by address and port; remove one entry or change its port.', ['realServers', index, 'address']);
    }
  });
}

/** checkServiceOptions applies the rules on the service's own keys. */
function checkServiceOptions(vs: VirtualServerInput, ctx: Ctx): void {
  if (vs.protocol !== 'fwmark' && vs.port === 0 && vs.persistence === null) {
    report(ctx, 'port-zero-without-persistence', 'port 0 (all ports) needs persistence', 'ipvsadm refuses a non-persistent service on port 0: add `persistence: {}` or use a real port.', ['port']);
  }
  vs.schedulerFlags.forEach((flag, index) => {
    const owner = flag.startsWith('sh-') ? 'sh' : flag.startsWith('mh-') ? 'mh' : undefined;
    if (owner !== undefined && vs.scheduler !== owner) {
      report(ctx, 'scheduler-flag-mismatch', `${flag} is a flag of the ${owner} scheduler, not ${vs.scheduler}`, `Use scheduler: ${owner}, or the generic name flag-${flag.endsWith('fallback') ? 1 : 2}.`, ['schedulerFlags', index]);
    }
  });
  // The kernel honours one-packet scheduling only for UDP packets (ip_vs_core.c).
  if (vs.onePacketScheduling && (vs.protocol === 'tcp' || vs.protocol === 'sctp')) {
    report(ctx, 'one-packet-not-udp', `onePacketScheduling has no effect on a ${vs.protocol} service`, 'Remove it; it applies to udp and fwmark services only (ipvsadm -o).', ['onePacketScheduling']);
  }
  if (vs.persistenceEngine !== null && vs.persistence === null) {
    report(ctx, 'persistence-engine-needs-persistence', 'persistenceEngine is set on a service without persistence', 'Add `persistence:` (a persistence engine only refines persistent templates), or remove persistenceEngine.', ['persistenceEngine']);
  }
  const netmask = vs.persistence?.netmask ?? null;
  if (netmask !== null && netmaskPrefixLength(netmask, serviceFamily(vs)) === undefined) {
    const v6 = serviceFamily(vs) === 'inet6';
    report(ctx, 'netmask-family-mismatch', `'${String(netmask)}' is not a netmask for an ${v6 ? 'IPv6' : 'IPv4'} service`, v6 ? 'For IPv6 write a prefix length 1..128 (ipvsadm -M 64).' : 'For IPv4 write a contiguous dotted mask such as 255.255.255.0, or a prefix length 0..32.', ['persistence', 'netmask']);
  }
  if (vs.quorum !== null) {
    const total = vs.realServers.reduce((sum, rs) => sum + rs.weight, 0);
    if (vs.quorum.minWeight > total) {
      report(ctx, 'quorum-unreachable', `quorum.minWeight ${vs.quorum.minWeight} exceeds the total weight ${total} of the real servers`, 'Lower minWeight, or the service can never leave its sorry server.', ['quorum', 'minWeight']);
    }
  }
}

/** checkVirtualServer is the zod refinement for one virtual server: every rule, every issue. */
export function checkVirtualServer(vs: VirtualServerInput, ctx: Ctx): void {
  checkServiceOptions(vs, ctx);
  if (vs.sorryServer !== null) checkDestination(vs, vs.sorryServer, ['sorryServer'], ctx);
  vs.realServers.forEach((rs, index) => {
    checkRealServer(vs, rs, ['realServers', index], ctx);
  });
  checkDuplicates(vs, ctx);
}
