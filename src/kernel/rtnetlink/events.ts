/**
 * events: rtnetlink multicast notifications as tandem's LinkEvent and AddressEvent values.
 */
import type { NetlinkMessage } from '../../netlink/message.js';
import type { AddressEvent, LinkEvent } from '../ports.js';
import { decodeAddress } from './address-codec.js';
import { AF_UNSPEC, RTM_DELADDR, RTM_DELLINK, RTM_NEWADDR, RTM_NEWLINK } from './constants.js';
import { decodeLink } from './link-codec.js';

/**
 * decodeEvent turns one notification into an event, or undefined for a message type or
 * address family tandem does not track. Malformed bytes raise NetlinkParseError.
 */
export function decodeEvent(message: NetlinkMessage): LinkEvent | AddressEvent | undefined {
  switch (message.type) {
    case RTM_NEWLINK:
    case RTM_DELLINK:
      // Bridge ports also report on RTNLGRP_LINK with family AF_BRIDGE: the same link again.
      if (message.payload[0] !== AF_UNSPEC) return undefined;
      return { kind: 'link', link: decodeLink(message), deleted: message.type === RTM_DELLINK };
    case RTM_NEWADDR:
    case RTM_DELADDR: {
      const address = decodeAddress(message);
      if (address === undefined) return undefined;
      return { kind: 'address', change: message.type === RTM_NEWADDR ? 'added' : 'removed', address };
    }
    default:
      return undefined;
  }
}
