/**
 * service-codec: a virtual service ↔ the nested IPVS_SVC_ATTR_* attributes.
 *
 * Layout (ip_vs.h, and what ipvsadm 1.31 sends, seen with strace in the guest): AF u16; then
 * FWMARK u32, or PROTOCOL u16 + ADDR (16 bytes) + PORT (network order); for add/edit also
 * SCHED_NAME, PE_NAME, FLAGS {flags, mask}, TIMEOUT u32 seconds and NETMASK u32.
 */
import { NetlinkParseError } from '../netlink/parse-error.js';
import { forEachAttribute, sized } from './attribute-scan.js';
import type { AttributeWriter } from './attribute-writer.js';
import {
  AF_INET,
  AF_INET6,
  IPPROTO_SCTP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  IP_VS_PENAME_MAXLEN,
  IP_VS_SCHEDNAME_MAXLEN,
  IP_VS_SVC_F_ONEPACKET,
  IP_VS_SVC_F_PERSISTENT,
  IP_VS_SVC_F_SCHED1,
  IP_VS_SVC_F_SCHED2,
  IP_VS_SVC_F_SCHED3,
  IPVS_CMD_ATTR_SERVICE,
  IPVS_SVC_ATTR_ADDR,
  IPVS_SVC_ATTR_AF,
  IPVS_SVC_ATTR_FLAGS,
  IPVS_SVC_ATTR_FWMARK,
  IPVS_SVC_ATTR_NETMASK,
  IPVS_SVC_ATTR_PE_NAME,
  IPVS_SVC_ATTR_PORT,
  IPVS_SVC_ATTR_PROTOCOL,
  IPVS_SVC_ATTR_SCHED_NAME,
  IPVS_SVC_ATTR_STATS,
  IPVS_SVC_ATTR_STATS64,
  IPVS_SVC_ATTR_TIMEOUT,
} from './constants.js';
import { type AddressFamily, NF_INET_ADDR_LEN, formatInetAddress } from './inet-address.js';
import { IpvsInputError } from './ipvs-error.js';
import type { SchedulerFlag, VirtualService, VirtualServiceEntry, VirtualServiceId } from './model.js';
import { decodeStats } from './stats-codec.js';

const PROTOCOL_NUMBERS = { tcp: IPPROTO_TCP, udp: IPPROTO_UDP, sctp: IPPROTO_SCTP } as const;
const SCHEDULER_FLAG_BITS: Readonly<Record<SchedulerFlag, number>> = {
  'flag-1': IP_VS_SVC_F_SCHED1,
  'flag-2': IP_VS_SVC_F_SCHED2,
  'flag-3': IP_VS_SVC_F_SCHED3,
};
/** ipvsadm sends mask ~0: every flag in FLAGS replaces the kernel's (the kernel keeps HASHED itself). */
const ALL_FLAGS_MASK = 0xffffffff;

/** familyNumber maps 4/6 to AF_INET/AF_INET6. */
export function familyNumber(family: AddressFamily): number {
  return family === 4 ? AF_INET : AF_INET6;
}

/** familyFromNumber maps AF_INET/AF_INET6 back, or raises NetlinkParseError for anything else. */
export function familyFromNumber(af: number): AddressFamily {
  if (af === AF_INET) return 4;
  if (af === AF_INET6) return 6;
  throw new NetlinkParseError(`address family ${af} is neither AF_INET nor AF_INET6`, 0);
}

/** checkPort refuses what does not fit a u16 port. */
export function checkPort(port: number, what: string): void {
  if (!Number.isInteger(port) || port < 0 || port > 0xffff) throw new IpvsInputError(`${what}: port ${port} is not 0-65535`);
}

/** writeServiceId writes IPVS_CMD_ATTR_SERVICE with only the identifying attributes. */
export function writeServiceId(w: AttributeWriter, id: VirtualServiceId): void {
  w.openNested(IPVS_CMD_ATTR_SERVICE);
  writeIdentity(w, id);
  w.closeNested();
}

/** writeService writes IPVS_CMD_ATTR_SERVICE with every setting, as add and edit need. */
export function writeService(w: AttributeWriter, service: VirtualService): void {
  w.openNested(IPVS_CMD_ATTR_SERVICE);
  writeIdentity(w, service);
  checkName(service.scheduler, IP_VS_SCHEDNAME_MAXLEN, 'scheduler');
  w.string(IPVS_SVC_ATTR_SCHED_NAME, service.scheduler);
  if (service.persistenceEngine !== undefined) {
    checkName(service.persistenceEngine, IP_VS_PENAME_MAXLEN, 'persistence engine');
    w.string(IPVS_SVC_ATTR_PE_NAME, service.persistenceEngine);
  }
  let flags = service.onePacket ? IP_VS_SVC_F_ONEPACKET : 0;
  for (const flag of service.schedulerFlags) flags |= SCHEDULER_FLAG_BITS[flag];
  if (service.persistence !== undefined) flags |= IP_VS_SVC_F_PERSISTENT;
  w.u32Pair(IPVS_SVC_ATTR_FLAGS, flags, ALL_FLAGS_MASK);
  const timeout = service.persistence?.timeoutSeconds ?? 0;
  if (!Number.isInteger(timeout) || timeout < 0 || timeout > 0xffffffff) {
    throw new IpvsInputError(`persistence timeout ${timeout} s is not a 32-bit count of seconds`);
  }
  w.u32(IPVS_SVC_ATTR_TIMEOUT, timeout);
  // Without persistence ipvsadm still sends a full mask (/32 or /128); so do we, for equal bytes.
  const prefix = service.persistence?.netmaskPrefixLength ?? (service.family === 4 ? 32 : 128);
  w.u32(IPVS_SVC_ATTR_NETMASK, encodeNetmask(service.family, prefix));
  w.closeNested();
}

function writeIdentity(w: AttributeWriter, id: VirtualServiceId): void {
  w.u16(IPVS_SVC_ATTR_AF, familyNumber(id.family));
  if (id.protocol === 'fwmark') {
    if (!Number.isInteger(id.fwmark) || id.fwmark < 1 || id.fwmark > 0xffffffff) {
      throw new IpvsInputError(`firewall mark ${id.fwmark} is not 1-4294967295`);
    }
    w.u32(IPVS_SVC_ATTR_FWMARK, id.fwmark);
    return;
  }
  w.u16(IPVS_SVC_ATTR_PROTOCOL, PROTOCOL_NUMBERS[id.protocol]);
  const family = w.inetAddress(IPVS_SVC_ATTR_ADDR, id.address);
  if (family !== id.family) {
    throw new IpvsInputError(`virtual service address "${id.address}" is not an IPv${id.family} address`);
  }
  checkPort(id.port, `virtual service ${id.address}`);
  w.be16(IPVS_SVC_ATTR_PORT, id.port);
}

function checkName(name: string, maxLength: number, what: string): void {
  // The kernel copies names into char[16] including the NUL (IP_VS_SCHEDNAME_MAXLEN in ip_vs.h).
  if (!/^[a-z0-9_]+$/.test(name) || name.length >= maxLength) {
    throw new IpvsInputError(`${what} "${name}" is not a module name of at most ${maxLength - 1} characters`);
  }
}

/**
 * encodeNetmask: for IPv4 the kernel keeps a __be32 mask (ipvsadm -M 255.255.255.0), for IPv6
 * the prefix length itself (ipvsadm -M 64); both travel as a u32 attribute.
 */
function encodeNetmask(family: AddressFamily, prefix: number): number {
  const limit = family === 4 ? 32 : 128;
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > limit) {
    throw new IpvsInputError(`persistence netmask /${prefix} is not 0-${limit} for IPv${family}`);
  }
  if (family === 6) return prefix;
  const mask = prefixMask(prefix);
  // The attribute is the mask's network-order bytes read as a host-order u32.
  const bytes = Buffer.allocUnsafe(4);
  bytes.writeUInt32BE(mask);
  return bytes.readUInt32LE(0);
}

function decodeNetmask(family: AddressFamily, raw: number): number {
  if (family === 6) return raw;
  const bytes = Buffer.allocUnsafe(4);
  bytes.writeUInt32LE(raw);
  const mask = bytes.readUInt32BE(0);
  // The prefix is the count of leading one bits; anything after them must be zero.
  const prefix = Math.clz32(~mask);
  if (mask !== prefixMask(prefix)) throw new NetlinkParseError(`persistence netmask ${mask.toString(16)} is not a prefix`, 0);
  return prefix;
}

function prefixMask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** ServiceFields locates each attribute of a service nest: payload [start, end) by type. */
class ServiceFields {
  readonly starts: number[] = [];
  readonly ends: number[] = [];

  constructor(readonly nest: Buffer) {
    forEachAttribute(nest, 0, nest.length, (type, start, end) => {
      if (type > IPVS_SVC_ATTR_STATS64 || this.starts[type] !== undefined) return;
      this.starts[type] = start;
      this.ends[type] = end;
    });
  }

  has(type: number): boolean {
    return this.starts[type] !== undefined;
  }

  /** at returns where a required attribute of at least `size` bytes starts. */
  at(type: number, size: number, what: string): number {
    const start = this.starts[type];
    if (start === undefined) throw new NetlinkParseError(`required attribute ${what} is missing`, 0);
    return sized(start, this.ends[type] ?? start, size, what);
  }

  string(type: number): string | undefined {
    const start = this.starts[type];
    if (start === undefined) return undefined;
    const end = this.ends[type] ?? start;
    const nul = this.nest.indexOf(0, start);
    return this.nest.toString('latin1', start, nul === -1 || nul > end ? end : nul);
  }

  bytes(type: number): Buffer | undefined {
    const start = this.starts[type];
    return start === undefined ? undefined : this.nest.subarray(start, this.ends[type]);
  }
}

/**
 * decodeService reads one IPVS_CMD_ATTR_SERVICE nest (its payload bytes) of a GET_SERVICE
 * reply with its counters, walking it in place like the real server decoder.
 */
export function decodeService(nest: Buffer): VirtualServiceEntry {
  const fields = new ServiceFields(nest);
  return { ...serviceSettings(fields), stats: decodeStats(fields.bytes(IPVS_SVC_ATTR_STATS64), fields.bytes(IPVS_SVC_ATTR_STATS)) };
}

/** decodeServiceRules reads a service nest as decodeService does, leaving its counters unread. */
export function decodeServiceRules(nest: Buffer): VirtualService {
  return serviceSettings(new ServiceFields(nest));
}

function serviceSettings(fields: ServiceFields): VirtualService {
  const nest = fields.nest;
  const family = familyFromNumber(nest.readUInt16LE(fields.at(IPVS_SVC_ATTR_AF, 2, 'IPVS_SVC_ATTR_AF')));
  const flags = nest.readUInt32LE(fields.at(IPVS_SVC_ATTR_FLAGS, 4, 'IPVS_SVC_ATTR_FLAGS'));
  const schedulerFlags = (Object.keys(SCHEDULER_FLAG_BITS) as SchedulerFlag[]).filter((flag) => (flags & SCHEDULER_FLAG_BITS[flag]) !== 0);
  const scheduler = fields.string(IPVS_SVC_ATTR_SCHED_NAME);
  if (scheduler === undefined) throw new NetlinkParseError('required attribute IPVS_SVC_ATTR_SCHED_NAME is missing', 0);
  const persistenceEngine = fields.string(IPVS_SVC_ATTR_PE_NAME);
  const settings = {
    scheduler,
    onePacket: (flags & IP_VS_SVC_F_ONEPACKET) !== 0,
    schedulerFlags,
    ...((flags & IP_VS_SVC_F_PERSISTENT) === 0
      ? {}
      : {
          persistence: {
            timeoutSeconds: nest.readUInt32LE(fields.at(IPVS_SVC_ATTR_TIMEOUT, 4, 'IPVS_SVC_ATTR_TIMEOUT')),
            netmaskPrefixLength: decodeNetmask(family, nest.readUInt32LE(fields.at(IPVS_SVC_ATTR_NETMASK, 4, 'IPVS_SVC_ATTR_NETMASK'))),
          },
        }),
    ...(persistenceEngine === undefined || persistenceEngine === '' ? {} : { persistenceEngine }),
  };
  const fwmark = fields.has(IPVS_SVC_ATTR_FWMARK) ? nest.readUInt32LE(fields.at(IPVS_SVC_ATTR_FWMARK, 4, 'IPVS_SVC_ATTR_FWMARK')) : 0;
  if (fwmark !== 0) return { protocol: 'fwmark', family, fwmark, ...settings };
  return { ...decodeServiceAddress(fields, family), ...settings };
}

function decodeServiceAddress(fields: ServiceFields, family: AddressFamily): Extract<VirtualServiceId, { protocol: 'tcp' | 'udp' | 'sctp' }> {
  const nest = fields.nest;
  const number = nest.readUInt16LE(fields.at(IPVS_SVC_ATTR_PROTOCOL, 2, 'IPVS_SVC_ATTR_PROTOCOL'));
  const protocol = number === IPPROTO_TCP ? 'tcp' : number === IPPROTO_UDP ? 'udp' : number === IPPROTO_SCTP ? 'sctp' : undefined;
  if (protocol === undefined) throw new NetlinkParseError(`service protocol ${number} is not tcp, udp or sctp`, 0);
  const addressAt = fields.at(IPVS_SVC_ATTR_ADDR, NF_INET_ADDR_LEN, 'IPVS_SVC_ATTR_ADDR');
  return {
    protocol,
    family,
    address: formatInetAddress(nest.subarray(addressAt, addressAt + NF_INET_ADDR_LEN), family),
    port: nest.readUInt16BE(fields.at(IPVS_SVC_ATTR_PORT, 2, 'IPVS_SVC_ATTR_PORT')),
  };
}
