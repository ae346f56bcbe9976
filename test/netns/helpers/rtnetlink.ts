/**
 * rtnetlink: the few rtnetlink messages the transport tests need, built by hand from
 * <linux/rtnetlink.h> and <linux/if_addr.h>, so these tests do not depend on the product's
 * own rtnetlink modules (which are tested on their own).
 */
import { AttributeSet, attrBytes, writeAttributes, attributesLength } from '../../../src/netlink/attributes.js';
import { NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL } from '../../../src/netlink/constants.js';
import type { NetlinkMessage, NetlinkRequest } from '../../../src/netlink/message.js';

/** rtnetlink message types (<linux/rtnetlink.h>). */
export const RTM_NEWLINK = 16;
export const RTM_GETLINK = 18;
export const RTM_NEWADDR = 20;
export const RTM_DELADDR = 21;
export const RTM_GETADDR = 22;
/** IFLA_IFNAME (<linux/if_link.h>); IFA_ADDRESS and IFA_LOCAL (<linux/if_addr.h>). */
const IFLA_IFNAME = 3;
const IFA_ADDRESS = 1;
const IFA_LOCAL = 2;
/** struct ifinfomsg and struct ifaddrmsg sizes. */
const IFINFOMSG_BYTES = 16;
const IFADDRMSG_BYTES = 8;
const AF_INET = 2;

/** linkDumpRequest is RTM_GETLINK with NLM_F_DUMP: every link of the namespace. */
export function linkDumpRequest(): NetlinkRequest {
  return { type: RTM_GETLINK, flags: NLM_F_DUMP, payload: new Uint8Array(IFINFOMSG_BYTES) };
}

/** linkOf reads ifindex and IFLA_IFNAME from an RTM_NEWLINK message. */
export function linkOf(message: NetlinkMessage): { index: number; name: string | undefined } {
  return {
    index: message.payload.readInt32LE(4),
    name: AttributeSet.decode(message.payload.subarray(IFINFOMSG_BYTES)).string(IFLA_IFNAME),
  };
}

/** addressRequest builds RTM_NEWADDR (create, exclusive) or RTM_DELADDR for an IPv4 address. */
export function addressRequest(type: typeof RTM_NEWADDR | typeof RTM_DELADDR, ifindex: number, ipv4: string, prefixLength: number): NetlinkRequest {
  const address = Uint8Array.from(ipv4.split('.').map(Number));
  const attributes = [attrBytes(IFA_LOCAL, address), attrBytes(IFA_ADDRESS, address)];
  const payload = Buffer.alloc(IFADDRMSG_BYTES + attributesLength(attributes));
  payload.writeUInt8(AF_INET, 0);
  payload.writeUInt8(prefixLength, 1);
  payload.writeUInt32LE(ifindex, 4);
  writeAttributes(payload, IFADDRMSG_BYTES, attributes);
  return { type, flags: type === RTM_NEWADDR ? NLM_F_CREATE | NLM_F_EXCL : 0, payload };
}

/** addressDumpRequest is RTM_GETADDR with NLM_F_DUMP for IPv4. */
export function addressDumpRequest(): NetlinkRequest {
  const payload = Buffer.alloc(IFADDRMSG_BYTES);
  payload.writeUInt8(AF_INET, 0);
  return { type: RTM_GETADDR, flags: NLM_F_DUMP, payload };
}

/** addressOf reads ifindex and IFA_LOCAL (dotted quad) from an RTM_NEWADDR message. */
export function addressOf(message: NetlinkMessage): { index: number; local: string | undefined } {
  const local = AttributeSet.decode(message.payload.subarray(IFADDRMSG_BYTES)).bytes(IFA_LOCAL);
  return { index: message.payload.readUInt32LE(4), local: local === undefined ? undefined : [...local].join('.') };
}
