/**
 * address-codec: RTM_NEWADDR / RTM_DELADDR / RTM_GETADDR requests and the decoding of the
 * kernel's address messages (struct ifaddrmsg + IFA_* attributes, <linux/if_addr.h>).
 *
 * Requests are laid out as iproute2 lays out `ip addr add|del`: IFA_LOCAL then IFA_ADDRESS,
 * both the address, and the flags in the header byte. The golden tests compare them with
 * what ip(8) sent to this kernel.
 */
import { AttributeSet, type NetlinkAttribute, attrBytes, attrU32, attributesLength, writeAttributes } from '../../netlink/attributes.js';
import { NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL } from '../../netlink/constants.js';
import type { NetlinkMessage, NetlinkRequest } from '../../netlink/message.js';
import { NetlinkParseError } from '../../netlink/parse-error.js';
import { formatInetBytes, requireInetBytes } from '../../frames/inet-bytes.js';
import type { AddressFamily, AddressSpec, InterfaceAddress } from '../ports.js';
import {
  AF_INET,
  AF_INET6,
  AF_UNSPEC,
  IFADDRMSG_BYTES,
  IFA_ADDRESS,
  IFA_FLAGS,
  IFA_F_NODAD,
  IFA_LOCAL,
  RTM_DELADDR,
  RTM_GETADDR,
  RTM_NEWADDR,
  RT_SCOPE_UNIVERSE,
} from './constants.js';

/** ifaddrmsg.ifa_flags is one byte; larger flags need the IFA_FLAGS attribute. */
const HEADER_FLAGS_MASK = 0xff;

/**
 * vipFlags are the IFA_F_* flags tandem adds an address with: IFA_F_NODAD for IPv6, so the
 * VIP is usable at once instead of tentative for DupAddrDetectTransmits × RetransTimer
 * (RFC 4862 §5.4), as keepalived does; nothing for IPv4.
 */
export function vipFlags(family: AddressFamily): number {
  return family === 6 ? IFA_F_NODAD : 0;
}

/**
 * addressRequest builds RTM_NEWADDR (create, and fail with EEXIST if present: NLM_F_EXCL) or
 * RTM_DELADDR. Throws a TypeError when the address text is not an IP address or the prefix
 * length does not fit the family.
 */
export function addressRequest(operation: 'add' | 'remove', spec: AddressSpec): NetlinkRequest {
  const { family, bytes } = requireInetBytes(spec.address);
  const maxPrefix = family === 4 ? 32 : 128;
  if (!Number.isInteger(spec.prefixLength) || spec.prefixLength < 0 || spec.prefixLength > maxPrefix) {
    throw new TypeError(`prefix length ${spec.prefixLength} of ${spec.address} is not between 0 and ${maxPrefix}`);
  }
  const flags = operation === 'add' ? vipFlags(family) : 0;
  const attributes: NetlinkAttribute[] = [attrBytes(IFA_LOCAL, bytes), attrBytes(IFA_ADDRESS, bytes)];
  if (flags > HEADER_FLAGS_MASK) attributes.push(attrU32(IFA_FLAGS, flags));
  const payload = Buffer.alloc(IFADDRMSG_BYTES + attributesLength(attributes));
  payload.writeUInt8(family === 4 ? AF_INET : AF_INET6, 0);
  payload.writeUInt8(spec.prefixLength, 1);
  payload.writeUInt8(flags & HEADER_FLAGS_MASK, 2);
  payload.writeUInt8(RT_SCOPE_UNIVERSE, 3);
  payload.writeUInt32LE(spec.ifindex, 4);
  writeAttributes(payload, IFADDRMSG_BYTES, attributes);
  return operation === 'add'
    ? { type: RTM_NEWADDR, flags: NLM_F_CREATE | NLM_F_EXCL, payload }
    : { type: RTM_DELADDR, flags: 0, payload };
}

/** addressDumpRequest is RTM_GETADDR with NLM_F_DUMP for both families. */
export function addressDumpRequest(): NetlinkRequest {
  const payload = Buffer.alloc(IFADDRMSG_BYTES);
  payload.writeUInt8(AF_UNSPEC, 0);
  return { type: RTM_GETADDR, flags: NLM_F_DUMP, payload };
}

/**
 * decodeAddress reads an RTM_NEWADDR or RTM_DELADDR message. It returns undefined for a family
 * other than IPv4/IPv6 and raises NetlinkParseError for truncated bytes.
 */
export function decodeAddress(message: NetlinkMessage): InterfaceAddress | undefined {
  const payload = message.payload;
  if (payload.length < IFADDRMSG_BYTES) throw new NetlinkParseError(`ifaddrmsg of ${payload.length} bytes is too short`, 16);
  const familyByte = payload.readUInt8(0);
  if (familyByte !== AF_INET && familyByte !== AF_INET6) return undefined;
  const family: AddressFamily = familyByte === AF_INET ? 4 : 6;
  const attributes = AttributeSet.decode(payload.subarray(IFADDRMSG_BYTES), 16 + IFADDRMSG_BYTES);
  // IFA_LOCAL is the interface's own address; IFA_ADDRESS is the peer on a point-to-point
  // link, and the only one IPv6 sends otherwise (<linux/if_addr.h> comment).
  const bytes = attributes.require(attributes.bytes(IFA_LOCAL) ?? attributes.bytes(IFA_ADDRESS), 'IFA_LOCAL or IFA_ADDRESS');
  const expected = family === 4 ? 4 : 16;
  if (bytes.length !== expected) throw new NetlinkParseError(`IPv${family} address attribute has ${bytes.length} bytes`, 16 + IFADDRMSG_BYTES);
  return {
    ifindex: payload.readUInt32LE(4),
    family,
    address: formatInetBytes(bytes),
    prefixLength: payload.readUInt8(1),
    flags: attributes.u32(IFA_FLAGS) ?? payload.readUInt8(2),
  };
}
