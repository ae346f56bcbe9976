/**
 * links: the LinkPort over rtnetlink (RTM_GETLINK dumps and RTNLGRP_LINK notifications).
 */
import type { NetlinkTransport } from '../netlink/transport.js';
import type { Link, LinkEvent, LinkPort, ResyncEvent, Unsubscribe } from './ports.js';
import { RTM_NEWLINK, RTNLGRP_LINK } from './rtnetlink/constants.js';
import { decodeLink, linkDumpRequest } from './rtnetlink/link-codec.js';
import { type SubscriptionOpener, openNetlinkSubscription, subscribeEvents } from './rtnetlink/notifications.js';

/** RtnetlinkLinks reads the namespace's links; it never changes them. */
export class RtnetlinkLinks implements LinkPort {
  private readonly transport: NetlinkTransport;
  private readonly openSubscription: SubscriptionOpener;

  /** The transport must be a NETLINK_ROUTE one; `openSubscription` defaults to the real one. */
  constructor(transport: NetlinkTransport, openSubscription: SubscriptionOpener = openNetlinkSubscription) {
    this.transport = transport;
    this.openSubscription = openSubscription;
  }

  /** list dumps every link. */
  async list(): Promise<Link[]> {
    const replies = await this.transport.request(linkDumpRequest(), 'list links');
    return replies.filter((reply) => reply.type === RTM_NEWLINK).map(decodeLink);
  }

  /** byName finds a link in a fresh dump: a host has few links, and names can be reused. */
  async byName(name: string): Promise<Link | undefined> {
    return (await this.list()).find((link) => link.name === name);
  }

  /** subscribe joins RTNLGRP_LINK on a socket of its own. */
  subscribe(handler: (event: LinkEvent | ResyncEvent) => void): Unsubscribe {
    return subscribeEvents(this.openSubscription, [RTNLGRP_LINK], 'link', handler);
  }
}
