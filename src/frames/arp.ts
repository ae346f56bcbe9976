/**
 * arp: gratuitous ARP for an IPv4 VIP, and a decoder for ARP over Ethernet (RFC 826).
 *
 * A gratuitous ARP carries the VIP as both sender and target protocol address, so every host
 * on the segment that caches the VIP rewrites its entry to our MAC (RFC 5944 §4.6).
 */
import { ETHERTYPE_ARP, ETH_HLEN, decodeEthernet, writeEthernetHeader } from './ethernet.js';
import { type FrameResult, accepted, rejected } from './frame-result.js';
import { formatInetBytes, requireInetBytes } from './inet-bytes.js';
import { BROADCAST_MAC, MAC_BYTES, formatMac, macBytes } from './mac-address.js';

/** ARP operation codes (RFC 826; <linux/if_arp.h> ARPOP_REQUEST, ARPOP_REPLY). */
export const ARPOP_REQUEST = 1;
export const ARPOP_REPLY = 2;
/** Hardware type Ethernet (ARPHRD_ETHER) and protocol type IPv4 (ETH_P_IP), per RFC 826. */
const ARPHRD_ETHER = 1;
const ETHERTYPE_IPV4 = 0x0800;
const IPV4_BYTES = 4;
/** The ARP body for Ethernet/IPv4: 8 fixed bytes, then two MAC + IPv4 pairs. */
const ARP_BODY_BYTES = 8 + 2 * (MAC_BYTES + IPV4_BYTES);
/** GARP_FRAME_BYTES is 42: no padding to 60, which NICs add on the wire (veth carries it as is). */
export const GARP_FRAME_BYTES = ETH_HLEN + ARP_BODY_BYTES;
const ZERO_MAC = '00:00:00:00:00:00';

/**
 * GarpOperation picks the ARP form. 'request' is the default: RFC 5227 §3 defines the
 * announcement as a request, keepalived sends requests, and hosts that ignore unsolicited
 * replies still process requests. 'reply' is what `arping -A` sends, for old gear that only
 * refreshes its cache from replies.
 */
export type GarpOperation = 'request' | 'reply';

/** GratuitousArp says what to announce: the VIP, our MAC, and the form. */
export interface GratuitousArp {
  readonly vip: string;
  readonly mac: string;
  readonly operation?: GarpOperation;
}

/**
 * buildGratuitousArp returns the 42-byte broadcast frame. The target hardware address is zero
 * for a request (RFC 5227 §2.1.1: ignored, should be zero) and our MAC for a reply (RFC 5944
 * §4.6). Throws a TypeError if `vip` is not IPv4 or `mac` is not a MAC address.
 */
export function buildGratuitousArp(garp: GratuitousArp): Buffer {
  const vip = requireInetBytes(garp.vip, 4).bytes;
  const operation = garp.operation ?? 'request';
  const frame = Buffer.alloc(GARP_FRAME_BYTES);
  writeEthernetHeader(frame, BROADCAST_MAC, garp.mac, ETHERTYPE_ARP);
  let at = ETH_HLEN;
  at = frame.writeUInt16BE(ARPHRD_ETHER, at);
  at = frame.writeUInt16BE(ETHERTYPE_IPV4, at);
  at = frame.writeUInt8(MAC_BYTES, at);
  at = frame.writeUInt8(IPV4_BYTES, at);
  at = frame.writeUInt16BE(operation === 'request' ? ARPOP_REQUEST : ARPOP_REPLY, at);
  frame.set(macBytes(garp.mac), at);
  frame.set(vip, at + MAC_BYTES);
  at += MAC_BYTES + IPV4_BYTES;
  frame.set(macBytes(operation === 'request' ? ZERO_MAC : garp.mac), at);
  frame.set(vip, at + MAC_BYTES);
  return frame;
}

/** ArpPacket is a decoded Ethernet/IPv4 ARP packet plus the Ethernet addresses around it. */
export interface ArpPacket {
  readonly ethernetDestination: string;
  readonly ethernetSource: string;
  readonly operation: number;
  readonly senderMac: string;
  readonly senderIp: string;
  readonly targetMac: string;
  readonly targetIp: string;
  /** gratuitous: sender and target IP are the same address (RFC 5944 §4.6). */
  readonly gratuitous: boolean;
}

/** ArpRejection says why a frame is not an Ethernet/IPv4 ARP packet. */
export type ArpRejection = 'too-short' | 'wrong-ethertype' | 'not-ethernet-ipv4';

/** decodeArp reads an ARP frame (trailing padding is allowed) or says why it is not one. */
export function decodeArp(frame: Buffer): FrameResult<ArpPacket, ArpRejection> {
  const ethernet = decodeEthernet(frame, ETHERTYPE_ARP);
  if (!ethernet.ok) return ethernet;
  const body = ethernet.value.payload;
  if (body.length < ARP_BODY_BYTES) return rejected('too-short', `ARP body of ${body.length} bytes, expected ${ARP_BODY_BYTES}`);
  const hardware = body.readUInt16BE(0);
  const protocol = body.readUInt16BE(2);
  if (hardware !== ARPHRD_ETHER || protocol !== ETHERTYPE_IPV4 || body[4] !== MAC_BYTES || body[5] !== IPV4_BYTES) {
    return rejected('not-ethernet-ipv4', `hardware type ${hardware}, protocol 0x${protocol.toString(16)}: not Ethernet/IPv4`);
  }
  const sender = 8;
  const target = sender + MAC_BYTES + IPV4_BYTES;
  const senderIp = formatInetBytes(body.subarray(sender + MAC_BYTES, target));
  const targetIp = formatInetBytes(body.subarray(target + MAC_BYTES, target + MAC_BYTES + IPV4_BYTES));
  return accepted({
    ethernetDestination: ethernet.value.destination,
    ethernetSource: ethernet.value.source,
    operation: body.readUInt16BE(6),
    senderMac: formatMac(body.subarray(sender, sender + MAC_BYTES)),
    senderIp,
    targetMac: formatMac(body.subarray(target, target + MAC_BYTES)),
    targetIp,
    gratuitous: senderIp === targetIp,
  });
}
