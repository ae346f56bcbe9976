/**
 * schema: the whole config file. One file serves both directors; `nodes` names them and the rest
 * is shared. Keys are camelCase and carry their units (advertIntervalMs, timeoutSeconds).
 */
import { z } from 'zod';
import { checkConfig, checkNodes, checkVips } from './semantic-checks.js';
import { healthSchema, orNull } from './schema-health.js';
import {
  absolutePath,
  interfaceName,
  INT32_MAX,
  intIn,
  ipAddress,
  ipPrefix,
  keyword,
  listenAddress,
  multicastAddress,
  port,
  report,
  whenValid,
} from './schema-primitives.js';
import { virtualServerSchema } from './schema-virtual-server.js';

/** DEFAULT_ELECTION_PORT is tandem's UDP port for adverts; it is not VRRP's IP protocol 112. */
export const DEFAULT_ELECTION_PORT = 5999;

/** nodeSchema is one director. Its `addresses` are where it sends and receives adverts. */
export const nodeSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, { error: 'must be letters, digits, ".", "_" or "-"' }),
  /** null: the node is matched by `name` against the host name. */
  hostname: orNull(z.string().min(1)),
  // RFC 5798 §5.2.4: 255 belongs to the address owner and 0 means "resigning"; neither fits here.
  priority: intIn(1, 254, 'RFC 5798 §5.2.4'),
  addresses: z.array(ipAddress).min(1),
  /** A node with one of these interfaces down goes to fault. */
  trackInterfaces: z.array(interfaceName).default([]),
});

/** announceSchema paces gratuitous ARP / unsolicited NA, like keepalived's garp_master_* settings. */
const announceSchema = z.strictObject({
  count: intIn(0, 100, 'packets per burst').default(5),
  intervalMs: intIn(0, 10_000, 'between packets of a burst').default(20),
  /** A second burst this long after the first, for switches that missed it; 0 = none. */
  repeatAfterMs: intIn(0, 3_600_000, 'delay of the second burst').default(5000),
  /** Re-announce every so often while master; 0 = never. */
  refreshIntervalMs: intIn(0, 86_400_000, 'refresh period').default(0),
});

/** electionSchema is the advert protocol both nodes share. */
const electionSchema = z.strictObject({
  groupId: intIn(1, 255, 'like a VRRP VRID, RFC 5798 §5.2.3'),
  // The upper bound is VRRPv3's 12-bit centisecond field (RFC 5798 §5.2.7), 40.95 s.
  advertIntervalMs: intIn(10, 40_950, 'RFC 5798 §5.2.7').default(50),
  preempt: z.boolean().default(true),
  /**
   * A returning higher-priority node stays backup this long before it preempts: its health
   * checks need rise × interval (4 s at the defaults) to pass, and the sync daemon's refresh
   * (sync_refresh_period 1 s) must resend the connections opened while it was away.
   */
  preemptDelayMs: intIn(0, 3_600_000, 'up to one hour').default(5000),
  /** The shared key lives in this file, never in the YAML. */
  authKeyFile: absolutePath,
  /** A second accepted key, so the key can be rotated one node at a time. */
  authKeyFileNext: orNull(absolutePath),
  transport: keyword(['unicast', 'multicast'], 'transport').default('unicast'),
  multicastGroup: orNull(multicastAddress),
  port: port.default(DEFAULT_ELECTION_PORT),
  /** null: each node binds its own `addresses`; 0.0.0.0 or :: receives on all. */
  bindAddress: orNull(ipAddress),
  announce: announceSchema.prefault({}),
});

/** vipSchema is one floating address; the output splits `address` into address and prefixLength. */
export const vipSchema = z
  .strictObject({ address: ipPrefix, interface: interfaceName })
  .transform(({ address, interface: name }) => ({ ...address, interface: name }));

/**
 * syncSysctlsSchema is when a master daemon sends a connection: net.ipv4.vs.sync_threshold
 * ("threshold period") and net.ipv4.vs.sync_refresh_period (Documentation/networking/ipvs-sysctl.rst).
 * The kernel's defaults ("3 50", 0) send an established connection on its 3rd inbound packet and
 * again only on every 50th, so a backup that missed it (cut off, restarting) may never learn it.
 * tandem's defaults ("3 0", 1 s) send it on its 3rd packet and then again on its first packet
 * once a second has passed: a returning backup catches up after a second of traffic, and a busy
 * connection is sent at most once a second instead of once per 50 packets. The lab measured it
 * (bench/connection-survival/RESULTS.md).
 */
const syncSysctlsSchema = z
  .strictObject({
    syncThresholdPackets: intIn(0, INT32_MAX, 'sync_threshold, first value').default(3),
    /** 0: no packet-count resend; the refresh period decides. */
    syncPeriodPackets: intIn(0, INT32_MAX, 'sync_threshold, second value; 0 = off').default(0),
    /** The kernel stores it in jiffies (an int), so seconds stay below INT_MAX / HZ for HZ ≤ 1000. */
    syncRefreshPeriodSeconds: intIn(0, 2_147_483, 'sync_refresh_period, 0 = off').default(1),
  })
  .superRefine((sysctls, ctx) => {
    // proc_do_sync_threshold (ip_vs_ctl.c) refuses a threshold at or above a non-zero period with EINVAL.
    if (sysctls.syncPeriodPackets !== 0 && sysctls.syncThresholdPackets >= sysctls.syncPeriodPackets) {
      report(
        ctx,
        'threshold-order',
        `syncThresholdPackets ${sysctls.syncThresholdPackets} is not below syncPeriodPackets ${sysctls.syncPeriodPackets}`,
        'Set syncThresholdPackets below syncPeriodPackets (the kernel refuses sync_threshold otherwise), or syncPeriodPackets: 0 to resend by time only.',
        ['syncThresholdPackets'],
      );
    }
  }, whenValid);

/** syncDaemonSchema is ipvsadm --start-daemon; its defaults are the kernel's (linux/ip_vs.h). */
const syncDaemonSchema = z.strictObject({
  /** both: master and backup daemons on each node; follow-role: master only while master. */
  mode: keyword(['both', 'follow-role'], 'sync daemon mode').default('both'),
  mcastInterface: interfaceName,
  syncid: intIn(0, 255, 'ipvsadm --syncid').default(0),
  /** 0: the kernel derives it from the interface MTU. The attribute is a u16. */
  maxlen: intIn(0, 65535, 'bytes, 0 = from the MTU').default(0),
  group: multicastAddress.default('224.0.0.81'),
  port: port.default(8848),
  ttl: intIn(1, 255, 'IP TTL').default(1),
  /** Written in this director's network namespace while the section exists; null leaves the kernel's values. */
  sysctls: syncSysctlsSchema.nullable().prefault({}),
});

/** A timeout of 0 leaves the kernel's value alone, as in `ipvsadm --set 0 0 0`. */
const ipvsTimeout = intIn(0, 2_147_483, 'seconds, 0 = leave the kernel value').default(0);

/** ipvsSchema holds global IPVS settings. */
const ipvsSchema = z.strictObject({
  timeouts: z.strictObject({ tcpSeconds: ipvsTimeout, tcpFinSeconds: ipvsTimeout, udpSeconds: ipvsTimeout }).prefault({}),
  /** true: delete kernel services that are not in the config; false: leave them alone. */
  purgeUnmanaged: z.boolean().default(false),
});

/** hookSchema is one command run on a role change. */
const hookSchema = z.strictObject({
  command: absolutePath,
  args: z.array(z.string()).default([]),
  timeoutMs: intIn(1, 600_000, 'up to ten minutes').default(10_000),
});

/** configShapeSchema is the whole file's shape, before the rules that span sections. */
export const configShapeSchema = z.strictObject({
    nodes: z.array(nodeSchema).superRefine(checkNodes, whenValid),
    election: electionSchema,
    vips: z.array(vipSchema).superRefine(checkVips, whenValid).default([]),
    virtualServers: z.array(virtualServerSchema).default([]),
    health: healthSchema,
    syncDaemon: orNull(syncDaemonSchema),
    ipvs: ipvsSchema.prefault({}),
    hooks: z
      .strictObject({ onMaster: orNull(hookSchema), onBackup: orNull(hookSchema), onFault: orNull(hookSchema), onStop: orNull(hookSchema) })
      .prefault({}),
    control: z.strictObject({ socketPath: absolutePath.default('/run/tandem/control.sock') }).prefault({}),
    metrics: z.strictObject({ listen: listenAddress.nullable().default('127.0.0.1:9640') }).prefault({}),
    log: z.strictObject({ level: keyword(['fatal', 'error', 'warn', 'info', 'debug', 'trace'], 'log level').default('info') }).prefault({}),
});

/** configSchema is the whole file: shape, then the cross-section rules. */
export const configSchema = configShapeSchema.superRefine(checkConfig, whenValid);
