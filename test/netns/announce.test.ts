/**
 * Announcements on a real veth: the left namespace holds the VIPs and announces them; the
 * right one receives the frames on an AF_PACKET socket and decodes them with src/frames, and
 * its own kernel proves it accepted them by rewriting a stale neighbour entry to our MAC.
 */
import { execFileSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeArp } from '../../src/frames/arp.js';
import { decodeNeighbourAdvert } from '../../src/frames/neighbour-advert.js';
import { RtnetlinkAddresses } from '../../src/kernel/addresses.js';
import { Announcer } from '../../src/kernel/announcer.js';
import { type ErrnoException, loadNative } from '../../src/kernel/native.js';
import { ETH_P_ARP, ETH_P_IPV6, PacketSocket } from '../../src/kernel/packet-socket.js';
import { NETLINK_ROUTE } from '../../src/netlink/constants.js';
import { NativeNetlinkTransport } from '../../src/netlink/native-transport.js';
import { EventRecorder } from '../contract/addresses-and-links-recorder.js';
import { TestNamespace, vethPair } from './helpers/netns.js';

const OUR_MAC = '02:00:00:00:0d:01';
const STALE_MAC = '02:00:00:00:0d:99';
const VIP4 = '198.51.100.10';
const VIP6 = '2001:db8::10';

/** neighbourMac reads the right namespace's cache entry for `address`, via ip(8) as an oracle. */
function neighbourMac(namespace: TestNamespace, address: string): string | undefined {
  const out = namespace.ip('neigh', 'show', address, 'dev', 'tn1');
  return /lladdr (\S+)/.exec(out)?.[1];
}

describe('announcing VIPs on a veth between two namespaces', () => {
  let left: TestNamespace;
  let right: TestNamespace;
  const closers: (() => void)[] = [];
  let ifindex: number;
  let announcer: Announcer;
  let frames: EventRecorder<Buffer>;

  beforeEach(async () => {
    left = TestNamespace.create('garp');
    right = TestNamespace.create('garppeer');
    closers.push(() => {
      left.destroy();
      right.destroy();
    });
    vethPair(left, 'tn0', right, 'tn1');
    left.ip('link', 'set', 'tn0', 'address', OUR_MAC);
    // Let a cached entry be overridden at once: the default locktime (1 s) would keep a
    // gratuitous ARP from replacing an entry updated within the last second (arp(7)).
    right.ip('neigh', 'add', VIP4, 'lladdr', STALE_MAC, 'dev', 'tn1', 'nud', 'stale');
    right.ip('-6', 'neigh', 'add', VIP6, 'lladdr', STALE_MAC, 'dev', 'tn1', 'nud', 'stale');
    execFileSync('ip', ['netns', 'exec', right.name, 'sysctl', '-q', '-w', 'net.ipv4.neigh.tn1.locktime=0']);
    const transport = left.run(() => NativeNetlinkTransport.open(NETLINK_ROUTE));
    closers.push(() => {
      transport.close();
    });
    ifindex = left.run(() => loadNative().ifNameToIndex('tn0'));
    const addresses = new RtnetlinkAddresses(transport);
    expect(await addresses.add({ ifindex, address: VIP4, prefixLength: 24 })).toBe('added');
    expect(await addresses.add({ ifindex, address: VIP6, prefixLength: 64 })).toBe('added');
    const sender = left.run(() => PacketSocket.openSender());
    closers.push(() => {
      sender.close();
    });
    announcer = new Announcer(sender);
    frames = new EventRecorder<Buffer>();
    const peerIndex = right.run(() => loadNative().ifNameToIndex('tn1'));
    for (const etherType of [ETH_P_ARP, ETH_P_IPV6]) {
      const receiver = right.run(() =>
        PacketSocket.openReceiver(peerIndex, etherType, {
          onFrame: frames.handler,
          onError: (error: ErrnoException) => {
            throw error;
          },
        }),
      );
      closers.push(() => {
        receiver.close();
      });
    }
  });

  afterEach(() => {
    for (const close of closers.splice(0).reverse()) close();
  });

  it('sends a gratuitous ARP that the peer decodes and its kernel applies', async () => {
    await announcer.announce(VIP4, { ifindex, mac: OUR_MAC });
    const frame = await frames.next('the GARP', (f) => decodeArp(f).ok);
    expect(decodeArp(frame)).toEqual({
      ok: true,
      value: {
        ethernetDestination: 'ff:ff:ff:ff:ff:ff',
        ethernetSource: OUR_MAC,
        operation: 1,
        senderMac: OUR_MAC,
        senderIp: VIP4,
        targetMac: '00:00:00:00:00:00',
        targetIp: VIP4,
        gratuitous: true,
      },
    });
    await eventually(() => neighbourMac(right, VIP4) === OUR_MAC, `the peer's ARP entry for ${VIP4} to become ${OUR_MAC}`);
  });

  it('sends an unsolicited NA that the peer decodes and its kernel applies (so the checksum is right)', async () => {
    // The peer's IPv6 ignores neighbour discovery until its own link-local address has passed
    // DAD (about a second after link up, RFC 4862 §5.4), so wait for that first.
    await eventually(() => !right.ip('-6', 'addr', 'show', 'dev', 'tn1').includes('tentative'), "the peer's link-local address to leave DAD");
    await announcer.announce(VIP6, { ifindex, mac: OUR_MAC });
    const frame = await frames.next('the NA', (f) => {
      const decoded = decodeNeighbourAdvert(f);
      return decoded.ok && decoded.value.target === VIP6;
    });
    expect(decodeNeighbourAdvert(frame)).toMatchObject({
      ok: true,
      value: { source: VIP6, destination: 'ff02::1', hopLimit: 255, override: true, solicited: false, router: false, targetMac: OUR_MAC },
    });
    await eventually(() => neighbourMac(right, VIP6) === OUR_MAC, `the peer's neighbour entry for ${VIP6} to become ${OUR_MAC}`);
  });

  it('fails with ENETDOWN when the interface is down', async () => {
    left.ip('link', 'set', 'tn0', 'down');
    await expect(announcer.announce(VIP4, { ifindex, mac: OUR_MAC })).rejects.toMatchObject({ code: 'ENETDOWN' });
  });
});

/** eventually polls `condition` (an ip(8) read) until it holds or 5 s pass. */
async function eventually(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
