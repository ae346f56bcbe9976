import { describe, expect, it } from 'vitest';
import { addressDumpRequest, addressRequest, decodeAddress } from '../../../src/kernel/rtnetlink/address-codec.js';
import { IFA_F_NODAD, IFA_F_PERMANENT, IFA_F_TENTATIVE, RTM_GETLINK, RTM_NEWADDR, RTM_NEWLINK } from '../../../src/kernel/rtnetlink/constants.js';
import { decodeEvent } from '../../../src/kernel/rtnetlink/events.js';
import { decodeLink, linkDumpRequest } from '../../../src/kernel/rtnetlink/link-codec.js';
import { NLM_F_ACK, NLM_F_REQUEST, NLMSG_ERROR } from '../../../src/netlink/constants.js';
import { decodeAckOrError, decodeMessages, encodeMessage } from '../../../src/netlink/message.js';
import type { NetlinkRequest } from '../../../src/netlink/message.js';
import { NetlinkParseError } from '../../../src/netlink/parse-error.js';
import { receivedMessages, sent } from '../../fixtures/rtnetlink/fixture.js';

// Golden bytes: what ip(8) sent to and received from this kernel (test/fixtures/rtnetlink,
// recorded by capture.sh). tca0 is ifindex 2 with MAC 02:00:00:00:0a:01.

/** asSentBy frames `request` as the transport would, with ip(8)'s sequence number and port id. */
function asSentBy(fixture: string, request: NetlinkRequest): string {
  const original = decodeMessages(sent(fixture))[0];
  if (original === undefined) throw new Error(`${fixture} has no message`);
  const flags = request.flags | NLM_F_REQUEST | ((request.flags & 0x300) === 0x300 ? 0 : NLM_F_ACK);
  return encodeMessage({ ...request, flags }, original.seq, original.pid).toString('hex');
}

describe('rtnetlink address requests match ip(8) byte for byte', () => {
  it('adds an IPv4 address (RTM_NEWADDR, NLM_F_CREATE|NLM_F_EXCL)', () => {
    const request = addressRequest('add', { ifindex: 2, address: '192.0.2.10', prefixLength: 24 });
    expect(asSentBy('newaddr-v4', request)).toBe(sent('newaddr-v4').toString('hex'));
  });

  it('adds an IPv6 VIP with IFA_F_NODAD, as `ip addr add ... nodad`', () => {
    const request = addressRequest('add', { ifindex: 2, address: '2001:DB8:0::10', prefixLength: 64 });
    expect(asSentBy('newaddr-v6-nodad', request)).toBe(sent('newaddr-v6-nodad').toString('hex'));
  });

  it('deletes an IPv4 address (RTM_DELADDR)', () => {
    const request = addressRequest('remove', { ifindex: 2, address: '192.0.2.10', prefixLength: 24 });
    expect(asSentBy('deladdr-v4', request)).toBe(sent('deladdr-v4').toString('hex'));
  });

  it('refuses a prefix length that does not fit the family, and text that is not an address', () => {
    expect(() => addressRequest('add', { ifindex: 2, address: '192.0.2.10', prefixLength: 33 })).toThrow(/prefix length 33 of 192.0.2.10/);
    expect(() => addressRequest('add', { ifindex: 2, address: 'eth0', prefixLength: 32 })).toThrow(/"eth0" is not an IP address/);
  });

  it('dumps both families and every link', () => {
    expect(encodeMessage(addressDumpRequest(), 1).toString('hex')).toBe('1800000016000003010000000000000000000000' + '00000000');
    expect(encodeMessage(linkDumpRequest(), 1).readUInt16LE(4)).toBe(RTM_GETLINK);
  });
});

describe('rtnetlink kernel replies decode', () => {
  it('reads the acks and the benign refusals with their extended-ack text', () => {
    const ack = receivedMessages('newaddr-v4').find((m) => m.type === NLMSG_ERROR);
    const exists = receivedMessages('newaddr-v4-exists').find((m) => m.type === NLMSG_ERROR);
    const missing = receivedMessages('deladdr-v4-missing').find((m) => m.type === NLMSG_ERROR);
    if (ack === undefined || exists === undefined || missing === undefined) throw new Error('fixture lacks an NLMSG_ERROR');
    expect(decodeAckOrError(ack)).toMatchObject({ errno: 0, requestType: RTM_NEWADDR });
    expect(decodeAckOrError(exists)).toMatchObject({ errno: 17, extendedMessage: 'ipv4: Address already assigned' });
    expect(decodeAckOrError(missing).errno).toBe(99);
  });

  it('lists the addresses of an RTM_GETADDR dump, IPv6 flags included', () => {
    const addresses = receivedMessages('getaddr-dump')
      .filter((m) => m.type === RTM_NEWADDR)
      .map(decodeAddress);
    expect(addresses).toEqual([
      { ifindex: 2, family: 4, address: '192.0.2.10', prefixLength: 24, flags: IFA_F_PERMANENT },
      { ifindex: 2, family: 6, address: '2001:db8::10', prefixLength: 64, flags: IFA_F_PERMANENT | IFA_F_NODAD },
      { ifindex: 2, family: 6, address: 'fe80::ff:fe00:a01', prefixLength: 64, flags: IFA_F_PERMANENT | IFA_F_TENTATIVE },
    ]);
  });

  it('lists the links of an RTM_GETLINK dump with MAC, state and MTU', () => {
    const links = receivedMessages('getlink-dump')
      .filter((m) => m.type === RTM_NEWLINK)
      .map(decodeLink);
    expect(links).toEqual([
      { index: 1, name: 'lo', mac: '00:00:00:00:00:00', up: false, lowerUp: false, running: false, operState: 'down', mtu: 65536 },
      { index: 2, name: 'tca0', mac: '02:00:00:00:0a:01', up: true, lowerUp: true, running: true, operState: 'up', mtu: 1500 },
    ]);
  });

  it('turns multicast notifications into events: address added, removed, link down', () => {
    // Skip ip monitor's own name-cache dump (its replies carry ip's sequence number).
    const notifications = receivedMessages('monitor-events').filter((m) => m.type !== 3);
    const events = notifications.map(decodeEvent).slice(2);
    expect(events).toEqual([
      { kind: 'address', change: 'added', address: { ifindex: 2, family: 4, address: '198.51.100.7', prefixLength: 32, flags: IFA_F_PERMANENT } },
      { kind: 'address', change: 'removed', address: { ifindex: 2, family: 4, address: '198.51.100.7', prefixLength: 32, flags: IFA_F_PERMANENT } },
      {
        kind: 'link',
        deleted: false,
        link: { index: 2, name: 'tca0', mac: '02:00:00:00:0a:01', up: false, lowerUp: false, running: false, operState: 'down', mtu: 1500 },
      },
      // A link going down drops its IPv6 addresses, VIPs included (no keep_addr_on_down).
      { kind: 'address', change: 'removed', address: { ifindex: 2, family: 6, address: '2001:db8::10', prefixLength: 64, flags: IFA_F_PERMANENT | IFA_F_NODAD } },
      { kind: 'address', change: 'removed', address: { ifindex: 2, family: 6, address: 'fe80::ff:fe00:a01', prefixLength: 64, flags: IFA_F_PERMANENT | IFA_F_TENTATIVE } },
    ]);
  });

  it('raises NetlinkParseError for truncated messages rather than guessing', () => {
    const link = receivedMessages('getlink-dump').find((m) => m.type === RTM_NEWLINK);
    const address = receivedMessages('getaddr-dump').find((m) => m.type === RTM_NEWADDR);
    if (link === undefined || address === undefined) throw new Error('fixture lacks messages');
    expect(() => decodeLink({ ...link, payload: link.payload.subarray(0, 12) })).toThrow(NetlinkParseError);
    expect(() => decodeAddress({ ...address, payload: address.payload.subarray(0, 8) })).toThrow(/IFA_LOCAL or IFA_ADDRESS/);
    const shortAddress = Buffer.from(address.payload);
    shortAddress.writeUInt16LE(7, 8); // IFA_ADDRESS claims 3 bytes of address
    expect(() => decodeAddress({ ...address, payload: shortAddress.subarray(0, 8 + 8) })).toThrow(NetlinkParseError);
  });

  it('ignores notifications it does not track', () => {
    const link = receivedMessages('getlink-dump').find((m) => m.type === RTM_NEWLINK);
    if (link === undefined) throw new Error('fixture lacks a link');
    const bridgePort = Buffer.from(link.payload);
    bridgePort[0] = 7; // AF_BRIDGE
    expect(decodeEvent({ ...link, payload: bridgePort })).toBeUndefined();
    expect(decodeEvent({ ...link, type: 24 })).toBeUndefined(); // RTM_NEWROUTE
  });
});
