import { constants } from 'node:os';
import { describe, expect, it } from 'vitest';
import { RtnetlinkAddresses } from '../../../src/kernel/addresses.js';
import { RtnetlinkLinks } from '../../../src/kernel/links.js';
import type { AddressEvent, LinkEvent, ResyncEvent } from '../../../src/kernel/ports.js';
import { RTM_DELADDR, RTM_NEWADDR, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR, RTNLGRP_LINK } from '../../../src/kernel/rtnetlink/constants.js';
import type { SubscriptionOpener } from '../../../src/kernel/rtnetlink/notifications.js';
import type { NetlinkMessage, NetlinkRequest } from '../../../src/netlink/message.js';
import { NetlinkError } from '../../../src/netlink/netlink-error.js';
import type { SubscriptionEvent } from '../../../src/netlink/subscription.js';
import type { DumpDecoder, DumpOutcome, NetlinkTransport, RequestOutcome } from '../../../src/netlink/transport.js';
import { receivedMessages } from '../../fixtures/rtnetlink/fixture.js';

/** ScriptedTransport answers dumps with fixture replies and batches with set outcomes. */
class ScriptedTransport implements NetlinkTransport {
  readonly sent: NetlinkRequest[] = [];
  constructor(
    private readonly dumpReplies: readonly NetlinkMessage[],
    private readonly outcome: RequestOutcome = { ok: true, replies: [] },
  ) {}
  request(request: NetlinkRequest): Promise<readonly NetlinkMessage[]> {
    this.sent.push(request);
    return Promise.resolve(this.dumpReplies);
  }
  batch(requests: readonly NetlinkRequest[]): Promise<readonly RequestOutcome[]> {
    this.sent.push(...requests);
    return Promise.resolve(requests.map(() => this.outcome));
  }
  dumpMany<T>(requests: readonly NetlinkRequest[], decode: DumpDecoder<T>): Promise<readonly DumpOutcome<T>[]> {
    this.sent.push(...requests);
    return Promise.resolve(requests.map((_request, index) => ({ ok: true, value: decode(this.dumpReplies, index) })));
  }
  close(): void {}
}

/** scriptedSubscription records the groups joined and lets the test push events. */
function scriptedSubscription(): { open: SubscriptionOpener; push: (event: SubscriptionEvent) => void; groups: number[][]; closed: () => boolean } {
  let deliver: ((event: SubscriptionEvent) => void) | undefined;
  let closed = false;
  const groups: number[][] = [];
  return {
    open: (joined, onEvent) => {
      groups.push([...joined]);
      deliver = onEvent;
      return { close: () => (closed = true) };
    },
    push: (event) => deliver?.(event),
    groups,
    closed: () => closed,
  };
}

const refused = (errno: number, extendedMessage?: string): RequestOutcome =>
  extendedMessage === undefined ? { ok: false, errno } : { ok: false, errno, extendedMessage };

describe('RtnetlinkAddresses over a scripted transport', () => {
  const vip = { ifindex: 2, address: '192.0.2.10', prefixLength: 24 };

  it('lists the dump, filtered by interface', async () => {
    const port = new RtnetlinkAddresses(new ScriptedTransport(receivedMessages('getaddr-dump')));
    expect((await port.list()).map((a) => a.address)).toEqual(['192.0.2.10', '2001:db8::10', 'fe80::ff:fe00:a01']);
    expect(await port.list(1)).toEqual([]);
  });

  it('maps EEXIST and EADDRNOTAVAIL to values, sending RTM_NEWADDR and RTM_DELADDR', async () => {
    const exists = new ScriptedTransport([], refused(constants.errno.EEXIST, 'ipv4: Address already assigned'));
    expect(await new RtnetlinkAddresses(exists).add(vip)).toBe('already-present');
    expect(exists.sent.map((r) => r.type)).toEqual([RTM_NEWADDR]);
    const missing = new ScriptedTransport([], refused(constants.errno.EADDRNOTAVAIL));
    expect(await new RtnetlinkAddresses(missing).remove(vip)).toBe('absent');
    expect(missing.sent.map((r) => r.type)).toEqual([RTM_DELADDR]);
    expect(await new RtnetlinkAddresses(new ScriptedTransport([])).add(vip)).toBe('added');
  });

  it('raises other refusals as NetlinkError naming the address, the kernel text and a hint', async () => {
    const port = new RtnetlinkAddresses(new ScriptedTransport([], refused(constants.errno.EPERM, 'denied')));
    const attempt = port.add(vip);
    await expect(attempt).rejects.toBeInstanceOf(NetlinkError);
    await expect(attempt).rejects.toThrow('add address 192.0.2.10/24 to interface index 2: EPERM (kernel: denied). Changing addresses needs CAP_NET_ADMIN');
    const other = new RtnetlinkAddresses(new ScriptedTransport([], refused(constants.errno.EBUSY)));
    await expect(other.remove(vip)).rejects.toThrow(/^remove address 192.0.2.10\/24 from interface index 2: EBUSY$/);
  });

  it('subscribes to both address groups and turns notifications into events, resyncs included', () => {
    const subscription = scriptedSubscription();
    const events: (AddressEvent | ResyncEvent)[] = [];
    const unsubscribe = new RtnetlinkAddresses(new ScriptedTransport([]), subscription.open).subscribe((e) => events.push(e));
    expect(subscription.groups).toEqual([[RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR]]);
    const notifications = receivedMessages('monitor-events');
    subscription.push({ kind: 'messages', messages: notifications });
    subscription.push({ kind: 'overrun' });
    const garbled = notifications.find((m) => m.type === RTM_NEWADDR);
    if (garbled === undefined) throw new Error('fixture lacks RTM_NEWADDR');
    subscription.push({ kind: 'messages', messages: [{ ...garbled, payload: garbled.payload.subarray(0, 4) }] });
    expect(events.map((e) => (e.kind === 'address' ? `${e.change} ${e.address.address}` : `resync ${e.reason}`))).toEqual([
      'added 198.51.100.7',
      'removed 198.51.100.7',
      'removed 2001:db8::10',
      'removed fe80::ff:fe00:a01',
      'resync overrun',
      'resync unreadable',
    ]);
    unsubscribe();
    expect(subscription.closed()).toBe(true);
  });
});

describe('RtnetlinkLinks over a scripted transport', () => {
  it('lists links and finds one by name', async () => {
    const port = new RtnetlinkLinks(new ScriptedTransport(receivedMessages('getlink-dump')));
    expect((await port.list()).map((l) => l.name)).toEqual(['lo', 'tca0']);
    expect(await port.byName('tca0')).toMatchObject({ index: 2, mac: '02:00:00:00:0a:01' });
    expect(await port.byName('eth9')).toBeUndefined();
  });

  it('delivers only link events from RTNLGRP_LINK', () => {
    const subscription = scriptedSubscription();
    const events: (LinkEvent | ResyncEvent)[] = [];
    new RtnetlinkLinks(new ScriptedTransport([]), subscription.open).subscribe((e) => events.push(e));
    expect(subscription.groups).toEqual([[RTNLGRP_LINK]]);
    subscription.push({ kind: 'messages', messages: receivedMessages('monitor-events') });
    subscription.push({ kind: 'error', error: new Error('EMSGSIZE') });
    expect(events.map((e) => (e.kind === 'link' ? `${e.link.name} up=${String(e.link.up)}` : `resync ${e.reason}`))).toEqual([
      'lo up=false',
      'tca0 up=true',
      'tca0 up=false',
      'resync unreadable',
    ]);
  });
});
