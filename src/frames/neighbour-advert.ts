/**
 * neighbour-advert: the unsolicited IPv6 neighbour advertisement that announces a VIP
 * (RFC 4861 §7.2.6), and a decoder for neighbour advertisements over Ethernet.
 *
 * The advert goes to all-nodes with the Override flag set, so every neighbour that caches the
 * VIP replaces the link-layer address with ours (RFC 4861 §7.2.5).
 */
import { IPPROTO_ICMPV6, icmpv6Checksum } from './checksum.js';
import { ETHERTYPE_IPV6, ETH_HLEN, decodeEthernet, writeEthernetHeader } from './ethernet.js';
import { type FrameResult, accepted, rejected } from './frame-result.js';
import { formatInetBytes, requireInetBytes } from './inet-bytes.js';
import { MAC_BYTES, formatMac, macBytes } from './mac-address.js';

/** ICMPv6 type of a neighbour advertisement (RFC 4861 §4.4). */
export const ND_NEIGHBOR_ADVERT = 136;
/** Flag bits in the first word after the checksum (RFC 4861 §4.4): Router, Solicited, Override. */
const NA_FLAG_ROUTER = 0x8000_0000;
const NA_FLAG_SOLICITED = 0x4000_0000;
const NA_FLAG_OVERRIDE = 0x2000_0000;
/** Option type Target Link-Layer Address; option lengths count 8-byte units (RFC 4861 §4.6.1). */
const ND_OPT_TARGET_LINKADDR = 2;
const OPTION_UNIT_BYTES = 8;
/** RFC 4861 §7.1.2: a receiver drops any ND message whose hop limit is not 255. */
export const ND_HOP_LIMIT = 255;
/** ff02::1, all nodes on the link (RFC 4291 §2.7.1), and its Ethernet group 33:33:00:00:00:01 (RFC 2464 §7). */
export const ALL_NODES = 'ff02::1';
const ALL_NODES_MAC = '33:33:00:00:00:01';

const IPV6_HEADER_BYTES = 40;
const IPV6_ADDRESS_BYTES = 16;
/** type, code, checksum, flags word, target address. */
const NA_FIXED_BYTES = 8 + IPV6_ADDRESS_BYTES;
const NA_MESSAGE_BYTES = NA_FIXED_BYTES + OPTION_UNIT_BYTES;
/** NA_FRAME_BYTES is 86: Ethernet, IPv6, the advert and one Target Link-Layer Address option. */
export const NA_FRAME_BYTES = ETH_HLEN + IPV6_HEADER_BYTES + NA_MESSAGE_BYTES;

/** UnsolicitedAdvert says what to announce. */
export interface UnsolicitedAdvert {
  /** vip is the target address being announced. */
  readonly vip: string;
  readonly mac: string;
  /**
   * source is the IPv6 source address. It defaults to the VIP itself: RFC 4861 §7.2.6 asks
   * for an address assigned to the interface, and a VIP added with IFA_F_NODAD is one at once.
   */
  readonly source?: string;
}

/**
 * buildUnsolicitedAdvert returns the 86-byte frame: to 33:33:00:00:00:01 / ff02::1, hop limit
 * 255, Override set and Router and Solicited clear (RFC 4861 §7.2.6), with our MAC in a Target
 * Link-Layer Address option and the checksum of RFC 4443 §2.3. Throws a TypeError for a VIP
 * or source that is not IPv6, or a bad MAC.
 */
export function buildUnsolicitedAdvert(advert: UnsolicitedAdvert): Buffer {
  const target = requireInetBytes(advert.vip, 6).bytes;
  const source = requireInetBytes(advert.source ?? advert.vip, 6).bytes;
  const destination = requireInetBytes(ALL_NODES, 6).bytes;
  const frame = Buffer.alloc(NA_FRAME_BYTES);
  writeEthernetHeader(frame, ALL_NODES_MAC, advert.mac, ETHERTYPE_IPV6);

  const ip = frame.subarray(ETH_HLEN, ETH_HLEN + IPV6_HEADER_BYTES);
  ip.writeUInt32BE(0x6000_0000, 0); // version 6, traffic class 0, flow label 0 (RFC 8200 §3)
  ip.writeUInt16BE(NA_MESSAGE_BYTES, 4);
  ip.writeUInt8(IPPROTO_ICMPV6, 6);
  ip.writeUInt8(ND_HOP_LIMIT, 7);
  ip.set(source, 8);
  ip.set(destination, 8 + IPV6_ADDRESS_BYTES);

  const message = frame.subarray(ETH_HLEN + IPV6_HEADER_BYTES);
  message.writeUInt8(ND_NEIGHBOR_ADVERT, 0);
  message.writeUInt32BE(NA_FLAG_OVERRIDE, 4);
  message.set(target, 8);
  message.writeUInt8(ND_OPT_TARGET_LINKADDR, NA_FIXED_BYTES);
  message.writeUInt8(1, NA_FIXED_BYTES + 1);
  message.set(macBytes(advert.mac), NA_FIXED_BYTES + 2);
  message.writeUInt16BE(icmpv6Checksum(source, destination, message), 2);
  return frame;
}

/** NeighbourAdvert is a decoded advertisement with its IPv6 and Ethernet addresses. */
export interface NeighbourAdvert {
  readonly ethernetDestination: string;
  readonly ethernetSource: string;
  readonly source: string;
  readonly destination: string;
  readonly hopLimit: number;
  readonly router: boolean;
  readonly solicited: boolean;
  readonly override: boolean;
  readonly target: string;
  /** targetMac is the Target Link-Layer Address option, when present. */
  readonly targetMac: string | undefined;
}

/** NeighbourAdvertRejection says why a frame is not a valid neighbour advertisement. */
export type NeighbourAdvertRejection =
  | 'too-short'
  | 'wrong-ethertype'
  | 'not-ipv6'
  | 'not-icmpv6'
  | 'not-neighbour-advert'
  | 'hop-limit'
  | 'bad-checksum'
  | 'bad-option';

/**
 * decodeNeighbourAdvert reads an Ethernet frame holding IPv6 + ICMPv6 type 136 with no
 * extension headers, and applies the validity checks of RFC 4861 §7.1.2 that need no state:
 * hop limit 255, code 0, length at least 24, a correct checksum and no zero-length option.
 */
export function decodeNeighbourAdvert(frame: Buffer): FrameResult<NeighbourAdvert, NeighbourAdvertRejection> {
  const ethernet = decodeEthernet(frame, ETHERTYPE_IPV6);
  if (!ethernet.ok) return ethernet;
  const packet = ethernet.value.payload;
  if (packet.length < IPV6_HEADER_BYTES) return rejected('too-short', `IPv6 packet of ${packet.length} bytes has no full header`);
  if (packet.readUInt8(0) >> 4 !== 6) return rejected('not-ipv6', `IP version ${packet.readUInt8(0) >> 4} is not 6`);
  const payloadLength = packet.readUInt16BE(4);
  if (packet.readUInt8(6) !== IPPROTO_ICMPV6) return rejected('not-icmpv6', `next header ${packet.readUInt8(6)} is not ICMPv6 (58)`);
  if (IPV6_HEADER_BYTES + payloadLength > packet.length) {
    return rejected('too-short', `payload length ${payloadLength} runs past the ${packet.length - IPV6_HEADER_BYTES} bytes received`);
  }
  const message = packet.subarray(IPV6_HEADER_BYTES, IPV6_HEADER_BYTES + payloadLength);
  if (message.length < 4 || message.readUInt8(0) !== ND_NEIGHBOR_ADVERT || message.readUInt8(1) !== 0) {
    return rejected('not-neighbour-advert', `ICMPv6 type ${message[0] ?? 'none'} code ${message[1] ?? 'none'} is not 136/0`);
  }
  if (message.length < NA_FIXED_BYTES) return rejected('too-short', `advert of ${message.length} bytes, at least ${NA_FIXED_BYTES} needed`);
  const hopLimit = packet.readUInt8(7);
  if (hopLimit !== ND_HOP_LIMIT) return rejected('hop-limit', `hop limit ${hopLimit} is not 255, so it may come from off-link`);
  const source = packet.subarray(8, 8 + IPV6_ADDRESS_BYTES);
  const destination = packet.subarray(8 + IPV6_ADDRESS_BYTES, IPV6_HEADER_BYTES);
  const residue = icmpv6Checksum(source, destination, message);
  if (residue !== 0) return rejected('bad-checksum', `ICMPv6 checksum 0x${message.readUInt16BE(2).toString(16)} does not verify`);
  const targetMac = readTargetMac(message.subarray(NA_FIXED_BYTES));
  if (targetMac === null) return rejected('bad-option', 'an option has length 0 or runs past the end');
  const flags = message.readUInt32BE(4);
  return accepted({
    ethernetDestination: ethernet.value.destination,
    ethernetSource: ethernet.value.source,
    source: formatInetBytes(source),
    destination: formatInetBytes(destination),
    hopLimit,
    router: (flags & NA_FLAG_ROUTER) !== 0,
    solicited: (flags & NA_FLAG_SOLICITED) !== 0,
    override: (flags & NA_FLAG_OVERRIDE) !== 0,
    target: formatInetBytes(message.subarray(8, NA_FIXED_BYTES)),
    targetMac,
  });
}

/** readTargetMac walks the options: the TLLA's MAC, undefined without one, null when malformed. */
function readTargetMac(options: Buffer): string | undefined | null {
  let found: string | undefined;
  for (let at = 0; at < options.length; ) {
    const length = (options[at + 1] ?? 0) * OPTION_UNIT_BYTES;
    if (length === 0 || at + length > options.length) return null;
    if (options[at] === ND_OPT_TARGET_LINKADDR && length >= 2 + MAC_BYTES) {
      found ??= formatMac(options.subarray(at + 2, at + 2 + MAC_BYTES));
    }
    at += length;
  }
  return found;
}
