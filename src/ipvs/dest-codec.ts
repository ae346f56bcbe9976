/**
 * dest-codec: a real server ↔ the nested IPVS_DEST_ATTR_* attributes.
 *
 * Order as ipvsadm 1.31 sends it (strace in the guest): ADDR_FAMILY u16 (Linux 3.18+, lets an
 * IPv4 real server sit behind an IPv6 service), ADDR (16 bytes), PORT (network order),
 * FWD_METHOD u32, WEIGHT u32, TUN_TYPE u8, TUN_PORT (network order), TUN_FLAGS u16, U_THRESH,
 * L_THRESH. The tunnel attributes go out for every method, as ipvsadm does, zero when unused.
 */
import { NetlinkParseError } from '../netlink/parse-error.js';
import { be16At, u16At, u32At } from '../netlink/bytes.js';
import { AttributeIndex, forEachAttribute, sized } from './attribute-scan.js';
import type { AttributeWriter } from './attribute-writer.js';
import {
  IPVS_CMD_ATTR_DEST,
  IPVS_DEST_ATTR_ACTIVE_CONNS,
  IPVS_DEST_ATTR_ADDR,
  IPVS_DEST_ATTR_ADDR_FAMILY,
  IPVS_DEST_ATTR_FWD_METHOD,
  IPVS_DEST_ATTR_INACT_CONNS,
  IPVS_DEST_ATTR_L_THRESH,
  IPVS_DEST_ATTR_PERSIST_CONNS,
  IPVS_DEST_ATTR_PORT,
  IPVS_DEST_ATTR_STATS,
  IPVS_DEST_ATTR_STATS64,
  IPVS_DEST_ATTR_TUN_FLAGS,
  IPVS_DEST_ATTR_TUN_PORT,
  IPVS_DEST_ATTR_TUN_TYPE,
  IPVS_DEST_ATTR_U_THRESH,
  IPVS_DEST_ATTR_WEIGHT,
  IP_VS_CONN_F_DROUTE,
  IP_VS_CONN_F_FWD_MASK,
  IP_VS_CONN_F_LOCALNODE,
  IP_VS_CONN_F_MASQ,
  IP_VS_CONN_F_TUNNEL,
  IP_VS_CONN_F_TUNNEL_TYPE_GRE,
  IP_VS_CONN_F_TUNNEL_TYPE_GUE,
  IP_VS_CONN_F_TUNNEL_TYPE_IPIP,
  IP_VS_TUNNEL_ENCAP_FLAG_CSUM,
  IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM,
} from './constants.js';
import { type AddressFamily, AddressSpellings, NF_INET_ADDR_LEN, formatInetAddress } from './inet-address.js';
import { IpvsInputError } from './ipvs-error.js';
import {
  DEFAULT_TUNNEL,
  type ForwardMethod,
  type RealServer,
  type RealServerEntry,
  type RealServerId,
  type Tunnel,
  type TunnelChecksum,
  type TunnelType,
} from './model.js';
import { checkPort, familyFromNumber, familyNumber } from './service-codec.js';
import { decodeStats } from './stats-codec.js';

const FORWARD_BITS: Readonly<Record<ForwardMethod, number>> = {
  masquerade: IP_VS_CONN_F_MASQ,
  local: IP_VS_CONN_F_LOCALNODE,
  tunnel: IP_VS_CONN_F_TUNNEL,
  route: IP_VS_CONN_F_DROUTE,
};
const TUNNEL_TYPES: Readonly<Record<TunnelType, number>> = {
  ipip: IP_VS_CONN_F_TUNNEL_TYPE_IPIP,
  gue: IP_VS_CONN_F_TUNNEL_TYPE_GUE,
  gre: IP_VS_CONN_F_TUNNEL_TYPE_GRE,
};
const TUNNEL_CHECKSUMS: Readonly<Record<TunnelChecksum, number>> = {
  nocsum: 0,
  csum: IP_VS_TUNNEL_ENCAP_FLAG_CSUM,
  remcsum: IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM,
};
const FORWARD_BY_BITS = inverse(FORWARD_BITS);
const TUNNEL_TYPE_BY_NUMBER = inverse(TUNNEL_TYPES);
const TUNNEL_CHECKSUM_BY_FLAGS = inverse(TUNNEL_CHECKSUMS);
/** The kernel reads the weight as an int and refuses a negative one (ip_vs_ctl.c). */
const MAX_WEIGHT = 0x7fffffff;

/** writeRealServerId writes IPVS_CMD_ATTR_DEST with only address and port (for delete). */
export function writeRealServerId(w: AttributeWriter, id: RealServerId): void {
  w.openNested(IPVS_CMD_ATTR_DEST);
  writeAddressPort(w, id);
  w.closeNested();
}

/** writeRealServer writes IPVS_CMD_ATTR_DEST with every setting, as add and edit need. */
export function writeRealServer(w: AttributeWriter, server: RealServer): void {
  w.openNested(IPVS_CMD_ATTR_DEST);
  writeAddressPort(w, server);
  w.u32(IPVS_DEST_ATTR_FWD_METHOD, FORWARD_BITS[server.forward]);
  checkCount(server.weight, MAX_WEIGHT, 'weight');
  w.u32(IPVS_DEST_ATTR_WEIGHT, server.weight);
  const tunnel = server.forward === 'tunnel' ? (server.tunnel ?? DEFAULT_TUNNEL) : undefined;
  const tunnelType = tunnel === undefined ? 0 : TUNNEL_TYPES[tunnel.type];
  const tunnelFlags = tunnel === undefined ? 0 : TUNNEL_CHECKSUMS[tunnel.checksum];
  w.u8(IPVS_DEST_ATTR_TUN_TYPE, tunnelType);
  checkPort(tunnel?.port ?? 0, 'tunnel');
  w.be16(IPVS_DEST_ATTR_TUN_PORT, tunnel?.port ?? 0);
  w.u16(IPVS_DEST_ATTR_TUN_FLAGS, tunnelFlags);
  checkCount(server.upperThreshold, 0xffffffff, 'upper threshold');
  checkCount(server.lowerThreshold, 0xffffffff, 'lower threshold');
  w.u32(IPVS_DEST_ATTR_U_THRESH, server.upperThreshold);
  w.u32(IPVS_DEST_ATTR_L_THRESH, server.lowerThreshold);
  w.closeNested();
}

function writeAddressPort(w: AttributeWriter, id: RealServerId): void {
  // ADDR_FAMILY precedes ADDR, so the family is guessed from the text first (a colon means
  // IPv6) and confirmed by the address writer, which parses fully.
  const family: AddressFamily = id.address.includes(':') ? 6 : 4;
  w.u16(IPVS_DEST_ATTR_ADDR_FAMILY, familyNumber(family));
  if (w.inetAddress(IPVS_DEST_ATTR_ADDR, id.address) !== family) {
    throw new IpvsInputError(`real server address "${id.address}" is not an IP address`);
  }
  checkPort(id.port, `real server ${id.address}`);
  w.be16(IPVS_DEST_ATTR_PORT, id.port);
}

function checkCount(value: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) throw new IpvsInputError(`${what} ${value} is not 0-${max}`);
}

/** DEST_ATTR_SLOTS is room for every IPVS_DEST_ATTR_* tandem reads (ip_vs.h: TUN_FLAGS is the last). */
const DEST_ATTR_SLOTS = IPVS_DEST_ATTR_TUN_FLAGS + 1;

/**
 * RealServerRulesReader reads the settings of IPVS_CMD_ATTR_DEST nests of GET_DEST replies, as
 * `ipvsadm-save` shows them. It indexes a nest's attributes in place into arrays it keeps
 * (AttributeIndex), then reads each setting once: no closure, map, sub-buffer or call per
 * attribute, because a read-back decodes tens of thousands of these, the first of them before
 * V8 has optimised anything, and in a user-mode-linux guest the interpreter's calls and what
 * is allocated are most of the read-back's time (bench/ipvs-table). The connection counts and
 * the STATS/STATS64 nests are stepped over. `addresses`, when given, spells the addresses
 * from memory (a table re-read every 500 ms). One reader per caller: it is not reentrant.
 */
export class RealServerRulesReader {
  private readonly attributes = new AttributeIndex(DEST_ATTR_SLOTS);
  private readonly addresses: AddressSpellings | undefined;

  constructor(addresses?: AddressSpellings) {
    this.addresses = addresses;
  }

  /**
   * read decodes the nest payload at buf[start, end). `serviceFamily` is used when the kernel
   * predates IPVS_DEST_ATTR_ADDR_FAMILY (all servers then share their service's family).
   */
  read(buf: Buffer, start: number, end: number, serviceFamily: AddressFamily): RealServer {
    this.attributes.index(buf, start, end);
    const familyAt = this.optional(IPVS_DEST_ATTR_ADDR_FAMILY, 2, 'IPVS_DEST_ATTR_ADDR_FAMILY');
    const family = familyAt < 0 ? serviceFamily : familyFromNumber(u16At(buf, familyAt));
    const addressAt = this.required(IPVS_DEST_ATTR_ADDR, NF_INET_ADDR_LEN, 'IPVS_DEST_ATTR_ADDR');
    const port = be16At(buf, this.required(IPVS_DEST_ATTR_PORT, 2, 'IPVS_DEST_ATTR_PORT'));
    const forwardBits = u32At(buf, this.required(IPVS_DEST_ATTR_FWD_METHOD, 4, 'IPVS_DEST_ATTR_FWD_METHOD')) & IP_VS_CONN_F_FWD_MASK;
    const weight = u32At(buf, this.required(IPVS_DEST_ATTR_WEIGHT, 4, 'IPVS_DEST_ATTR_WEIGHT'));
    const upperThreshold = u32At(buf, this.required(IPVS_DEST_ATTR_U_THRESH, 4, 'IPVS_DEST_ATTR_U_THRESH'));
    const lowerThreshold = u32At(buf, this.required(IPVS_DEST_ATTR_L_THRESH, 4, 'IPVS_DEST_ATTR_L_THRESH'));
    const forward = keyOf(FORWARD_BY_BITS, forwardBits, 'forwarding method');
    const address = this.addresses === undefined ? formatInetAddress(buf, family, addressAt) : this.addresses.spell(buf, family, addressAt);
    if (forward !== 'tunnel') return new ListedRealServer(address, port, forward, weight, upperThreshold, lowerThreshold);
    // A kernel older than the tunnel attributes has only IPIP tunnels, without checksum options.
    const typeAt = this.optional(IPVS_DEST_ATTR_TUN_TYPE, 1, 'IPVS_DEST_ATTR_TUN_TYPE');
    const portAt = this.optional(IPVS_DEST_ATTR_TUN_PORT, 2, 'IPVS_DEST_ATTR_TUN_PORT');
    const flagsAt = this.optional(IPVS_DEST_ATTR_TUN_FLAGS, 2, 'IPVS_DEST_ATTR_TUN_FLAGS');
    const tunnel = {
      type: keyOf(TUNNEL_TYPE_BY_NUMBER, typeAt < 0 ? 0 : (buf[typeAt] ?? 0), 'tunnel type'),
      port: portAt < 0 ? 0 : be16At(buf, portAt),
      checksum: keyOf(TUNNEL_CHECKSUM_BY_FLAGS, flagsAt < 0 ? 0 : u16At(buf, flagsAt), 'tunnel checksum flags'),
    };
    return new ListedRealServer(address, port, forward, weight, upperThreshold, lowerThreshold, tunnel);
  }

  /** optional is where the payload of the indexed attribute `type` starts (checked to hold `size` bytes), or -1. */
  private optional(type: number, size: number, what: string): number {
    const start = this.attributes.starts[type] ?? -1;
    const end = this.attributes.ends[type] ?? start;
    // sized() only to word the error: no call per setting while this is interpreted.
    return start < 0 ? -1 : end - start >= size ? start : sized(start, end, size, what);
  }

  private required(type: number, size: number, what: string): number {
    const start = this.optional(type, size, what);
    if (start < 0) throw missing(what);
    return start;
  }
}

/**
 * ListedRealServer is a RealServer as a read-back makes it: made with `new`, not as an object
 * literal, because V8 watches where a literal is made and, once most of what it made outlives
 * a scavenge (a read-back keeps all 20,000), throws away the optimised code that makes them
 * to make them in old space: in the guest, RealServerRulesReader.read was compiled three times
 * in one first read-back, ~150 ms of the one CPU each (bench/ipvs-table, --trace-deopt).
 * Objects made by a constructor have no such allocation site. A plain value otherwise.
 */
class ListedRealServer implements RealServer {
  declare readonly tunnel?: Tunnel;

  constructor(
    readonly address: string,
    readonly port: number,
    readonly forward: ForwardMethod,
    readonly weight: number,
    readonly upperThreshold: number,
    readonly lowerThreshold: number,
    tunnel?: Tunnel,
  ) {
    if (tunnel !== undefined) this.tunnel = tunnel;
  }
}

/**
 * decodeRealServer reads one IPVS_CMD_ATTR_DEST nest (its payload bytes) of a GET_DEST reply
 * with its connection counts and counters: the settings as RealServerRulesReader reads them,
 * and the counters from STATS64, or STATS on a kernel before 4.1. `rules` is the reader of
 * the settings (a caller decoding many passes the one it keeps).
 */
export function decodeRealServer(nest: Buffer, serviceFamily: AddressFamily, rules = new RealServerRulesReader()): RealServerEntry {
  let activeConnections = 0;
  let inactiveConnections = 0;
  let persistentConnections = 0;
  let stats64: Buffer | undefined;
  let stats32: Buffer | undefined;
  forEachAttribute(nest, 0, nest.length, (type, start, end) => {
    switch (type) {
      case IPVS_DEST_ATTR_ACTIVE_CONNS:
        activeConnections = nest.readUInt32LE(sized(start, end, 4, 'IPVS_DEST_ATTR_ACTIVE_CONNS'));
        break;
      case IPVS_DEST_ATTR_INACT_CONNS:
        inactiveConnections = nest.readUInt32LE(sized(start, end, 4, 'IPVS_DEST_ATTR_INACT_CONNS'));
        break;
      case IPVS_DEST_ATTR_PERSIST_CONNS:
        persistentConnections = nest.readUInt32LE(sized(start, end, 4, 'IPVS_DEST_ATTR_PERSIST_CONNS'));
        break;
      case IPVS_DEST_ATTR_STATS64:
        stats64 = nest.subarray(start, end);
        break;
      case IPVS_DEST_ATTR_STATS:
        stats32 = nest.subarray(start, end);
        break;
      default:
    }
  });
  return { ...rules.read(nest, 0, nest.length, serviceFamily), activeConnections, inactiveConnections, persistentConnections, stats: decodeStats(stats64, stats32) };
}

function missing(what: string): NetlinkParseError {
  return new NetlinkParseError(`required attribute ${what} is missing`, 0);
}

/** inverse maps a table's numbers back to its keys, once at load, so decoding a value allocates nothing. */
function inverse<K extends string>(table: Readonly<Record<K, number>>): ReadonlyMap<number, K> {
  return new Map((Object.keys(table) as K[]).map((key) => [table[key], key]));
}

function keyOf<K extends string>(byNumber: ReadonlyMap<number, K>, value: number, what: string): K {
  const key = byNumber.get(value);
  if (key === undefined) throw new NetlinkParseError(`${what} ${value} is not one tandem knows`, 0);
  return key;
}
