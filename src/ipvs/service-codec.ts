/**
 * service-codec: a virtual service ↔ the nested IPVS_SVC_ATTR_* attributes.
 *
 * Layout (ip_vs.h, and what ipvsadm 1.31 sends, seen with strace in the guest): AF u16; then
 * FWMARK u32, or PROTOCOL u16 + ADDR (16 bytes) + PORT (network order); for add/edit also
 * SCHED_NAME, PE_NAME, FLAGS {flags, mask}, TIMEOUT u32 seconds and NETMASK u32.
 */
import { NetlinkParseError } from '../netlink/parse-error.js';
import { be16At, u16At, u32At } from '../netlink/bytes.js';
import { AttributeIndex, sized } from './attribute-scan.js';
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
import { type Persistence, SCHEDULER_FLAGS, type SchedulerFlag, type VirtualService, type VirtualServiceEntry, type VirtualServiceId } from './model.js';
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

/** Mutable lets serviceSettings add the optional settings to the one object it returns. */
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** SVC_ATTR_SLOTS is room for every IPVS_SVC_ATTR_* (ip_vs.h: STATS64 is the last). */
const SVC_ATTR_SLOTS = IPVS_SVC_ATTR_STATS64 + 1;

/**
 * ServiceFields locates each attribute of a service nest at buf[start, end), in place, in
 * arrays it keeps (AttributeIndex): a read-back decodes 1,000 services before V8 has
 * optimised anything, and a sub-buffer, closure or spread object per service is what costs
 * then (bench/ipvs-table). One per caller: index() overwrites what the last nest left.
 */
export class ServiceFields {
  private readonly attributes = new AttributeIndex(SVC_ATTR_SLOTS);
  private buf: Buffer = Buffer.alloc(0);

  /** index locates the attributes of the service nest payload at buf[start, end). */
  index(buf: Buffer, start: number, end: number): this {
    this.buf = buf;
    this.attributes.index(buf, start, end);
    return this;
  }

  has(type: number): boolean {
    return (this.attributes.starts[type] ?? -1) >= 0;
  }

  /** at returns where a required attribute of at least `size` bytes starts. */
  at(type: number, size: number, what: string): number {
    const start = this.attributes.starts[type] ?? -1;
    if (start < 0) throw new NetlinkParseError(`required attribute ${what} is missing`, 0);
    return sized(start, this.attributes.ends[type] ?? start, size, what);
  }

  u16(type: number, what: string): number {
    return u16At(this.buf, this.at(type, 2, what));
  }

  u32(type: number, what: string): number {
    return u32At(this.buf, this.at(type, 4, what));
  }

  /** be16 reads a network-order u16 (a port). */
  be16(type: number, what: string): number {
    return be16At(this.buf, this.at(type, 2, what));
  }

  string(type: number): string | undefined {
    if (!this.has(type)) return undefined;
    const start = this.attributes.starts[type] ?? 0;
    const end = this.attributes.ends[type] ?? start;
    const nul = this.buf.indexOf(0, start);
    return this.buf.toString('latin1', start, nul === -1 || nul > end ? end : nul);
  }

  bytes(type: number): Buffer | undefined {
    return this.has(type) ? this.buf.subarray(this.attributes.starts[type], this.attributes.ends[type]) : undefined;
  }

  /** address is the text of the 16-byte address attribute `type`. */
  address(type: number, family: AddressFamily, what: string): string {
    return formatInetAddress(this.buf, family, this.at(type, NF_INET_ADDR_LEN, what));
  }
}

/**
 * decodeService reads the IPVS_CMD_ATTR_SERVICE nest payload at buf[start, end) of a
 * GET_SERVICE reply with its counters, in place like the real server decoder. `fields` is
 * where it indexes the nest (a caller decoding many passes the one it keeps).
 */
export function decodeService(buf: Buffer, start = 0, end = buf.length, fields = new ServiceFields()): VirtualServiceEntry {
  const service = serviceSettings(fields.index(buf, start, end));
  return { ...service, stats: decodeStats(fields.bytes(IPVS_SVC_ATTR_STATS64), fields.bytes(IPVS_SVC_ATTR_STATS)) };
}

/** decodeServiceRules reads the service nest payload at buf[start, end) as decodeService does, leaving its counters unread. */
export function decodeServiceRules(buf: Buffer, start = 0, end = buf.length, fields = new ServiceFields()): VirtualService {
  return serviceSettings(fields.index(buf, start, end));
}

/** serviceSettings builds the service from indexed fields: one object, no spread, for the reason ServiceFields gives. */
function serviceSettings(fields: ServiceFields): VirtualService {
  const family = familyFromNumber(fields.u16(IPVS_SVC_ATTR_AF, 'IPVS_SVC_ATTR_AF'));
  const flags = fields.u32(IPVS_SVC_ATTR_FLAGS, 'IPVS_SVC_ATTR_FLAGS');
  const schedulerFlags = SCHEDULER_FLAGS.filter((flag) => (flags & SCHEDULER_FLAG_BITS[flag]) !== 0);
  const scheduler = fields.string(IPVS_SVC_ATTR_SCHED_NAME);
  if (scheduler === undefined) throw new NetlinkParseError('required attribute IPVS_SVC_ATTR_SCHED_NAME is missing', 0);
  const onePacket = (flags & IP_VS_SVC_F_ONEPACKET) !== 0;
  const fwmark = fields.has(IPVS_SVC_ATTR_FWMARK) ? fields.u32(IPVS_SVC_ATTR_FWMARK, 'IPVS_SVC_ATTR_FWMARK') : 0;
  const service: Mutable<VirtualService> =
    fwmark !== 0
      ? new ListedFwmarkService(family, fwmark, scheduler, onePacket, schedulerFlags)
      : new ListedAddressService(
          serviceProtocol(fields.u16(IPVS_SVC_ATTR_PROTOCOL, 'IPVS_SVC_ATTR_PROTOCOL')),
          family,
          fields.address(IPVS_SVC_ATTR_ADDR, family, 'IPVS_SVC_ATTR_ADDR'),
          fields.be16(IPVS_SVC_ATTR_PORT, 'IPVS_SVC_ATTR_PORT'),
          scheduler,
          onePacket,
          schedulerFlags,
        );
  if ((flags & IP_VS_SVC_F_PERSISTENT) !== 0) {
    service.persistence = {
      timeoutSeconds: fields.u32(IPVS_SVC_ATTR_TIMEOUT, 'IPVS_SVC_ATTR_TIMEOUT'),
      netmaskPrefixLength: decodeNetmask(family, fields.u32(IPVS_SVC_ATTR_NETMASK, 'IPVS_SVC_ATTR_NETMASK')),
    };
  }
  const persistenceEngine = fields.string(IPVS_SVC_ATTR_PE_NAME);
  if (persistenceEngine !== undefined && persistenceEngine !== '') service.persistenceEngine = persistenceEngine;
  return service;
}

/**
 * ListedAddressService and ListedFwmarkService are services as a listing makes them: made with
 * `new`, not as object literals, for the reason ListedRealServer gives (dest-codec.ts): a
 * read-back keeps its 1,000 services, and V8 recompiled serviceSettings to make them in old
 * space. The optional settings are added after, only when the kernel has them.
 */
class ListedAddressService {
  declare persistence?: Persistence;
  declare persistenceEngine?: string;

  constructor(
    readonly protocol: 'tcp' | 'udp' | 'sctp',
    readonly family: AddressFamily,
    readonly address: string,
    readonly port: number,
    readonly scheduler: string,
    readonly onePacket: boolean,
    readonly schedulerFlags: readonly SchedulerFlag[],
  ) {}
}

class ListedFwmarkService {
  readonly protocol = 'fwmark';
  declare persistence?: Persistence;
  declare persistenceEngine?: string;

  constructor(
    readonly family: AddressFamily,
    readonly fwmark: number,
    readonly scheduler: string,
    readonly onePacket: boolean,
    readonly schedulerFlags: readonly SchedulerFlag[],
  ) {}
}

function serviceProtocol(number: number): 'tcp' | 'udp' | 'sctp' {
  if (number === IPPROTO_TCP) return 'tcp';
  if (number === IPPROTO_UDP) return 'udp';
  if (number === IPPROTO_SCTP) return 'sctp';
  throw new NetlinkParseError(`service protocol ${number} is not tcp, udp or sctp`, 0);
}
