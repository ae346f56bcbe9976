/**
 * constants: netlink framing numbers from <linux/netlink.h> and <linux/genetlink.h>.
 * Only the framing lives here; each protocol (rtnetlink, IPVS) keeps its own numbers.
 */

/** NETLINK_ROUTE and NETLINK_GENERIC socket protocols (<linux/netlink.h>). */
export const NETLINK_ROUTE = 0;
export const NETLINK_GENERIC = 16;

/** Control message types below NLMSG_MIN_TYPE (0x10) are reserved for netlink itself. */
export const NLMSG_NOOP = 0x1;
export const NLMSG_ERROR = 0x2;
export const NLMSG_DONE = 0x3;
export const NLMSG_OVERRUN = 0x4;

/** Request flags. */
export const NLM_F_REQUEST = 0x01;
export const NLM_F_MULTI = 0x02;
export const NLM_F_ACK = 0x04;
export const NLM_F_ECHO = 0x08;
export const NLM_F_DUMP_INTR = 0x10;
/** GET modifiers. */
export const NLM_F_ROOT = 0x100;
export const NLM_F_MATCH = 0x200;
export const NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH;
/** NEW modifiers. */
export const NLM_F_REPLACE = 0x100;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;
/** ACK modifiers, set by the kernel on an NLMSG_ERROR reply. */
export const NLM_F_CAPPED = 0x100;
export const NLM_F_ACK_TLVS = 0x200;

/** struct nlmsghdr is 16 bytes: len u32, type u16, flags u16, seq u32, pid u32. */
export const NLMSG_HDRLEN = 16;
/** struct nlattr is 4 bytes: len u16, type u16; payloads are padded to 4 bytes. */
export const NLA_HDRLEN = 4;
/** Attribute type bits: the nested and network-byte-order markers, and the mask for the type. */
export const NLA_F_NESTED = 0x8000;
export const NLA_F_NET_BYTEORDER = 0x4000;
export const NLA_TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xffff;

/** Extended ack attributes in an NLMSG_ERROR reply (enum nlmsgerr_attrs). */
export const NLMSGERR_ATTR_MSG = 1;
export const NLMSGERR_ATTR_OFFS = 2;

/** struct genlmsghdr is 4 bytes: cmd u8, version u8, reserved u16. */
export const GENL_HDRLEN = 4;
/** The generic netlink controller family, which resolves family names to ids. */
export const GENL_ID_CTRL = 0x10;
export const CTRL_CMD_GETFAMILY = 3;
export const CTRL_ATTR_FAMILY_ID = 1;
export const CTRL_ATTR_FAMILY_NAME = 2;
export const CTRL_ATTR_VERSION = 3;
export const CTRL_ATTR_MCAST_GROUPS = 7;
export const CTRL_ATTR_MCAST_GRP_NAME = 1;
export const CTRL_ATTR_MCAST_GRP_ID = 2;

/** align4 rounds a length up to netlink's 4-byte alignment (NLMSG_ALIGN / NLA_ALIGN). */
export function align4(length: number): number {
  return (length + 3) & ~3;
}
