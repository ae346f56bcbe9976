/**
 * dest-codec: a real server ↔ the nested IPVS_DEST_ATTR_* attributes.
 *
 * Order as ipvsadm 1.31 sends it (strace in the guest): ADDR_FAMILY u16 (Linux 3.18+, lets an
 * IPv4 real server sit behind an IPv6 service), ADDR (16 bytes), PORT (network order),
 * FWD_METHOD u32, WEIGHT u32, TUN_TYPE u8, TUN_PORT (network order), TUN_FLAGS u16, U_THRESH,
 * L_THRESH. The tunnel attributes go out for every method, as ipvsadm does, zero when unused.
 */
import { NetlinkParseError } from '../netlink/parse-error.js';
import { NLA_HDRLEN, align4 } from '../netlink/constants.js';
import { attributeEnd, attributeType, forEachAttribute, sized } from './attribute-scan.js';
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

/**
 * decodeRealServerRules reads the settings of the IPVS_CMD_ATTR_DEST nest payload at
 * buf[start, end) of a GET_DEST reply, as `ipvsadm-save` shows them. It steps over the
 * connection counts and the STATS/STATS64 nests without reading them, and walks the bytes in
 * place with no closure, map or sub-buffer: a read-back decodes tens of thousands of these,
 * and in the guest what they allocate is most of the read-back's time (bench/ipvs-table).
 * `serviceFamily` is used when the kernel predates IPVS_DEST_ATTR_ADDR_FAMILY (all servers
 * then share it). `addresses`, when given, spells the address from memory (a re-read table).
 */
export function decodeRealServerRules(
  buf: Buffer,
  start: number,
  end: number,
  serviceFamily: AddressFamily,
  addresses?: AddressSpellings,
): RealServer {
  let family = serviceFamily;
  let addressAt = -1;
  let port = -1;
  let forwardBits = -1;
  let weight = -1;
  let upperThreshold = -1;
  let lowerThreshold = -1;
  let tunnelType = 0;
  let tunnelPort = 0;
  let tunnelFlags = 0;
  for (let at = start; at < end; ) {
    const attributeEndAt = attributeEnd(buf, at, end);
    const payload = at + NLA_HDRLEN;
    switch (attributeType(buf, at)) {
      case IPVS_DEST_ATTR_ADDR:
        addressAt = sized(payload, attributeEndAt, NF_INET_ADDR_LEN, 'IPVS_DEST_ATTR_ADDR');
        break;
      case IPVS_DEST_ATTR_ADDR_FAMILY:
        family = familyFromNumber(buf.readUInt16LE(sized(payload, attributeEndAt, 2, 'IPVS_DEST_ATTR_ADDR_FAMILY')));
        break;
      case IPVS_DEST_ATTR_PORT:
        port = buf.readUInt16BE(sized(payload, attributeEndAt, 2, 'IPVS_DEST_ATTR_PORT'));
        break;
      case IPVS_DEST_ATTR_FWD_METHOD:
        forwardBits = buf.readUInt32LE(sized(payload, attributeEndAt, 4, 'IPVS_DEST_ATTR_FWD_METHOD')) & IP_VS_CONN_F_FWD_MASK;
        break;
      case IPVS_DEST_ATTR_WEIGHT:
        weight = buf.readUInt32LE(sized(payload, attributeEndAt, 4, 'IPVS_DEST_ATTR_WEIGHT'));
        break;
      case IPVS_DEST_ATTR_U_THRESH:
        upperThreshold = buf.readUInt32LE(sized(payload, attributeEndAt, 4, 'IPVS_DEST_ATTR_U_THRESH'));
        break;
      case IPVS_DEST_ATTR_L_THRESH:
        lowerThreshold = buf.readUInt32LE(sized(payload, attributeEndAt, 4, 'IPVS_DEST_ATTR_L_THRESH'));
        break;
      case IPVS_DEST_ATTR_TUN_TYPE:
        tunnelType = buf.readUInt8(sized(payload, attributeEndAt, 1, 'IPVS_DEST_ATTR_TUN_TYPE'));
        break;
      case IPVS_DEST_ATTR_TUN_PORT:
        tunnelPort = buf.readUInt16BE(sized(payload, attributeEndAt, 2, 'IPVS_DEST_ATTR_TUN_PORT'));
        break;
      case IPVS_DEST_ATTR_TUN_FLAGS:
        tunnelFlags = buf.readUInt16LE(sized(payload, attributeEndAt, 2, 'IPVS_DEST_ATTR_TUN_FLAGS'));
        break;
      default:
      // Counters, connection counts and attributes newer than tandem are not rules.
    }
    at += align4(attributeEndAt - at);
  }
  if (addressAt < 0) throw missing('IPVS_DEST_ATTR_ADDR');
  if (port < 0) throw missing('IPVS_DEST_ATTR_PORT');
  if (forwardBits < 0) throw missing('IPVS_DEST_ATTR_FWD_METHOD');
  if (weight < 0) throw missing('IPVS_DEST_ATTR_WEIGHT');
  if (upperThreshold < 0) throw missing('IPVS_DEST_ATTR_U_THRESH');
  if (lowerThreshold < 0) throw missing('IPVS_DEST_ATTR_L_THRESH');
  const forward = keyOf(FORWARD_BY_BITS, forwardBits, 'forwarding method');
  const address = addresses === undefined ? formatInetAddress(buf, family, addressAt) : addresses.spell(buf, family, addressAt);
  if (forward !== 'tunnel') return { address, port, forward, weight, upperThreshold, lowerThreshold };
  const tunnel = {
    type: keyOf(TUNNEL_TYPE_BY_NUMBER, tunnelType, 'tunnel type'),
    port: tunnelPort,
    checksum: keyOf(TUNNEL_CHECKSUM_BY_FLAGS, tunnelFlags, 'tunnel checksum flags'),
  };
  return { address, port, forward, weight, upperThreshold, lowerThreshold, tunnel };
}

/**
 * decodeRealServer reads one IPVS_CMD_ATTR_DEST nest (its payload bytes) of a GET_DEST reply
 * with its connection counts and counters: the settings as decodeRealServerRules reads them,
 * and the counters from STATS64, or STATS on a kernel before 4.1.
 */
export function decodeRealServer(nest: Buffer, serviceFamily: AddressFamily): RealServerEntry {
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
  const rules = decodeRealServerRules(nest, 0, nest.length, serviceFamily);
  return { ...rules, activeConnections, inactiveConnections, persistentConnections, stats: decodeStats(stats64, stats32) };
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
