/**
 * schema-virtual-server: virtual services and their real servers, covering what ipvsadm(8) can set.
 * The shape is checked here; rules that span keys live in check-virtual-server.ts and the defaults
 * that depend on the service (a real server's port, family and health check) in
 * resolve-virtual-server.ts.
 */
import { z } from 'zod';
import { checkVirtualServer } from './check-virtual-server.js';
import { resolveVirtualServer } from './resolve-virtual-server.js';
import { healthCheckSchema, orNull } from './schema-health.js';
import { INT32_MAX, intIn, ipAddress, keyword, port } from './schema-primitives.js';

/** SCHEDULERS are the IPVS schedulers (ipvsadm(8) -s; mh, fo, ovf and twos need newer kernels). */
export const SCHEDULERS = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'mh', 'fo', 'ovf', 'twos'] as const;

/**
 * SCHEDULER_FLAGS are ipvsadm -b's names. sh-fallback and mh-fallback are flag-1, sh-port and
 * mh-port are flag-2 (IP_VS_SVC_F_SCHED1/2 in linux/ip_vs.h); the sh-/mh- names bind a scheduler.
 */
export const SCHEDULER_FLAGS = ['sh-fallback', 'sh-port', 'mh-fallback', 'mh-port', 'flag-1', 'flag-2', 'flag-3'] as const;

/** FORWARD_METHODS are ipvsadm's -g (route, the default), -i (tunnel) and -m (masquerade). */
export const FORWARD_METHODS = ['route', 'tunnel', 'masquerade'] as const;

/** realServerSchema is a real server as written; `port: null` means "the service's port". */
export const realServerSchema = z.strictObject({
  address: ipAddress,
  port: orNull(port),
  forward: keyword(FORWARD_METHODS, 'forwarding method').default('route'),
  weight: intIn(0, 65535, 'ipvsadm -w').default(1),
  // ipvsadm -x/-y take 0..INT_MAX; 0 means no limit.
  upperThreshold: intIn(0, INT32_MAX, 'ipvsadm -x, 0 = no limit').default(0),
  lowerThreshold: intIn(0, INT32_MAX, 'ipvsadm -y').default(0),
  tunnelType: orNull(keyword(['ipip', 'gue', 'gre'], 'tunnel type')),
  tunnelPort: orNull(port),
  tunnelChecksum: orNull(keyword(['nocsum', 'csum', 'remcsum'], 'tunnel checksum mode')),
  /** Absent: the service's check. null: never checked, always up. */
  healthCheck: healthCheckSchema.nullable().optional(),
});

/** RealServerInput is a real server as written. */
export type RealServerInput = z.output<typeof realServerSchema>;

/** sorryServerSchema is the server that takes the traffic while the service has lost its quorum. */
export const sorryServerSchema = z.strictObject({
  address: ipAddress,
  port: orNull(port),
  forward: keyword(FORWARD_METHODS, 'forwarding method').default('route'),
  weight: intIn(1, 65535, 'ipvsadm -w').default(1),
});

/** persistenceSchema is ipvsadm -p [timeout] and -M netmask. */
const persistenceSchema = z.strictObject({
  // A bare `ipvsadm -p` stores 360 s (not the 300 s the man page says); ipvsadm caps it at 31 days.
  timeoutSeconds: intIn(1, 31 * 86_400, 'ipvsadm -p').default(360),
  /** A dotted IPv4 mask or a prefix length; null means a single client address. */
  netmask: orNull(z.union([z.int(), z.string()])),
});

/** quorumSchema: below minWeight of healthy weight the service switches to its sorry server. */
const quorumSchema = z.strictObject({
  minWeight: intIn(1, INT32_MAX, 'a sum of weights').default(1),
  // Up again only at minWeight + hysteresis, down at minWeight - hysteresis, as keepalived does.
  hysteresis: intIn(0, INT32_MAX, 'a sum of weights').default(0),
});

const commonShape = {
  /** null: named after the service, e.g. "tcp/198.51.100.10:80". */
  name: orNull(z.string().min(1)),
  // wlc is ipvsadm's default scheduler.
  scheduler: keyword(SCHEDULERS, 'scheduler', 'unknown-scheduler').default('wlc'),
  schedulerFlags: z.array(keyword(SCHEDULER_FLAGS, 'scheduler flag')).default([]),
  persistence: orNull(persistenceSchema),
  onePacketScheduling: z.boolean().default(false),
  persistenceEngine: orNull(keyword(['sip'], 'persistence engine')),
  onFailure: keyword(['quiesce', 'remove'], 'failure action').default('quiesce'),
  sorryServer: orNull(sorryServerSchema),
  quorum: orNull(quorumSchema),
  healthCheck: orNull(healthCheckSchema),
  realServers: z.array(realServerSchema).default([]),
};

/** virtualServerInputSchema is a service as written: by address and port, or by firewall mark. */
export const virtualServerInputSchema = z.discriminatedUnion('protocol', [
  z.strictObject({
    protocol: z.enum(['tcp', 'udp', 'sctp']),
    address: ipAddress,
    // Port 0 means "all ports", which ipvsadm allows only for a persistent service.
    port: intIn(0, 65535, 'a TCP/UDP/SCTP port, 0 = all with persistence'),
    ...commonShape,
  }),
  z.strictObject({
    protocol: z.literal('fwmark'),
    fwmark: intIn(1, 2 ** 32 - 1, 'ipvsadm -f takes a mark > 0'),
    family: keyword(['inet', 'inet6'], 'address family').default('inet'),
    ...commonShape,
  }),
]);

/** VirtualServerInput is a virtual server as written. */
export type VirtualServerInput = z.output<typeof virtualServerInputSchema>;

/** virtualServerSchema checks one service's cross-key rules, then fills its dependent defaults. */
export const virtualServerSchema = virtualServerInputSchema.superRefine(checkVirtualServer).transform(resolveVirtualServer);
