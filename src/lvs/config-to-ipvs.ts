/**
 * config-to-ipvs: the typed config's virtual servers in the IPVS model's words (src/ipvs/model.ts),
 * so the desired table and the kernel's listing can be compared field by field.
 *
 * The config speaks ipvsadm's option names (inet/inet6, sh-fallback, netmask); the model speaks
 * the kernel's (4/6, flag-1, netmaskPrefixLength). Every mapping between the two lives here.
 */
import type { AddressFamily, RealServer as ConfigRealServer, SchedulerFlag as ConfigSchedulerFlag, VirtualServer } from '../config/types.js';
import {
  type AddressFamily as IpvsFamily,
  type RealServer,
  SCHEDULER_FLAGS,
  type SchedulerFlag,
  type VirtualService,
  type VirtualServiceId,
  realServerKey,
  serviceKey,
} from '../ipvs/model.js';

/**
 * FLAG_BITS maps ipvsadm -b names to the kernel's three flags: sh-fallback and mh-fallback are
 * IP_VS_SVC_F_SCHED1, sh-port and mh-port IP_VS_SVC_F_SCHED2 (linux/ip_vs.h).
 */
const FLAG_BITS: Readonly<Record<ConfigSchedulerFlag, SchedulerFlag>> = {
  'sh-fallback': 'flag-1',
  'mh-fallback': 'flag-1',
  'flag-1': 'flag-1',
  'sh-port': 'flag-2',
  'mh-port': 'flag-2',
  'flag-2': 'flag-2',
  'flag-3': 'flag-3',
};


/** ipvsFamily is the model's family number for a config family. */
function ipvsFamily(family: AddressFamily): IpvsFamily {
  return family === 'inet' ? 4 : 6;
}

/** ipvsServiceId is the kernel identity of a configured virtual server. */
export function ipvsServiceId(vs: VirtualServer): VirtualServiceId {
  const family = ipvsFamily(vs.family);
  return vs.protocol === 'fwmark'
    ? { protocol: 'fwmark', family, fwmark: vs.fwmark }
    : { protocol: vs.protocol, family, address: vs.address, port: vs.port };
}

/** ipvsService is a configured virtual server's full kernel entry (ipvsadm -A), without real servers. */
export function ipvsService(vs: VirtualServer): VirtualService {
  const flags = new Set(vs.schedulerFlags.map((flag) => FLAG_BITS[flag]));
  const settings = {
    scheduler: vs.scheduler,
    onePacket: vs.onePacketScheduling,
    schedulerFlags: SCHEDULER_FLAGS.filter((flag) => flags.has(flag)),
    ...(vs.persistence === null ? {} : { persistence: { timeoutSeconds: vs.persistence.timeoutSeconds, netmaskPrefixLength: vs.persistence.netmask } }),
    ...(vs.persistenceEngine === null ? {} : { persistenceEngine: vs.persistenceEngine }),
  };
  return { ...ipvsServiceId(vs), ...settings };
}

/**
 * ipvsRealServer is a configured real server's kernel entry (ipvsadm -a) at `weight`; the
 * tunnel options go only with tunnel forwarding, as ipvsadm sends them.
 */
export function ipvsRealServer(rs: ConfigRealServer, weight: number): RealServer {
  const base = {
    address: rs.address,
    port: rs.port,
    forward: rs.forward,
    weight,
    upperThreshold: rs.upperThreshold,
    lowerThreshold: rs.lowerThreshold,
  };
  if (rs.forward !== 'tunnel') return base;
  return { ...base, tunnel: { type: rs.tunnelType, port: rs.tunnelPort, checksum: rs.tunnelChecksum } };
}

/**
 * realServerRef names one real server of one virtual server: "tcp:192.0.2.1:80 -> 10.0.0.1:80".
 * Health verdicts and operator drains are keyed by it, because one address may be a real server
 * of several services, each with its own check.
 */
export function realServerRef(vs: VirtualServer, rs: Pick<ConfigRealServer, 'address' | 'port'>): string {
  return `${serviceKey(ipvsServiceId(vs))} -> ${realServerKey(rs)}`;
}
