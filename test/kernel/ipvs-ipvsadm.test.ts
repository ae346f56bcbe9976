/**
 * ipvs-ipvsadm: tandem against ipvsadm 1.31 on Linux 6.1, both ways, in one guest:
 *
 * - every table tandem writes reads back through ipvsadm (ipvsadm-save -n, and
 *   ipvsadm -Ln --thresholds for what ipvsadm-save leaves out) exactly as the same ipvsadm
 *   commands would leave it;
 * - every table ipvsadm writes is decoded by tandem's listing into the same model;
 * - likewise the timeouts (ipvsadm -L --timeout) and the sync daemons (ipvsadm -L --daemon),
 *   set once by tandem and once by ipvsadm --start-daemon.
 *
 * Each matrix entry is written twice by hand, as a model and as ipvsadm arguments, so neither
 * is derived from the other. ipvsadm gives route and tunnel servers the service's port (not
 * for fwmark services), and a bare -p is 360 s: the models say so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IpvsOperation } from '../../src/ipvs/ipvs-port.js';
import { type IpvsRules, type IpvsTable, type RealServer, type SyncDaemon, type VirtualService, realServerKey, serviceKey } from '../../src/ipvs/model.js';
import type { GuestIpvsPort } from '../contract/ipvs-guest-port.js';
import { CONTRACT_SCHEDULERS } from '../contract/ipvs.contract.js';
import { guestSkipReason, type Guest } from './harness/guest.js';
import { startGuestIpvs, type GuestIpvs } from './harness/guest-ipvs.js';

interface Entry {
  readonly service: VirtualService;
  readonly realServers: readonly RealServer[];
  readonly ipvsadm: readonly string[];
}

const plain = { onePacket: false, schedulerFlags: [] } as const;
const rs = (address: string, port: number, forward: RealServer['forward'], weight = 1, extra: Partial<RealServer> = {}): RealServer => ({
  address,
  port,
  forward,
  weight,
  upperThreshold: 0,
  lowerThreshold: 0,
  ...(forward === 'tunnel' ? { tunnel: { type: 'ipip', port: 0, checksum: 'nocsum' } } : {}),
  ...extra,
});

const MATRIX: readonly Entry[] = [
  {
    service: { protocol: 'tcp', family: 4, address: '192.0.2.1', port: 80, scheduler: 'wlc', ...plain },
    realServers: [
      rs('10.0.0.1', 8080, 'masquerade', 5, { upperThreshold: 100, lowerThreshold: 10 }),
      rs('10.0.0.2', 80, 'route', 0),
      rs('10.0.0.3', 80, 'tunnel', 3, { tunnel: { type: 'gue', port: 6080, checksum: 'remcsum' } }),
      rs('10.0.0.4', 80, 'tunnel', 65535, { tunnel: { type: 'gre', port: 0, checksum: 'csum' } }),
      rs('10.0.0.5', 80, 'tunnel'),
    ],
    ipvsadm: [
      '-A -t 192.0.2.1:80 -s wlc',
      '-a -t 192.0.2.1:80 -r 10.0.0.1:8080 -m -w 5 -x 100 -y 10',
      '-a -t 192.0.2.1:80 -r 10.0.0.2:9999 -g -w 0',
      '-a -t 192.0.2.1:80 -r 10.0.0.3 -i -w 3 --tun-type gue --tun-port 6080 --tun-remcsum',
      '-a -t 192.0.2.1:80 -r 10.0.0.4 -i -w 65535 --tun-type gre --tun-csum',
      '-a -t 192.0.2.1:80 -r 10.0.0.5 -i',
    ],
  },
  {
    service: { protocol: 'udp', family: 4, address: '192.0.2.1', port: 53, scheduler: 'sh', onePacket: true, schedulerFlags: ['flag-1', 'flag-2'] },
    realServers: [rs('10.0.0.1', 53, 'masquerade', 2)],
    ipvsadm: ['-A -u 192.0.2.1:53 -s sh -b sh-fallback,sh-port -o', '-a -u 192.0.2.1:53 -r 10.0.0.1:53 -m -w 2'],
  },
  {
    service: { protocol: 'tcp', family: 6, address: '2001:db8::1', port: 443, scheduler: 'rr', ...plain, persistence: { timeoutSeconds: 600, netmaskPrefixLength: 64 } },
    realServers: [rs('2001:db8::10', 8443, 'masquerade'), rs('2001:db8::11', 443, 'route', 4), rs('10.0.0.6', 443, 'tunnel')],
    ipvsadm: [
      '-A -t [2001:db8::1]:443 -s rr -p 600 -M 64',
      '-a -t [2001:db8::1]:443 -r [2001:db8::10]:8443 -m',
      '-a -t [2001:db8::1]:443 -r [2001:db8::11]:443 -g -w 4',
      '-a -t [2001:db8::1]:443 -r 10.0.0.6 -i',
    ],
  },
  {
    service: { protocol: 'fwmark', family: 4, fwmark: 42, scheduler: 'mh', onePacket: false, schedulerFlags: ['flag-2'], persistence: { timeoutSeconds: 360, netmaskPrefixLength: 32 } },
    realServers: [rs('10.0.0.7', 99, 'route'), rs('10.0.0.8', 0, 'masquerade')],
    ipvsadm: ['-A -f 42 -s mh -b mh-port -p', '-a -f 42 -r 10.0.0.7:99 -g', '-a -f 42 -r 10.0.0.8 -m'],
  },
  {
    service: { protocol: 'fwmark', family: 6, fwmark: 43, scheduler: 'wrr', onePacket: false, schedulerFlags: ['flag-3'] },
    realServers: [rs('2001:db8::20', 0, 'route', 9)],
    ipvsadm: ['-A -f 43 -6 -s wrr -b flag-3', '-a -f 43 -6 -r [2001:db8::20]:0 -g -w 9'],
  },
  {
    service: { protocol: 'tcp', family: 4, address: '192.0.2.2', port: 22, scheduler: 'lc', ...plain, persistence: { timeoutSeconds: 100, netmaskPrefixLength: 24 } },
    realServers: [],
    ipvsadm: ['-A -t 192.0.2.2:22 -s lc -p 100 -M 255.255.255.0'],
  },
  {
    service: { protocol: 'sctp', family: 4, address: '192.0.2.3', port: 3868, scheduler: 'rr', ...plain },
    realServers: [rs('10.0.0.9', 3868, 'masquerade')],
    ipvsadm: ['-A --sctp-service 192.0.2.3:3868 -s rr', '-a --sctp-service 192.0.2.3:3868 -r 10.0.0.9:3868 -m'],
  },
  {
    service: { protocol: 'udp', family: 4, address: '192.0.2.4', port: 5060, scheduler: 'rr', ...plain, persistence: { timeoutSeconds: 60, netmaskPrefixLength: 32 }, persistenceEngine: 'sip' },
    realServers: [],
    ipvsadm: ['-A -u 192.0.2.4:5060 -s rr -p 60 --pe sip'],
  },
  ...CONTRACT_SCHEDULERS.map(
    (scheduler, i): Entry => ({
      service: { protocol: 'tcp', family: 4, address: '192.0.2.100', port: 9000 + i, scheduler, ...plain },
      realServers: [],
      ipvsadm: [`-A -t 192.0.2.100:${9000 + i} -s ${scheduler}`],
    }),
  ),
];

const DAEMONS: readonly { readonly daemon: SyncDaemon; readonly ipvsadm: string }[] = [
  { daemon: { state: 'master', mcastInterface: 'lo', syncid: 7 }, ipvsadm: '--start-daemon master --mcast-interface lo --syncid 7' },
  {
    daemon: { state: 'backup', mcastInterface: 'lo', syncid: 200, maxlen: 1200, group: 'ff02::81', port: 9000, ttl: 3 },
    ipvsadm: '--start-daemon backup --mcast-interface lo --syncid 200 --sync-maxlen 1200 --mcast-group ff02::81 --mcast-port 9000 --mcast-ttl 3',
  },
];

function operations(): IpvsOperation[] {
  return MATRIX.flatMap((entry): IpvsOperation[] => [
    { kind: 'add-service', service: entry.service },
    ...entry.realServers.map((realServer): IpvsOperation => ({ kind: 'add-real-server', service: entry.service, realServer })),
  ]);
}

/** comparable turns a listing (or the rules alone) into sorted models without counters. */
function comparable(table: IpvsTable | IpvsRules): { service: VirtualService; realServers: RealServer[] }[] {
  const counters = new Set(['stats', 'realServers', 'activeConnections', 'inactiveConnections', 'persistentConnections']);
  const strip = (value: object): Record<string, unknown> => Object.fromEntries(Object.entries(value).filter(([key]) => !counters.has(key)));
  return table.services
    .map((entry) => ({
      service: strip(entry) as unknown as VirtualService,
      realServers: entry.realServers.map((server) => strip(server) as unknown as RealServer).sort((a, b) => realServerKey(a).localeCompare(realServerKey(b))),
    }))
    .sort((a, b) => serviceKey(a.service).localeCompare(serviceKey(b.service)));
}

function expectedTable(): { service: VirtualService; realServers: RealServer[] }[] {
  return MATRIX.map((entry) => ({ service: entry.service, realServers: [...entry.realServers].sort((a, b) => realServerKey(a).localeCompare(realServerKey(b))) })).sort((a, b) =>
    serviceKey(a.service).localeCompare(serviceKey(b.service)),
  );
}

const skipReason = guestSkipReason();

describe.skipIf(skipReason !== undefined)('guest kernel: tandem and ipvsadm read each other', () => {
  let guest: Guest;
  let port: GuestIpvsPort;
  let guestIpvs: GuestIpvs;

  async function sh(script: string): Promise<string> {
    const result = await guest.run(`set -e\n${script}`);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    return result.stdout;
  }

  const ipvsadmScript = (lines: readonly string[]): string => lines.map((line) => `ipvsadm ${line}`).join('\n');
  const views = 'ipvsadm-save -n | sort; echo ---; ipvsadm -Ln --thresholds';

  beforeAll(async () => {
    guestIpvs = await startGuestIpvs();
    ({ guest, port } = guestIpvs);
    await port.reset();
  });

  afterAll(async () => {
    await guestIpvs.stop();
  });

  it('tandem and ipvsadm write the same table, and tandem decodes ipvsadm\'s into the same model', async () => {
    const outcomes = await port.apply(operations());
    expect(outcomes.filter((outcome) => !outcome.ok)).toEqual([]);
    const byTandem = await sh(views);
    expect(comparable(await port.list())).toEqual(expectedTable());

    await sh(`ipvsadm -C\n${ipvsadmScript(MATRIX.flatMap((entry) => entry.ipvsadm))}`);
    const byIpvsadm = await sh(views);
    expect(byTandem).toBe(byIpvsadm);
    expect(byTandem.split('\n').filter((line) => line.startsWith('-a')).length).toBe(MATRIX.reduce((n, e) => n + e.realServers.length, 0));
    expect(comparable(await port.list())).toEqual(expectedTable());
    expect(comparable(await port.listRules())).toEqual(expectedTable());
    await port.reset();
  });

  it('reads the rules back through io_uring, every dump of them, the same as without it', async () => {
    await sh(`ipvsadm -C\n${ipvsadmScript(MATRIX.flatMap((entry) => entry.ipvsadm))}`);
    // A process of its own, so that dumpPaths counts this listing's dumps alone.
    const script = [
      "import { NetlinkIpvs } from './dist/ipvs/netlink-ipvs.js';",
      "import { NETLINK_GENERIC } from './dist/netlink/constants.js';",
      "import { NativeNetlinkTransport } from './dist/netlink/native-transport.js';",
      'const read = async (useRing) => {',
      '  const transport = NativeNetlinkTransport.open(NETLINK_GENERIC, { useRing });',
      '  const ipvs = await NetlinkIpvs.open(transport);',
      '  const rules = await ipvs.listRules();',
      '  const { ring, inTurn, ringUnavailable } = transport.dumpPaths;',
      '  transport.close();',
      '  return { rules, ring, inTurn, ringUnavailable: ringUnavailable?.code };',
      '};',
      'console.log(JSON.stringify({ withRing: await read(true), withoutRing: await read(false) }));',
    ].join('\n');
    const result = await guest.run(['node', '--input-type=module', '-e', script], { timeoutMs: 60_000 });
    expect(result.stderr).toBe('');
    type Read = { rules: IpvsRules; ring: number; inTurn: number; ringUnavailable?: string };
    const { withRing, withoutRing } = JSON.parse(result.stdout) as { withRing: Read; withoutRing: Read };
    // One GET_SERVICE dump and one GET_DEST dump per service, all read whole by the ring.
    expect({ ring: withRing.ring, inTurn: withRing.inTurn, ringUnavailable: withRing.ringUnavailable }).toEqual({ ring: MATRIX.length + 1, inTurn: 0, ringUnavailable: undefined });
    expect({ ring: withoutRing.ring, inTurn: withoutRing.inTurn, ringUnavailable: withoutRing.ringUnavailable }).toEqual({ ring: 0, inTurn: MATRIX.length + 1, ringUnavailable: 'EOPNOTSUPP' });
    expect(comparable(withRing.rules)).toEqual(expectedTable());
    expect(withRing.rules).toEqual(withoutRing.rules);
    await port.reset();
  });

  it('reads back a table of 150 services that ipvsadm wrote, its dumps spread over several addon calls', async () => {
    // 64 dumps go to one addon call, the next read while the previous is decoded: the 150 GET_DEST
    // dumps (the GET_SERVICE dump has a call of its own) make three calls, and each service must
    // still get its own real servers, whatever the weights.
    const entries = Array.from({ length: 150 }, (_v, s) => {
      const service: VirtualService = { protocol: 'tcp', family: 4, address: `198.51.100.${(s % 250) + 1}`, port: 1000 + s, scheduler: 'wrr', ...plain };
      const realServers = Array.from({ length: 1 + (s % 4) }, (_w, r) => rs(`10.${r}.${s >> 8}.${s & 255}`, 2000 + r, 'masquerade', s + r));
      const lines = [`-A -t ${service.address}:${service.port} -s wrr`, ...realServers.map((server) => `-a -t ${service.address}:${service.port} -r ${server.address}:${server.port} -m -w ${server.weight}`)];
      return { service, realServers, lines };
    });
    await sh(`ipvsadm -C\nipvsadm -R <<'EOF'\n${entries.flatMap((entry) => entry.lines).join('\n')}\nEOF`);
    const expected = entries
      .map(({ service, realServers }) => ({ service, realServers: [...realServers].sort((a, b) => realServerKey(a).localeCompare(realServerKey(b))) }))
      .sort((a, b) => serviceKey(a.service).localeCompare(serviceKey(b.service)));
    expect(comparable(await port.listRules())).toEqual(expected);
    expect(comparable(await port.list())).toEqual(expected);
    await port.reset();
  });

  it('sets the same tcp, tcpfin and udp timeouts as ipvsadm --set', async () => {
    await port.setTimeouts({ tcpSeconds: 1000, tcpFinSeconds: 90, udpSeconds: 200 });
    const byTandem = await sh('ipvsadm -L --timeout');
    await sh('ipvsadm --set 900 120 300 && ipvsadm --set 1000 90 200');
    expect(byTandem).toBe(await sh('ipvsadm -L --timeout'));
    expect(byTandem).toBe('Timeout (tcp tcpfin udp): 1000 90 200\n');
    expect(await port.getTimeouts()).toEqual({ tcpSeconds: 1000, tcpFinSeconds: 90, udpSeconds: 200 });
    await port.reset();
  });

  it('starts the same sync daemons as ipvsadm --start-daemon, and reads ipvsadm\'s back', async () => {
    for (const { daemon } of DAEMONS) await port.startDaemon(daemon);
    const byTandem = await sh('ipvsadm -L --daemon');
    const listedFromTandem = await port.listDaemons();
    await port.reset();
    await sh(ipvsadmScript(DAEMONS.map((d) => d.ipvsadm)));
    expect(await sh('ipvsadm -L --daemon')).toBe(byTandem);
    const listedFromIpvsadm = await port.listDaemons();
    expect(listedFromIpvsadm).toEqual(listedFromTandem);
    const byState = new Map(listedFromIpvsadm.map((daemon) => [daemon.state, daemon]));
    for (const { daemon } of DAEMONS) expect(byState.get(daemon.state)).toMatchObject(daemon);
    await port.reset();
  });

  it('reports the version and connection table size that ipvsadm prints', async () => {
    const info = await port.getInfo();
    expect(await sh('ipvsadm -Ln | head -n 1')).toBe(`IP Virtual Server version ${info.version} (size=${info.connectionTableSize})\n`);
  });
});
