/**
 * resolve-virtual-server: fills the defaults of a virtual server that depend on the service
 * itself: its name, its family, its real servers' ports and their inherited health check.
 */
import { familyOf, maxPrefixLength, netmaskToPrefixLength, type AddressFamily } from './addresses.js';
import { formatHostPort } from '../net/host-port.js';
import type { HealthCheckInput } from './schema-health.js';
import type { RealServerInput, VirtualServerInput } from './schema-virtual-server.js';
import type { HealthCheck, RealServer, VirtualServer } from './types.js';

/** serviceFamily is the family of a service: its address's, or the one written for a fwmark. */
export function serviceFamily(vs: VirtualServerInput): AddressFamily {
  return vs.protocol === 'fwmark' ? vs.family : familyOf(vs.address);
}

/** servicePort is the port a real server inherits: the service's, or 0 (the packet's) for fwmark. */
export function servicePort(vs: VirtualServerInput): number {
  return vs.protocol === 'fwmark' ? 0 : vs.port;
}

/** serviceId names a service the way logs and ipvsadm -L show it: tcp/198.51.100.10:80, fwmark/7. */
export function serviceId(vs: VirtualServerInput): string {
  if (vs.protocol === 'fwmark') return vs.family === 'inet6' ? `fwmark/${vs.fwmark}/inet6` : `fwmark/${vs.fwmark}`;
  return `${vs.protocol}/${formatHostPort(vs.address, vs.port)}`;
}

/** effectiveHealthCheck is a real server's own check when it has a key for one, else the service's. */
export function effectiveHealthCheck(rs: RealServerInput, serviceCheck: HealthCheckInput | null): HealthCheckInput | null {
  return rs.healthCheck === undefined ? serviceCheck : rs.healthCheck;
}

/** netmaskPrefixLength reads ipvsadm -M as a prefix length; no netmask means one client address. */
export function netmaskPrefixLength(netmask: number | string | null, family: AddressFamily): number | undefined {
  if (netmask === null) return maxPrefixLength(family);
  if (typeof netmask === 'number') return netmask >= 0 && netmask <= maxPrefixLength(family) ? netmask : undefined;
  return family === 'inet' ? netmaskToPrefixLength(netmask) : undefined;
}

/** resolveRealServer fills a real server's port, tunnel defaults and health check. */
function resolveRealServer(rs: RealServerInput, port: number, serviceCheck: HealthCheckInput | null): RealServer {
  const resolvedPort = rs.port ?? port;
  const check = effectiveHealthCheck(rs, serviceCheck);
  const healthCheck: HealthCheck | null = check === null ? null : { ...check, port: check.port ?? resolvedPort };
  return {
    address: rs.address,
    family: familyOf(rs.address),
    port: resolvedPort,
    forward: rs.forward,
    weight: rs.weight,
    upperThreshold: rs.upperThreshold,
    lowerThreshold: rs.lowerThreshold,
    tunnelType: rs.tunnelType ?? 'ipip',
    tunnelPort: rs.tunnelPort ?? 0,
    tunnelChecksum: rs.tunnelChecksum ?? 'nocsum',
    healthCheck,
  };
}

/** resolveVirtualServer turns a checked service as written into the typed VirtualServer. */
export function resolveVirtualServer(vs: VirtualServerInput): VirtualServer {
  const family = serviceFamily(vs);
  const port = servicePort(vs);
  const sorry = vs.sorryServer;
  const common = {
    name: vs.name ?? serviceId(vs),
    family,
    scheduler: vs.scheduler,
    schedulerFlags: vs.schedulerFlags,
    persistence:
      vs.persistence === null
        ? null
        : {
            timeoutSeconds: vs.persistence.timeoutSeconds,
            netmask: netmaskPrefixLength(vs.persistence.netmask, family) ?? maxPrefixLength(family),
          },
    onePacketScheduling: vs.onePacketScheduling,
    persistenceEngine: vs.persistenceEngine,
    onFailure: vs.onFailure,
    sorryServer:
      sorry === null
        ? null
        : resolveRealServer(
            { ...sorry, upperThreshold: 0, lowerThreshold: 0, tunnelType: null, tunnelPort: null, tunnelChecksum: null, healthCheck: null },
            port,
            null,
          ),
    quorum: vs.quorum ?? { minWeight: 1, hysteresis: 0 },
    realServers: vs.realServers.map((rs) => resolveRealServer(rs, port, vs.healthCheck)),
  };
  return vs.protocol === 'fwmark'
    ? { ...common, protocol: 'fwmark', fwmark: vs.fwmark }
    : { ...common, protocol: vs.protocol, address: vs.address, port: vs.port };
}
