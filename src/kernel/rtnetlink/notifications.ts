/**
 * notifications: turn a netlink multicast subscription into tandem's link and address events.
 */
import { NetlinkSubscription, type SubscriptionEvent } from '../../netlink/subscription.js';
import type { AddressEvent, LinkEvent, ResyncEvent, Unsubscribe } from '../ports.js';
import { decodeEvent } from './events.js';

/** SubscriptionOpener opens a multicast subscription; tests inject one bound to a namespace. */
export type SubscriptionOpener = (groups: readonly number[], onEvent: (event: SubscriptionEvent) => void) => { close(): void };

/** openNetlinkSubscription is the real opener, in the caller's current network namespace. */
export const openNetlinkSubscription: SubscriptionOpener = (groups, onEvent) => NetlinkSubscription.open(groups, onEvent);

/**
 * subscribeEvents joins `groups` and hands `handler` every event of kind `kind`, plus a resync
 * event when notifications were lost or unreadable. A notification that fails to decode is
 * reported as 'unreadable' and the rest of its batch is still delivered.
 */
export function subscribeEvents<K extends 'link' | 'address'>(
  open: SubscriptionOpener,
  groups: readonly number[],
  kind: K,
  handler: (event: Extract<LinkEvent | AddressEvent, { kind: K }> | ResyncEvent) => void,
): Unsubscribe {
  const subscription = open(groups, (event) => {
    if (event.kind === 'overrun') {
      handler({ kind: 'resync', reason: 'overrun', detail: 'the kernel dropped notifications (ENOBUFS)' });
      return;
    }
    if (event.kind === 'error') {
      handler({ kind: 'resync', reason: 'unreadable', detail: event.error.message });
      return;
    }
    for (const message of event.messages) {
      let decoded: LinkEvent | AddressEvent | undefined;
      try {
        decoded = decodeEvent(message);
      } catch (error) {
        handler({ kind: 'resync', reason: 'unreadable', detail: error instanceof Error ? error.message : String(error) });
        continue;
      }
      if (decoded?.kind === kind) handler(decoded as Extract<LinkEvent | AddressEvent, { kind: K }>);
    }
  });
  return () => {
    subscription.close();
  };
}
