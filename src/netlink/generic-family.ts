/**
 * generic-family: resolve a generic netlink family name (e.g. "IPVS") to the numeric id the
 * kernel assigned at boot, with its interface version and multicast groups, by asking the
 * controller family nlctrl (CTRL_CMD_GETFAMILY, <linux/genetlink.h>).
 */
import {
  CTRL_ATTR_FAMILY_ID,
  CTRL_ATTR_FAMILY_NAME,
  CTRL_ATTR_MCAST_GROUPS,
  CTRL_ATTR_MCAST_GRP_ID,
  CTRL_ATTR_MCAST_GRP_NAME,
  CTRL_ATTR_VERSION,
  CTRL_CMD_GETFAMILY,
  GENL_ID_CTRL,
  NLMSG_HDRLEN,
} from './constants.js';
import { attrString } from './attributes.js';
import { type NetlinkMessage, type NetlinkRequest, decodeGeneric, genericPayload } from './message.js';
import { NetlinkError } from './netlink-error.js';
import { NetlinkParseError } from './parse-error.js';
import type { NetlinkTransport } from './transport.js';

/** GenericFamily is one resolved generic netlink family. */
export interface GenericFamily {
  readonly name: string;
  /** id goes in nlmsg_type of every request to the family. */
  readonly id: number;
  /** version is the family's interface version (genlmsghdr.version of its replies). */
  readonly version: number;
  /** multicastGroups maps group names to the group numbers to join. */
  readonly multicastGroups: ReadonlyMap<string, number>;
}

/** The controller's own interface version (CTRL_ATTR_VERSION of nlctrl is 2). */
const CTRL_VERSION = 2;

/** What to do when a family is missing, for the families tandem uses. */
const MISSING_HINTS: Readonly<Record<string, string>> = {
  IPVS: 'is the ip_vs module loaded? Run `modprobe ip_vs` (and list it in /etc/modules-load.d/)',
};

/**
 * GenericFamilyMissingError says the kernel has no family of that name (CTRL_CMD_GETFAMILY
 * answered ENOENT), which almost always means its module is not loaded.
 */
export class GenericFamilyMissingError extends Error {
  readonly code = 'TANDEM_GENL_FAMILY_MISSING';
  readonly family: string;

  constructor(family: string, cause: NetlinkError) {
    const hint = MISSING_HINTS[family] ?? `is the kernel module that provides it loaded?`;
    super(`generic netlink family "${family}" does not exist in this kernel: ${hint}`, { cause });
    this.name = 'GenericFamilyMissingError';
    this.family = family;
  }
}

/** getFamilyRequest builds CTRL_CMD_GETFAMILY for one family name. */
export function getFamilyRequest(name: string): NetlinkRequest {
  return {
    type: GENL_ID_CTRL,
    flags: 0,
    payload: genericPayload({ cmd: CTRL_CMD_GETFAMILY, version: CTRL_VERSION }, [attrString(CTRL_ATTR_FAMILY_NAME, name)]),
  };
}

/** decodeFamily reads the controller's reply (CTRL_CMD_NEWFAMILY) into a GenericFamily. */
export function decodeFamily(message: NetlinkMessage): GenericFamily {
  const { attributes } = decodeGeneric(message);
  const multicastGroups = new Map<string, number>();
  const groups = attributes.nested(CTRL_ATTR_MCAST_GROUPS);
  if (groups !== undefined) {
    // An array attribute: each element is a nested set whose type is just its position.
    for (const position of groups.types()) {
      const group = groups.require(groups.nested(position), `CTRL_ATTR_MCAST_GROUPS[${position}]`);
      multicastGroups.set(
        group.require(group.string(CTRL_ATTR_MCAST_GRP_NAME), 'CTRL_ATTR_MCAST_GRP_NAME'),
        group.require(group.u32(CTRL_ATTR_MCAST_GRP_ID), 'CTRL_ATTR_MCAST_GRP_ID'),
      );
    }
  }
  const id = attributes.require(attributes.u16(CTRL_ATTR_FAMILY_ID), 'CTRL_ATTR_FAMILY_ID');
  // Types below NLMSG_MIN_TYPE (0x10) are netlink's own control messages (<linux/netlink.h>), and
  // generic families are numbered from GENL_ID_CTRL (0x10) up: a smaller id is corrupt, and using
  // it would send requests as NLMSG_NOOP or NLMSG_ERROR.
  if (id < GENL_ID_CTRL) throw new NetlinkParseError(`family id ${id} is below GENL_ID_CTRL (${GENL_ID_CTRL})`, NLMSG_HDRLEN);
  return {
    name: attributes.require(attributes.string(CTRL_ATTR_FAMILY_NAME), 'CTRL_ATTR_FAMILY_NAME'),
    id,
    version: attributes.require(attributes.u32(CTRL_ATTR_VERSION), 'CTRL_ATTR_VERSION'),
    multicastGroups,
  };
}

/**
 * resolveGenericFamily asks the kernel for a family over a NETLINK_GENERIC transport. It
 * rejects with GenericFamilyMissingError when the family does not exist, and with the
 * transport's own errors otherwise.
 */
export async function resolveGenericFamily(transport: NetlinkTransport, name: string): Promise<GenericFamily> {
  let replies: readonly NetlinkMessage[];
  try {
    replies = await transport.request(getFamilyRequest(name), `resolve generic netlink family ${name}`);
  } catch (error) {
    if (error instanceof NetlinkError && error.code === 'ENOENT') throw new GenericFamilyMissingError(name, error);
    throw error;
  }
  const reply = replies.find((message) => message.type === GENL_ID_CTRL);
  if (reply === undefined) throw new NetlinkParseError(`nlctrl sent no family description for ${name}`, 0);
  return decodeFamily(reply);
}
