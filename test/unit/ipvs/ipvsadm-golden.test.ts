/**
 * ipvsadm-golden: tandem's requests against the bytes ipvsadm 1.31 sent to Linux 6.1 for the
 * same commands (test/fixtures/ipvs/ipvsadm-requests.json, captured with strace in the guest;
 * see the README there). Both directions: tandem encodes what ipvsadm encodes, and tandem
 * decodes ipvsadm's nests into the model the command means.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AttributeSet } from '../../../src/netlink/attributes.js';
import { IPVS_CMD_ATTR_DAEMON, IPVS_CMD_ATTR_DEST, IPVS_CMD_ATTR_SERVICE } from '../../../src/ipvs/constants.js';
import { decodeDaemon } from '../../../src/ipvs/daemon-codec.js';
import { decodeRealServer } from '../../../src/ipvs/dest-codec.js';
import type { IpvsOperation } from '../../../src/ipvs/ipvs-port.js';
import type { RealServer, SyncDaemon, VirtualService } from '../../../src/ipvs/model.js';
import { IpvsRequestEncoder } from '../../../src/ipvs/request-encoder.js';
import { decodeService } from '../../../src/ipvs/service-codec.js';

interface Captured {
  readonly command: string;
  readonly payload: string;
  readonly result: string;
}

const captured: readonly Captured[] = JSON.parse(
  readFileSync(new URL('../../fixtures/ipvs/ipvsadm-requests.json', import.meta.url), 'utf8'),
) as Captured[];

function capture(command: string): Buffer {
  const entry = captured.find((c) => c.command === command);
  if (entry === undefined) throw new Error(`no capture of ${command}`);
  return Buffer.from(entry.payload, 'hex');
}

/** nest returns the raw bytes of one first-level attribute of a generic payload. */
function nest(payload: Buffer, type: number): Buffer {
  const value = AttributeSet.decode(payload.subarray(4)).bytes(type);
  if (value === undefined) throw new Error(`no attribute ${type}`);
  return value;
}

const encoder = (): IpvsRequestEncoder => new IpvsRequestEncoder(0x1c);
const base = { onePacket: false, schedulerFlags: [] } as const;
const vip = { protocol: 'tcp', family: 4, address: '192.0.2.1', port: 80 } as const;

const services: readonly [string, VirtualService][] = [
  ['ipvsadm -A -t 192.0.2.1:80 -s rr', { ...vip, scheduler: 'rr', ...base }],
  [
    'ipvsadm -A -t [2001:db8::1]:443 -s wlc -p 600 -M 64',
    { protocol: 'tcp', family: 6, address: '2001:db8::1', port: 443, scheduler: 'wlc', ...base, persistence: { timeoutSeconds: 600, netmaskPrefixLength: 64 } },
  ],
  [
    'ipvsadm -A -u 192.0.2.1:53 -s sh -b sh-fallback,sh-port -o',
    { protocol: 'udp', family: 4, address: '192.0.2.1', port: 53, scheduler: 'sh', onePacket: true, schedulerFlags: ['flag-1', 'flag-2'] },
  ],
  // A bare -p is 360 s in ipvsadm 1.31, whatever the man page says.
  ['ipvsadm -A -f 42 -s mh -b mh-port -p', { protocol: 'fwmark', family: 4, fwmark: 42, scheduler: 'mh', onePacket: false, schedulerFlags: ['flag-2'], persistence: { timeoutSeconds: 360, netmaskPrefixLength: 32 } }],
  ['ipvsadm -A -f 43 -6 -s rr', { protocol: 'fwmark', family: 6, fwmark: 43, scheduler: 'rr', ...base }],
  ['ipvsadm -A --sctp-service 192.0.2.7:80', { protocol: 'sctp', family: 4, address: '192.0.2.7', port: 80, scheduler: 'wlc', ...base }],
  ['ipvsadm -A -t 192.0.2.5:80 -s nosuch', { ...vip, address: '192.0.2.5', scheduler: 'nosuch', ...base }],
];

describe('ipvsadm golden bytes: virtual services', () => {
  it.each(services)('%s: same NEW_SERVICE bytes, and decodes back to the model', (command, service) => {
    const request = encoder().operation({ kind: 'add-service', service });
    expect(Buffer.from(request.payload).toString('hex')).toBe(capture(command).toString('hex'));
    const decoded = decodeService(nest(capture(command), IPVS_CMD_ATTR_SERVICE));
    expect(decoded).toMatchObject(service);
  });

  it('deletes and zeroes with the same service identity as ipvsadm (which also sends the settings)', () => {
    const theirs = decodeService(nest(capture('ipvsadm -D -t 192.0.2.1:80'), IPVS_CMD_ATTR_SERVICE));
    expect(theirs).toMatchObject(vip);
    const ours = encoder().operation({ kind: 'delete-service', service: vip });
    const ourService = AttributeSet.decode(nest(Buffer.from(ours.payload), IPVS_CMD_ATTR_SERVICE));
    const theirService = AttributeSet.decode(nest(capture('ipvsadm -D -t 192.0.2.1:80'), IPVS_CMD_ATTR_SERVICE));
    for (const type of ourService.types()) expect(ourService.bytes(type)).toEqual(theirService.bytes(type));
  });

  it('sends the same bare ZERO and FLUSH', () => {
    expect(Buffer.from(encoder().zero().payload).toString('hex')).toBe(capture('ipvsadm -Z').toString('hex'));
    expect(Buffer.from(encoder().flush().payload).toString('hex')).toBe(capture('ipvsadm -C').toString('hex'));
  });
});

const realServers: readonly [string, 'add-real-server' | 'edit-real-server', VirtualService, RealServer][] = [
  ['ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.1:8080 -m -w 5 -x 100 -y 10', 'add-real-server', { ...vip, scheduler: 'rr', ...base }, { address: '10.0.0.1', port: 8080, forward: 'masquerade', weight: 5, upperThreshold: 100, lowerThreshold: 10 }],
  // ipvsadm gives a route server without a port the service's port.
  ['ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.2 -g', 'add-real-server', { ...vip, scheduler: 'rr', ...base }, { address: '10.0.0.2', port: 80, forward: 'route', weight: 1, upperThreshold: 0, lowerThreshold: 0 }],
  [
    'ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.3 -i --tun-type gue --tun-port 6080 --tun-nocsum',
    'add-real-server',
    { ...vip, scheduler: 'rr', ...base },
    { address: '10.0.0.3', port: 80, forward: 'tunnel', weight: 1, upperThreshold: 0, lowerThreshold: 0, tunnel: { type: 'gue', port: 6080, checksum: 'nocsum' } },
  ],
  ['ipvsadm -a -f 42 -r 10.0.0.4:99 -g -w 0', 'add-real-server', { protocol: 'fwmark', family: 4, fwmark: 42, scheduler: 'mh', ...base }, { address: '10.0.0.4', port: 99, forward: 'route', weight: 0, upperThreshold: 0, lowerThreshold: 0 }],
  ['ipvsadm -e -t 192.0.2.1:80 -r 10.0.0.1:8080 -m -w 7', 'edit-real-server', { ...vip, scheduler: 'rr', ...base }, { address: '10.0.0.1', port: 8080, forward: 'masquerade', weight: 7, upperThreshold: 0, lowerThreshold: 0 }],
];

describe('ipvsadm golden bytes: real servers', () => {
  it.each(realServers)('%s: same destination nest, and decodes back to the model', (command, kind, service, realServer) => {
    const operation: IpvsOperation = { kind, service, realServer };
    const ours = Buffer.from(encoder().operation(operation).payload);
    expect(ours.subarray(0, 4)).toEqual(capture(command).subarray(0, 4));
    expect(nest(ours, IPVS_CMD_ATTR_DEST).toString('hex')).toBe(nest(capture(command), IPVS_CMD_ATTR_DEST).toString('hex'));
    expect(decodeRealServer(nest(capture(command), IPVS_CMD_ATTR_DEST), 4)).toMatchObject(realServer);
  });
});

const daemons: readonly [string, SyncDaemon][] = [
  ['ipvsadm --start-daemon master --mcast-interface lo --syncid 7', { state: 'master', mcastInterface: 'lo', syncid: 7 }],
  [
    'ipvsadm --start-daemon backup --mcast-interface lo --syncid 8 --sync-maxlen 1000 --mcast-group 239.1.2.3 --mcast-port 9000 --mcast-ttl 3',
    { state: 'backup', mcastInterface: 'lo', syncid: 8, maxlen: 1000, group: '239.1.2.3', port: 9000, ttl: 3 },
  ],
  ['ipvsadm --start-daemon backup --mcast-interface lo --syncid 9 --mcast-group ff02::81', { state: 'backup', mcastInterface: 'lo', syncid: 9, group: 'ff02::81' }],
];

describe('ipvsadm golden bytes: sync daemon and timeouts', () => {
  it.each(daemons)('%s: same NEW_DAEMON bytes (MCAST_PORT in host order), and decodes back', (command, daemon) => {
    expect(Buffer.from(encoder().startDaemon(daemon).payload).toString('hex')).toBe(capture(command).toString('hex'));
    expect(decodeDaemon(AttributeSet.decode(nest(capture(command), IPVS_CMD_ATTR_DAEMON)))).toEqual(daemon);
  });

  it('stops a daemon by its state, as ipvsadm does (ipvsadm also sends an empty interface and syncid 0)', () => {
    const ours = AttributeSet.decode(nest(Buffer.from(encoder().stopDaemon('master').payload), IPVS_CMD_ATTR_DAEMON));
    const theirs = AttributeSet.decode(nest(capture('ipvsadm --stop-daemon master'), IPVS_CMD_ATTR_DAEMON));
    expect(ours.types()).toEqual([1]);
    expect(ours.bytes(1)).toEqual(theirs.bytes(1));
  });

  it('sends the same SET_CONFIG for ipvsadm --set 900 120 300', () => {
    const request = encoder().setTimeouts({ tcpSeconds: 900, tcpFinSeconds: 120, udpSeconds: 300 });
    expect(Buffer.from(request.payload).toString('hex')).toBe(capture('ipvsadm --set 900 120 300').toString('hex'));
  });

  it('has a capture for every kernel refusal the contract relies on', () => {
    const results = new Map(captured.map((c) => [c.command, c.result]));
    expect(results.get('ipvsadm -a -t 192.0.2.9:80 -r 10.0.0.1:8080 -m')).toBe('ESRCH');
    expect(results.get('ipvsadm -e -t 192.0.2.1:80 -r 10.0.0.9:8080 -m')).toBe('ENOENT');
    expect(results.get('ipvsadm -A -t 192.0.2.5:80 -s nosuch')).toBe('ENOENT');
    expect(results.get('ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.1:8080 -m -x 1 -y 5')).toBe('ERANGE');
  });
});
