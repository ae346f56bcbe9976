/**
 * types: the typed config the daemon consumes. Every default is filled in, so a field is optional
 * only where "not set" means something; then it is `null`, never missing.
 */
import type { z } from 'zod';
import type { AddressFamily } from './addresses.js';
import type { configSchema } from './schema.js';
import type { HealthCheckInput } from './schema-health.js';
import type { FORWARD_METHODS, SCHEDULER_FLAGS, SCHEDULERS } from './schema-virtual-server.js';

export type { AddressFamily } from './addresses.js';
export type { StatusRange } from './schema-health.js';

/** Config is a whole, valid config file with defaults filled in. */
export type Config = z.output<typeof configSchema>;
/** NodeConfig is one director: its name, election priority and election addresses. */
export type NodeConfig = Config['nodes'][number];
/** ElectionConfig is the VRRP-like election shared by both nodes. */
export type ElectionConfig = Config['election'];
/** AnnounceConfig paces gratuitous ARP / unsolicited NA after a node becomes master. */
export type AnnounceConfig = ElectionConfig['announce'];
/** Vip is one floating address, with its prefix length and interface. */
export type Vip = Config['vips'][number];
/** SyncDaemonConfig drives the kernel's IPVS connection-sync daemon. */
export type SyncDaemonConfig = NonNullable<Config['syncDaemon']>;
/** IpvsConfig holds global IPVS settings (ipvsadm --set timeouts). */
export type IpvsConfig = Config['ipvs'];
/** HooksConfig holds the commands run on role changes. */
export type HooksConfig = Config['hooks'];
/** Hook is one command run on a role change. */
export type Hook = NonNullable<HooksConfig['onMaster']>;
/** HealthSettings holds settings for all health checks together. */
export type HealthSettings = Config['health'];
/** LogLevel is a pino level name. */
export type LogLevel = Config['log']['level'];

/** Scheduler is an IPVS scheduler name as ipvsadm -s takes it. */
export type Scheduler = (typeof SCHEDULERS)[number];
/** SchedulerFlag is an ipvsadm -b flag name. */
export type SchedulerFlag = (typeof SCHEDULER_FLAGS)[number];
/** ForwardMethod is how IPVS forwards to a real server: route (DR), tunnel (TUN) or masquerade (NAT). */
export type ForwardMethod = (typeof FORWARD_METHODS)[number];
/** TunnelType is the encapsulation of a tunnel real server (ipvsadm --tun-type). */
export type TunnelType = 'ipip' | 'gue' | 'gre';
/** TunnelChecksum is ipvsadm's --tun-nocsum / --tun-csum / --tun-remcsum. */
export type TunnelChecksum = 'nocsum' | 'csum' | 'remcsum';

/** WithPort replaces a check's optional port with the resolved one, keeping the `kind` union. */
type WithPort<T> = T extends unknown ? Omit<T, 'port'> & { readonly port: number } : never;

/** HealthCheck is a resolved health check; `port` is already the real server's when none was set. */
export type HealthCheck = WithPort<HealthCheckInput>;

/** RealServer is a resolved real server (ipvsadm -a). */
export interface RealServer {
  readonly address: string;
  readonly family: AddressFamily;
  /** The service's port when none was written; 0 for a fwmark service, meaning "the packet's port". */
  readonly port: number;
  readonly forward: ForwardMethod;
  readonly weight: number;
  readonly upperThreshold: number;
  readonly lowerThreshold: number;
  readonly tunnelType: TunnelType;
  /** 0 unless tunnelType is gue. */
  readonly tunnelPort: number;
  readonly tunnelChecksum: TunnelChecksum;
  /** null: never checked, always up. */
  readonly healthCheck: HealthCheck | null;
}

/** Persistence is ipvsadm -p / -M; `netmask` is a prefix length (255.255.255.0 becomes 24). */
export interface Persistence {
  readonly timeoutSeconds: number;
  readonly netmask: number;
}

/** Quorum is the healthy weight a service needs before it leaves its sorry server. */
export interface Quorum {
  readonly minWeight: number;
  readonly hysteresis: number;
}

/** VirtualServerCommon holds what address and fwmark services share. */
interface VirtualServerCommon {
  readonly name: string;
  readonly family: AddressFamily;
  readonly scheduler: Scheduler;
  readonly schedulerFlags: readonly SchedulerFlag[];
  readonly persistence: Persistence | null;
  readonly onePacketScheduling: boolean;
  readonly persistenceEngine: 'sip' | null;
  readonly onFailure: 'quiesce' | 'remove';
  readonly sorryServer: RealServer | null;
  readonly quorum: Quorum;
  readonly realServers: readonly RealServer[];
}

/** AddressVirtualServer is a tcp, udp or sctp service on ADDRESS:PORT (ipvsadm -t/-u/--sctp-service). */
export interface AddressVirtualServer extends VirtualServerCommon {
  readonly protocol: 'tcp' | 'udp' | 'sctp';
  readonly address: string;
  readonly port: number;
}

/** FwmarkVirtualServer is a service selected by firewall mark (ipvsadm -f). */
export interface FwmarkVirtualServer extends VirtualServerCommon {
  readonly protocol: 'fwmark';
  readonly fwmark: number;
}

/** VirtualServer is one IPVS service with its real servers. */
export type VirtualServer = AddressVirtualServer | FwmarkVirtualServer;
