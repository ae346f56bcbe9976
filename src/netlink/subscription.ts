/**
 * subscription: kernel notifications from netlink multicast groups (for rtnetlink:
 * RTNLGRP_LINK = 1, RTNLGRP_IPV4_IFADDR = 5, RTNLGRP_IPV6_IFADDR = 9 in <linux/rtnetlink.h>).
 *
 * A separate socket from the request transport, so notifications never mix with replies.
 * Datagrams are read on the main loop as they become readable: each is one small, already
 * built notification, so no kernel work runs on the JS thread.
 */
import { type ErrnoException, type NativeNetlinkSocket, loadNative } from '../kernel/native.js';
import { NETLINK_ROUTE } from './constants.js';
import { type NetlinkMessage, decodeMessages } from './message.js';

/**
 * SubscriptionEvent is what the owner is told:
 * - messages: decoded notifications, in kernel order;
 * - overrun: the kernel dropped notifications because the receive buffer was full (ENOBUFS),
 *   so the owner's picture is stale and it must dump again. It comes once the receive queue has
 *   been read empty, the point from which the kernel notifies again, so a dump started on it
 *   misses nothing: a change after the dump is notified;
 * - error: a datagram that did not decode, or another socket failure. The subscription keeps
 *   running; a careful owner re-dumps here too.
 */
export type SubscriptionEvent =
  | { readonly kind: 'messages'; readonly messages: readonly NetlinkMessage[] }
  | { readonly kind: 'overrun' }
  | { readonly kind: 'error'; readonly error: Error };

/** SubscriptionOptions configures NetlinkSubscription.open. */
export interface SubscriptionOptions {
  /** protocol defaults to NETLINK_ROUTE. */
  readonly protocol?: number;
  /** receiveBufferBytes defaults to 4 MiB, room for a burst of address changes. */
  readonly receiveBufferBytes?: number;
}

const DEFAULT_RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;

/** NetlinkSubscription delivers the notifications of some multicast groups until closed. */
export class NetlinkSubscription {
  private readonly socket: NativeNetlinkSocket;
  private closed = false;

  private constructor(socket: NativeNetlinkSocket) {
    this.socket = socket;
  }

  /**
   * open joins `groups` (group numbers, not bit masks) and starts delivering events to
   * `onEvent`. The open socket keeps the event loop alive until close().
   */
  static open(
    groups: readonly number[],
    onEvent: (event: SubscriptionEvent) => void,
    options: SubscriptionOptions = {},
  ): NetlinkSubscription {
    const { NetlinkSocket } = loadNative();
    const socket = new NetlinkSocket(
      options.protocol ?? NETLINK_ROUTE,
      groups,
      options.receiveBufferBytes ?? DEFAULT_RECEIVE_BUFFER_BYTES,
    );
    const subscription = new NetlinkSubscription(socket);
    socket.listen((error, datagrams) => {
      subscription.deliver(error, datagrams, onEvent);
    });
    return subscription;
  }

  /** close stops delivery and closes the socket; safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.close();
  }

  private deliver(error: ErrnoException | null, datagrams: readonly Buffer[], onEvent: (event: SubscriptionEvent) => void): void {
    if (this.closed) return;
    const messages: NetlinkMessage[] = [];
    for (const datagram of datagrams) {
      try {
        messages.push(...decodeMessages(datagram));
      } catch (parseError) {
        onEvent({ kind: 'error', error: parseError instanceof Error ? parseError : new Error(String(parseError)) });
      }
    }
    if (messages.length > 0) onEvent({ kind: 'messages', messages });
    if (error === null) return;
    onEvent(error.code === 'ENOBUFS' ? { kind: 'overrun' } : { kind: 'error', error });
  }
}
