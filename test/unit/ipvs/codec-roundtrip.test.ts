/**
 * codec-roundtrip: every model value the encoders accept decodes back to itself, and errors
 * name the object and say what to do.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IPVS_CMD_ATTR_DAEMON, IPVS_CMD_ATTR_DEST, IPVS_CMD_ATTR_SERVICE } from '../../../src/ipvs/constants.js';
import { decodeDaemon } from '../../../src/ipvs/daemon-codec.js';
import { RealServerRulesReader, decodeRealServer } from '../../../src/ipvs/dest-codec.js';
import { AddressSpellings } from '../../../src/ipvs/inet-address.js';
import { IpvsError } from '../../../src/ipvs/ipvs-error.js';
import { type RealServer, type SyncDaemon, type VirtualService, ZERO_STATS } from '../../../src/ipvs/model.js';
import { IpvsRequestEncoder } from '../../../src/ipvs/request-encoder.js';
import { decodeService, decodeServiceRules } from '../../../src/ipvs/service-codec.js';
import { AttributeSet } from '../../../src/netlink/attributes.js';
import { NetlinkParseError } from '../../../src/netlink/parse-error.js';

const flags = fc.subarray(['flag-1', 'flag-2', 'flag-3'] as const);
const settings = fc.record({
  scheduler: fc.constantFrom('rr', 'wlc', 'sh', 'mh'),
  onePacket: fc.boolean(),
  schedulerFlags: flags,
});
const service: fc.Arbitrary<VirtualService> = fc.oneof(
  fc
    .tuple(fc.constantFrom('tcp', 'udp', 'sctp'), fc.oneof(fc.ipV4(), fc.ipV6()), fc.nat(65535), settings, fc.option(fc.nat(86400), { nil: undefined }), fc.nat(128))
    .map(([protocol, address, port, rest, timeout, prefix]): VirtualService => {
      const family = address.includes(':') ? 6 : 4;
      const canonical = family === 6 ? new URL(`http://[${address}]/`).hostname.slice(1, -1) : address;
      const persistence = timeout === undefined ? {} : { persistence: { timeoutSeconds: timeout, netmaskPrefixLength: family === 4 ? prefix % 33 : prefix } };
      return { protocol, family, address: canonical, port, ...rest, ...persistence };
    }),
  fc.tuple(fc.constantFrom(4 as const, 6 as const), fc.integer({ min: 1, max: 0xffffffff }), settings).map(([family, fwmark, rest]): VirtualService => ({ protocol: 'fwmark', family, fwmark, ...rest })),
);
const realServer: fc.Arbitrary<RealServer> = fc
  .tuple(fc.ipV4(), fc.nat(65535), fc.constantFrom('route', 'masquerade', 'tunnel' as const), fc.nat(0x7fffffff), fc.nat(), fc.nat(), fc.constantFrom('ipip', 'gue', 'gre' as const), fc.constantFrom('nocsum', 'csum', 'remcsum' as const))
  .map(([address, port, forward, weight, upper, lower, type, checksum]): RealServer => ({
    address,
    port,
    forward,
    weight,
    upperThreshold: upper,
    lowerThreshold: lower,
    ...(forward === 'tunnel' ? { tunnel: { type, port: type === 'gue' ? port : 0, checksum } } : {}),
  }));

/** A STATS64 nest (type 12, NLA_F_NESTED) holding IPVS_STATS_ATTR_CONNS = 5 as a u64. */
const STATS64_NEST = Buffer.from([16, 0, 12, 0x80, 12, 0, 1, 0, 5, 0, 0, 0, 0, 0, 0, 0]);
/** IPVS_DEST_ATTR_ACTIVE_CONNS (type 7) = 7. */
const ACTIVE_CONNS_7 = Buffer.from([8, 0, 7, 0, 7, 0, 0, 0]);

function nest(payload: Uint8Array, type: number): Buffer {
  const value = AttributeSet.decode(Buffer.from(payload).subarray(4)).bytes(type);
  if (value === undefined) throw new Error(`no attribute ${type}`);
  return value;
}

describe('IPVS codecs round-trip', () => {
  it('decodes every encoded virtual service to itself', () => {
    fc.assert(
      fc.property(service, (vs) => {
        const payload = new IpvsRequestEncoder(0x1c).operation({ kind: 'add-service', service: vs }).payload;
        // A request carries no counters, so they decode as zero.
        expect(decodeService(nest(payload, IPVS_CMD_ATTR_SERVICE))).toEqual({ ...vs, stats: ZERO_STATS });
      }),
      { numRuns: 500 },
    );
  });

  it('decodes every encoded real server to itself', () => {
    fc.assert(
      fc.property(realServer, (rs) => {
        const payload = new IpvsRequestEncoder(0x1c).operation({ kind: 'add-real-server', service: { protocol: 'fwmark', family: 4, fwmark: 1 }, realServer: rs }).payload;
        expect(decodeRealServer(nest(payload, IPVS_CMD_ATTR_DEST), 4)).toMatchObject(rs);
      }),
      { numRuns: 500 },
    );
  });

  it('reads the rules of every encoded service and real server exactly, in place and past counters', () => {
    fc.assert(
      fc.property(service, realServer, fc.nat(64), (vs, rs, lead) => {
        const servicePayload = new IpvsRequestEncoder(0x1c).operation({ kind: 'add-service', service: vs }).payload;
        expect(decodeServiceRules(nest(servicePayload, IPVS_CMD_ATTR_SERVICE))).toEqual(vs);
        const payload = new IpvsRequestEncoder(0x1c).operation({ kind: 'add-real-server', service: { protocol: 'fwmark', family: 4, fwmark: 1 }, realServer: rs }).payload;
        // The nest sits `lead` bytes into a larger buffer, as it does in a dump, with a STATS64 nest
        // and a connection count after the settings, as the kernel sends them.
        const dest = Buffer.concat([Buffer.alloc(lead, 0xee), nest(payload, IPVS_CMD_ATTR_DEST), STATS64_NEST, ACTIVE_CONNS_7, Buffer.alloc(3, 0xee)]);
        expect(new RealServerRulesReader().read(dest, lead, dest.length - 3, 4)).toEqual(rs);
        expect(decodeRealServer(dest.subarray(lead, dest.length - 3), 4)).toMatchObject({ ...rs, activeConnections: 7, stats: { connections: 5n } });
      }),
      { numRuns: 500 },
    );
  });

  it('refuses a truncated or incomplete real server nest in the rules-only decoder', () => {
    const rs: RealServer = { address: '10.0.0.1', port: 80, forward: 'route', weight: 1, upperThreshold: 0, lowerThreshold: 0 };
    const payload = new IpvsRequestEncoder(0x1c).operation({ kind: 'add-real-server', service: { protocol: 'fwmark', family: 4, fwmark: 1 }, realServer: rs }).payload;
    const dest = nest(payload, IPVS_CMD_ATTR_DEST);
    expect(() => new RealServerRulesReader().read(dest, 0, dest.length - 2, 4)).toThrow(NetlinkParseError);
    // The first attribute is ADDR_FAMILY (8 bytes), then ADDR: stopping after it leaves out the port.
    expect(() => new RealServerRulesReader().read(dest, 0, 8 + 20, 4)).toThrow(/IPVS_DEST_ATTR_PORT is missing/);
  });

  it('reads a run of real servers with one reader, none of them taking a setting from the one before', () => {
    const destOf = (rs: RealServer): Buffer =>
      nest(new IpvsRequestEncoder(0x1c).operation({ kind: 'add-real-server', service: { protocol: 'fwmark', family: 4, fwmark: 1 }, realServer: rs }).payload, IPVS_CMD_ATTR_DEST);
    fc.assert(
      fc.property(fc.array(realServer, { minLength: 2, maxLength: 8 }), (servers) => {
        const reader = new RealServerRulesReader(new AddressSpellings());
        for (const rs of servers) {
          const dest = destOf(rs);
          expect(reader.read(dest, 0, dest.length, 4)).toEqual(rs);
          // Cut before the port: the reader must not find the previous server's port in its index.
          expect(() => reader.read(dest, 0, 8 + 20, 4)).toThrow(/IPVS_DEST_ATTR_PORT is missing/);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('decodes every encoded sync daemon to itself', () => {
    const daemon: fc.Arbitrary<SyncDaemon> = fc.record(
      {
        state: fc.constantFrom('master', 'backup' as const),
        mcastInterface: fc.constantFrom('lo', 'eth0', 'bond0.100'),
        syncid: fc.nat(255),
        maxlen: fc.nat(65535),
        group: fc.constantFrom('224.0.0.81', 'ff02::81', '239.255.1.2'),
        port: fc.nat(65535),
        ttl: fc.nat(255),
      },
      { requiredKeys: ['state', 'mcastInterface', 'syncid'] },
    );
    fc.assert(
      fc.property(daemon, (d) => {
        const payload = new IpvsRequestEncoder(0x1c).startDaemon(d).payload;
        expect(decodeDaemon(AttributeSet.decode(nest(payload, IPVS_CMD_ATTR_DAEMON)))).toEqual(d);
      }),
      { numRuns: 300 },
    );
  });
});

describe('IpvsError', () => {
  it('names the object and errno and says what to do', () => {
    const noModule = new IpvsError('add virtual service', 'tcp:192.0.2.1:80', 2, undefined, { scheduler: 'twos' });
    expect(noModule.code).toBe('ENOENT');
    expect(noModule.message).toBe('add virtual service tcp:192.0.2.1:80: ENOENT. scheduler "twos" is not available: load it with "modprobe ip_vs_twos"');
    const stopped = new IpvsError('stop sync daemon', 'backup', 3, undefined, { syncState: 'backup' });
    expect(stopped.message).toBe('stop sync daemon backup: ESRCH. no backup sync daemon is running; nothing to stop');
    expect(new IpvsError('add real server', 'tcp:192.0.2.1:80 -> 10.0.0.1:80', 17).hint).toContain('ipvsadm -e');
  });
});
