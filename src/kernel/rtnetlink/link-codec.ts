/**
 * link-codec: the RTM_GETLINK dump request and the decoding of RTM_NEWLINK / RTM_DELLINK
 * messages (struct ifinfomsg + IFLA_* attributes, <linux/rtnetlink.h>, <linux/if_link.h>).
 */
import { AttributeSet } from '../../netlink/attributes.js';
import { NLM_F_DUMP } from '../../netlink/constants.js';
import type { NetlinkMessage, NetlinkRequest } from '../../netlink/message.js';
import { NetlinkParseError } from '../../netlink/parse-error.js';
import { MAC_BYTES, formatMac } from '../../frames/mac-address.js';
import type { Link, OperState } from '../ports.js';
import { IFF_LOWER_UP, IFF_RUNNING, IFF_UP, IFINFOMSG_BYTES, IFLA_ADDRESS, IFLA_IFNAME, IFLA_MTU, IFLA_OPERSTATE, RTM_GETLINK } from './constants.js';

/** IF_OPER_* in numeric order (<linux/if.h>, RFC 2863 ifOperStatus). */
const OPER_STATES: readonly OperState[] = ['unknown', 'notpresent', 'down', 'lowerlayerdown', 'testing', 'dormant', 'up'];

/** linkDumpRequest is RTM_GETLINK with NLM_F_DUMP: every link in the namespace. */
export function linkDumpRequest(): NetlinkRequest {
  return { type: RTM_GETLINK, flags: NLM_F_DUMP, payload: new Uint8Array(IFINFOMSG_BYTES) };
}

/** decodeLink reads an RTM_NEWLINK or RTM_DELLINK message; NetlinkParseError for bad bytes. */
export function decodeLink(message: NetlinkMessage): Link {
  const payload = message.payload;
  if (payload.length < IFINFOMSG_BYTES) throw new NetlinkParseError(`ifinfomsg of ${payload.length} bytes is too short`, 16);
  const flags = payload.readUInt32LE(8);
  const attributes = AttributeSet.decode(payload.subarray(IFINFOMSG_BYTES), 16 + IFINFOMSG_BYTES);
  const hardware = attributes.bytes(IFLA_ADDRESS);
  const operState = attributes.u8(IFLA_OPERSTATE);
  return {
    index: payload.readInt32LE(4),
    name: attributes.require(attributes.string(IFLA_IFNAME), 'IFLA_IFNAME'),
    mac: hardware?.length === MAC_BYTES ? formatMac(hardware) : undefined,
    up: (flags & IFF_UP) !== 0,
    lowerUp: (flags & IFF_LOWER_UP) !== 0,
    running: (flags & IFF_RUNNING) !== 0,
    operState: OPER_STATES[operState ?? 0] ?? 'unknown',
    mtu: attributes.require(attributes.u32(IFLA_MTU), 'IFLA_MTU'),
  };
}
