import { execFileSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ErrnoException, loadNative } from '../../src/kernel/native.js';
import { ETH_P_ARP, PacketSocket } from '../../src/kernel/packet-socket.js';
import { NETLINK_ROUTE } from '../../src/netlink/constants.js';
import { NativeNetlinkTransport } from '../../src/netlink/native-transport.js';
import { NetlinkSubscription, type SubscriptionEvent } from '../../src/netlink/subscription.js';
import { TestNamespace, vethPair } from './helpers/netns.js';
import { RTM_NEWADDR, addressOf, addressRequest } from './helpers/rtnetlink.js';

/** Multicast groups from <linux/rtnetlink.h>. */
const RTNLGRP_LINK = 1;
const RTNLGRP_IPV4_IFADDR = 5;

/** until waits for `predicate` to hold over `events`, polling the event loop, or fails. */
async function until<T>(events: readonly T[], predicate: (events: readonly T[]) => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate(events)) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; ${events.length} events seen`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('netlink subscription and packet socket in network namespaces', () => {
  let left: TestNamespace;
  let right: TestNamespace;
  const closers: (() => void)[] = [];

  beforeEach(() => {
    left = TestNamespace.create('notify');
    right = TestNamespace.create('notifypeer');
  });

  afterEach(() => {
    for (const close of closers.splice(0)) close();
    left.destroy();
    right.destroy();
  });

  it('delivers link and address notifications as decoded messages', async () => {
    const events: SubscriptionEvent[] = [];
    const subscription = left.run(() => NetlinkSubscription.open([RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR], (event) => events.push(event)));
    closers.push(() => { subscription.close(); });
    vethPair(left, 'tn0', right, 'tn1');
    const { transport, ifindex } = left.run(() => ({
      transport: NativeNetlinkTransport.open(NETLINK_ROUTE),
      ifindex: loadNative().ifNameToIndex('tn0'),
    }));
    closers.push(() => { transport.close(); });
    await transport.request(addressRequest(RTM_NEWADDR, ifindex, '192.0.2.7', 32), 'add address');

    const messages = (seen: readonly SubscriptionEvent[]) => seen.flatMap((event) => (event.kind === 'messages' ? event.messages : []));
    await until(events, (seen) => messages(seen).some((m) => m.type === RTM_NEWADDR));
    const added = messages(events).filter((m) => m.type === RTM_NEWADDR).map(addressOf);
    expect(added).toContainEqual({ index: ifindex, local: '192.0.2.7' });
    expect(messages(events).some((m) => m.type === 16 && m.payload.readInt32LE(4) === ifindex)).toBe(true);
    expect(events.filter((event) => event.kind !== 'messages')).toEqual([]);
  });

  it('reports an overrun only once notifications flow again, so a re-dump on it misses nothing', async () => {
    const events: SubscriptionEvent[] = [];
    // The smallest receive buffer the kernel allows (SOCK_MIN_RCVBUF, about 2 KiB) overflows
    // after a handful of notifications while the event loop is blocked below.
    const subscription = left.run(() =>
      NetlinkSubscription.open(
        [RTNLGRP_IPV4_IFADDR],
        (event) => {
          events.push(event);
          // An owner re-dumps the moment it hears of the overrun, before the loop turns again.
          // A change made right then must still be notified: the kernel drops every
          // notification until the receive queue is read empty, so the report has to wait
          // for that. Making the change inside the handler pins that worst interleaving.
          if (event.kind === 'overrun' && events.filter((seen) => seen.kind === 'overrun').length === 1) {
            left.ip('address', 'add', '198.51.100.1/32', 'dev', 'to0');
          }
        },
        { receiveBufferBytes: 1 },
      ),
    );
    closers.push(() => { subscription.close(); });
    vethPair(left, 'to0', right, 'to1');
    const commands = Array.from({ length: 200 }, (_, i) => `address add 192.0.2.${i + 1}/32 dev to0`).join('\n');
    execFileSync('ip', ['-n', left.name, '-batch', '-'], { input: commands });
    await until(events, (seen) => seen.some((event) => event.kind === 'overrun'));
    // Delivery goes on after an overrun (libuv stops a handle on EPOLLERR; the addon restarts it).
    await until(events, (seen) =>
      seen.some((event) => event.kind === 'messages' && event.messages.some((m) => addressOf(m).local === '198.51.100.1')),
    );
    expect(events.filter((event) => event.kind === 'error')).toEqual([]);
    subscription.close();
    subscription.close();
  });

  it('sends a raw Ethernet frame that the peer namespace receives byte for byte', async () => {
    vethPair(left, 'tp0', right, 'tp1');
    const frames: Buffer[] = [];
    const errors: ErrnoException[] = [];
    const receiver = right.run(() =>
      PacketSocket.openReceiver(loadNative().ifNameToIndex('tp1'), ETH_P_ARP, {
        onFrame: (frame) => frames.push(frame),
        onError: (error) => errors.push(error),
      }),
    );
    closers.push(() => { receiver.close(); });
    const { sender, ifindex } = left.run(() => ({ sender: PacketSocket.openSender(), ifindex: loadNative().ifNameToIndex('tp0') }));
    closers.push(() => { sender.close(); });

    // A gratuitous ARP request for 192.0.2.9 from 02:00:00:00:00:01 (RFC 5227 section 3).
    const frame = Buffer.from(
      'ffffffffffff' + '020000000001' + '0806' + '0001' + '0800' + '06' + '04' + '0001' +
        '020000000001' + 'c0000209' + '000000000000' + 'c0000209',
      'hex',
    );
    sender.sendFrame(ifindex, frame);
    await until(frames, (seen) => seen.length > 0);
    expect(frames[0]).toEqual(frame);
    expect(errors).toEqual([]);

    expect(() => { sender.sendFrame(ifindex, Buffer.alloc(10)); }).toThrow(expect.objectContaining({ code: 'EINVAL', syscall: 'sendto' }) as Error);
    sender.close();
    expect(() => { sender.sendFrame(ifindex, frame); }).toThrow(expect.objectContaining({ code: 'EBADF' }) as Error);
  });
});
