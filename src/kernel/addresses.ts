/**
 * addresses: the AddressPort over rtnetlink. One instance owns the VIPs of the daemon and its
 * transport serialises the calls (design: one owner per kernel resource).
 */
import type { NetlinkTransport } from '../netlink/transport.js';
import { errnoName } from '../netlink/netlink-error.js';
import type { AddOutcome, AddressEvent, AddressPort, AddressSpec, InterfaceAddress, RemoveOutcome, ResyncEvent, Unsubscribe } from './ports.js';
import { addressDumpRequest, addressRequest, decodeAddress } from './rtnetlink/address-codec.js';
import { addressRefusal } from './rtnetlink/address-refusal.js';
import { RTM_NEWADDR, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR } from './rtnetlink/constants.js';
import { type SubscriptionOpener, openNetlinkSubscription, subscribeEvents } from './rtnetlink/notifications.js';

/**
 * RtnetlinkAddresses adds, removes, lists and watches addresses with RTM_NEWADDR,
 * RTM_DELADDR, RTM_GETADDR and the IPv4/IPv6 address multicast groups.
 */
export class RtnetlinkAddresses implements AddressPort {
  private readonly transport: NetlinkTransport;
  private readonly openSubscription: SubscriptionOpener;

  /** The transport must be a NETLINK_ROUTE one; `openSubscription` defaults to the real one. */
  constructor(transport: NetlinkTransport, openSubscription: SubscriptionOpener = openNetlinkSubscription) {
    this.transport = transport;
    this.openSubscription = openSubscription;
  }

  /** list dumps every address and keeps those of `ifindex` when given (the kernel ignores the filter without strict checking). */
  async list(ifindex?: number): Promise<InterfaceAddress[]> {
    const replies = await this.transport.request(addressDumpRequest(), 'list addresses');
    const addresses: InterfaceAddress[] = [];
    for (const reply of replies) {
      if (reply.type !== RTM_NEWADDR) continue;
      const address = decodeAddress(reply);
      if (address !== undefined && (ifindex === undefined || address.ifindex === ifindex)) addresses.push(address);
    }
    return addresses;
  }

  /** add sends RTM_NEWADDR with NLM_F_EXCL; EEXIST becomes 'already-present'. */
  async add(spec: AddressSpec): Promise<AddOutcome> {
    return (await this.change('add', spec, 'EEXIST')) ? 'added' : 'already-present';
  }

  /** remove sends RTM_DELADDR; EADDRNOTAVAIL becomes 'absent'. */
  async remove(spec: AddressSpec): Promise<RemoveOutcome> {
    return (await this.change('remove', spec, 'EADDRNOTAVAIL')) ? 'removed' : 'absent';
  }

  /** subscribe joins RTNLGRP_IPV4_IFADDR and RTNLGRP_IPV6_IFADDR on a socket of its own. */
  subscribe(handler: (event: AddressEvent | ResyncEvent) => void): Unsubscribe {
    return subscribeEvents(this.openSubscription, [RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR], 'address', handler);
  }

  /**
   * change sends one request as a batch, so a refusal comes back as a value: true when the
   * kernel did it, false for the benign errno, and the typed error for anything else.
   */
  private async change(operation: 'add' | 'remove', spec: AddressSpec, benign: string): Promise<boolean> {
    const request = addressRequest(operation, spec);
    const [outcome] = await this.transport.batch([request]);
    if (outcome === undefined || outcome.ok) return true;
    if (errnoName(outcome.errno) === benign) return false;
    throw addressRefusal(operation, spec, request.type, outcome.errno, outcome.extendedMessage);
  }
}
