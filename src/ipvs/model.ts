/**
 * model: the IPVS table as tandem sees it, in ipvsadm(8) words. Values only; the codecs turn them
 * into netlink attributes and back, and the fake kernel stores them as they are.
 */
import { formatHostPort } from '../net/host-port.js';
import { type AddressFamily, canonicalAddress } from './inet-address.js';

export type { AddressFamily } from './inet-address.js';

/** Protocol is a service's protocol as ipvsadm names it (-t, -u, --sctp-service, -f). */
export type Protocol = 'tcp' | 'udp' | 'sctp' | 'fwmark';

/** AddressServiceId identifies a tcp, udp or sctp virtual service by address and port. */
export interface AddressServiceId {
  readonly protocol: 'tcp' | 'udp' | 'sctp';
  readonly family: AddressFamily;
  readonly address: string;
  readonly port: number;
}

/** FwmarkServiceId identifies a firewall-mark virtual service (ipvsadm -f, with -6 for IPv6). */
export interface FwmarkServiceId {
  readonly protocol: 'fwmark';
  readonly family: AddressFamily;
  readonly fwmark: number;
}

/** VirtualServiceId is what the kernel looks a virtual service up by. */
export type VirtualServiceId = AddressServiceId | FwmarkServiceId;

/**
 * Persistence is ipvsadm -p/-M: connections from one client (network) go to one real server for
 * `timeoutSeconds`. `netmaskPrefixLength` is the client grouping: ipvsadm -M 255.255.255.0 is 24
 * for IPv4; for IPv6 the kernel stores the prefix length itself.
 */
export interface Persistence {
  readonly timeoutSeconds: number;
  readonly netmaskPrefixLength: number;
}

/** SCHEDULER_FLAGS are the flags in the order a listing spells them, so equal sets compare equal as arrays. */
export const SCHEDULER_FLAGS = ['flag-1', 'flag-2', 'flag-3'] as const;

/**
 * SchedulerFlag is one of ipvsadm -b's three scheduler-specific flags. sh and mh call flag-1
 * "fallback" and flag-2 "port" (IP_VS_SVC_F_SCHED_SH_FALLBACK / _PORT in ip_vs.h).
 */
export type SchedulerFlag = (typeof SCHEDULER_FLAGS)[number];

/** VirtualService is one service with all its settings (ipvsadm -A / -E). */
export type VirtualService = VirtualServiceId & {
  readonly scheduler: string;
  readonly persistence?: Persistence;
  /** ipvsadm -o: schedule each UDP datagram on its own. */
  readonly onePacket: boolean;
  readonly schedulerFlags: readonly SchedulerFlag[];
  /** ipvsadm --pe, e.g. "sip"; absent for none. */
  readonly persistenceEngine?: string;
};

/** AddressVirtualService is a tcp, udp or sctp service, the kind that has an address and port. */
export type AddressVirtualService = Extract<VirtualService, { readonly protocol: 'tcp' | 'udp' | 'sctp' }>;

/**
 * ForwardMethod is ipvsadm's -g (route), -i (tunnel) or -m (masquerade). 'local' is what the
 * kernel itself records for a real server whose address is the director's own (ipvsadm: Local).
 */
export type ForwardMethod = 'route' | 'tunnel' | 'masquerade' | 'local';

/** TunnelType is ipvsadm --tun-type. */
export type TunnelType = 'ipip' | 'gue' | 'gre';

/** TunnelChecksum is ipvsadm --tun-nocsum / --tun-csum / --tun-remcsum. */
export type TunnelChecksum = 'nocsum' | 'csum' | 'remcsum';

/** Tunnel is the encapsulation of a tunnel real server; `port` matters for gue only. */
export interface Tunnel {
  readonly type: TunnelType;
  readonly port: number;
  readonly checksum: TunnelChecksum;
}

/** RealServerId identifies a real server within its virtual service. */
export interface RealServerId {
  readonly address: string;
  readonly port: number;
}

/**
 * RealServer is one destination (ipvsadm -a / -e). Thresholds of 0 mean "no limit"
 * (ipvsadm -x / -y). `tunnel` applies only when `forward` is 'tunnel'; left out it is
 * DEFAULT_TUNNEL, and a listing always fills it in for tunnel servers.
 */
export interface RealServer extends RealServerId {
  readonly forward: ForwardMethod;
  readonly weight: number;
  readonly upperThreshold: number;
  readonly lowerThreshold: number;
  readonly tunnel?: Tunnel;
}

/**
 * Stats are a service's or a real server's counters (ipvsadm --stats / --rate). bigint because
 * the kernel keeps them as u64 (IPVS_*_ATTR_STATS64); rates are per second.
 */
export interface Stats {
  readonly connections: bigint;
  readonly inPackets: bigint;
  readonly outPackets: bigint;
  readonly inBytes: bigint;
  readonly outBytes: bigint;
  readonly connectionsPerSecond: bigint;
  readonly inPacketsPerSecond: bigint;
  readonly outPacketsPerSecond: bigint;
  readonly inBytesPerSecond: bigint;
  readonly outBytesPerSecond: bigint;
}

/** VirtualServiceEntry is a listed service: its settings plus the kernel's counters. */
export type VirtualServiceEntry = VirtualService & { readonly stats: Stats };

/** RealServerEntry is a listed real server: settings, connection counts and counters. */
export interface RealServerEntry extends RealServer {
  readonly activeConnections: number;
  readonly inactiveConnections: number;
  readonly persistentConnections: number;
  readonly stats: Stats;
}

/** IpvsTable is a full listing: every service with its real servers, counters included. */
export interface IpvsTable {
  readonly services: readonly (VirtualServiceEntry & { readonly realServers: readonly RealServerEntry[] })[];
}

/** ServiceRules is one virtual service's rules: its settings and its real servers' settings. */
export type ServiceRules = VirtualService & { readonly realServers: readonly RealServer[] };

/**
 * IpvsRules is the table as `ipvsadm-save -n` shows it: every service and real server with its
 * settings, and no counters or connection counts. It is what reconciling needs, and reading it
 * skips the kernel's stats nests, the bulk of a listing's bytes and decoding.
 */
export interface IpvsRules {
  readonly services: readonly ServiceRules[];
}

/** Timeouts are ipvsadm --set tcp tcpfin udp, in seconds; 0 on a set means "leave as is". */
export interface Timeouts {
  readonly tcpSeconds: number;
  readonly tcpFinSeconds: number;
  readonly udpSeconds: number;
}

/** IpvsInfo is ipvsadm's banner: "IP Virtual Server version 1.2.1 (size=4096)". */
export interface IpvsInfo {
  readonly version: string;
  readonly connectionTableSize: number;
}

/** SyncState is the role of a connection-sync daemon (ipvsadm --start-daemon master|backup). */
export type SyncState = 'master' | 'backup';

/**
 * SyncDaemon is one connection-sync daemon. Optional fields left out on start get the kernel's
 * defaults (group 224.0.0.81, port 8848, ttl 1, maxlen from the interface MTU); a listing
 * always fills them. `port` is ipvsadm --mcast-port.
 */
export interface SyncDaemon {
  readonly state: SyncState;
  readonly mcastInterface: string;
  readonly syncid: number;
  readonly maxlen?: number;
  readonly group?: string;
  readonly port?: number;
  readonly ttl?: number;
}

/** DEFAULT_TUNNEL is the kernel's tunnel when none is given: plain IP-in-IP (ipvsadm's default). */
export const DEFAULT_TUNNEL: Tunnel = { type: 'ipip', port: 0, checksum: 'nocsum' };

/** ZERO_STATS is a Stats with every counter at 0 (a fresh or zeroed entry). */
export const ZERO_STATS: Stats = {
  connections: 0n,
  inPackets: 0n,
  outPackets: 0n,
  inBytes: 0n,
  outBytes: 0n,
  connectionsPerSecond: 0n,
  inPacketsPerSecond: 0n,
  outPacketsPerSecond: 0n,
  inBytesPerSecond: 0n,
  outBytesPerSecond: 0n,
};

/** hostPort writes an address and port as ipvsadm does: 192.0.2.1:80, [2001:db8::1]:80. */
function hostPort(address: string, port: number): string {
  return formatHostPort(canonicalAddress(address) ?? address, port);
}

/** serviceKey is a service's identity as one string: tcp:192.0.2.1:80, tcp:[2001:db8::1]:80, fwmark:4:42. */
export function serviceKey(id: VirtualServiceId): string {
  return id.protocol === 'fwmark' ? `fwmark:${id.family}:${id.fwmark}` : `${id.protocol}:${hostPort(id.address, id.port)}`;
}

/** realServerKey is a real server's identity within its service: 10.0.0.1:8080, [2001:db8::a]:80. */
export function realServerKey(id: RealServerId): string {
  return hostPort(id.address, id.port);
}

/** serviceId keeps only the identifying fields of a service (what DEL and GET_DEST send). */
export function serviceId(service: VirtualServiceId): VirtualServiceId {
  return service.protocol === 'fwmark'
    ? { protocol: 'fwmark', family: service.family, fwmark: service.fwmark }
    : { protocol: service.protocol, family: service.family, address: service.address, port: service.port };
}
