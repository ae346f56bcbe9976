/**
 * ethernet: the 14-byte Ethernet II header (destination, source, EtherType) that AF_PACKET
 * SOCK_RAW sockets send and receive in front of every frame (packet(7)).
 */
import { type FrameResult, accepted, rejected } from './frame-result.js';
import { MAC_BYTES, formatMac, macBytes } from './mac-address.js';

/** ETH_HLEN is the header length (<linux/if_ether.h>). */
export const ETH_HLEN = 14;
/** EtherTypes (<linux/if_ether.h>): ETH_P_ARP and ETH_P_IPV6. */
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_IPV6 = 0x86dd;

/** EthernetHeader is a decoded header; `payload` is everything after it. */
export interface EthernetHeader {
  readonly destination: string;
  readonly source: string;
  readonly etherType: number;
  readonly payload: Buffer;
}

/** EthernetRejection says why bytes are not an Ethernet frame of the wanted type. */
export type EthernetRejection = 'too-short' | 'wrong-ethertype';

/** writeEthernetHeader fills the first 14 bytes of `frame`. */
export function writeEthernetHeader(frame: Buffer, destination: string, source: string, etherType: number): void {
  frame.set(macBytes(destination), 0);
  frame.set(macBytes(source), MAC_BYTES);
  frame.writeUInt16BE(etherType, 2 * MAC_BYTES);
}

/** decodeEthernet splits a frame into its header and payload, checking the EtherType. */
export function decodeEthernet(frame: Buffer, etherType: number): FrameResult<EthernetHeader, EthernetRejection> {
  if (frame.length < ETH_HLEN) return rejected('too-short', `${frame.length} bytes is shorter than an Ethernet header`);
  const found = frame.readUInt16BE(2 * MAC_BYTES);
  if (found !== etherType) {
    return rejected('wrong-ethertype', `EtherType 0x${found.toString(16).padStart(4, '0')} is not 0x${etherType.toString(16).padStart(4, '0')}`);
  }
  return accepted({
    destination: formatMac(frame.subarray(0, MAC_BYTES)),
    source: formatMac(frame.subarray(MAC_BYTES, 2 * MAC_BYTES)),
    etherType: found,
    payload: frame.subarray(ETH_HLEN),
  });
}
