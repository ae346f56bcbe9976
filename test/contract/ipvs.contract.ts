/**
 * ipvs.contract: what every IpvsPort + SyncDaemonPort must do, run against the fake kernel
 * (ipvs.fake.test.ts, always) and against Linux's IPVS in the guest (test/kernel). The errno
 * expectations here were first observed from the kernel (Linux 6.1), then mirrored in the fake.
 */
import { describe, expect, it } from 'vitest';
import { IpvsError, IpvsInputError } from '../../src/ipvs/ipvs-error.js';
import type { IpvsPort, SyncDaemonPort } from '../../src/ipvs/ipvs-port.js';
import type { AddressVirtualService, RealServer, VirtualService, VirtualServiceEntry, VirtualServiceId } from '../../src/ipvs/model.js';
import { serviceKey } from '../../src/ipvs/model.js';

/** ContractPort is the pair of ports under test; the factory returns it with an empty table. */
export type ContractPort = IpvsPort & SyncDaemonPort;

/** CONTRACT_SCHEDULERS are the schedulers Debian's Linux 6.1 ships (twos arrived in 6.11). */
export const CONTRACT_SCHEDULERS = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh'];

const web: AddressVirtualService = { protocol: 'tcp', family: 4, address: '192.0.2.1', port: 80, scheduler: 'wlc', onePacket: false, schedulerFlags: [] };
const rs1: RealServer = { address: '10.0.0.1', port: 8080, forward: 'masquerade', weight: 5, upperThreshold: 100, lowerThreshold: 10 };

/** omit drops the kernel's counters from a listed entry so it compares with what was added. */
function omit<T extends object, K extends keyof T>(value: T, keys: readonly K[]): Omit<T, K> {
  return Object.fromEntries(Object.entries(value).filter(([key]) => !keys.includes(key as K))) as Omit<T, K>;
}

function settings(entry: VirtualServiceEntry | undefined): VirtualService | undefined {
  return entry === undefined ? undefined : (omit(entry, ['stats']) as VirtualService);
}

async function listed(port: ContractPort): Promise<VirtualService[]> {
  const services = await port.listVirtualServices();
  return services.map((entry) => settings(entry) as VirtualService).sort((a, b) => serviceKey(a).localeCompare(serviceKey(b)));
}

async function servers(port: ContractPort, service: VirtualServiceId): Promise<RealServer[]> {
  const entries = await port.listRealServers(service);
  return entries
    .map((entry) => omit(entry, ['activeConnections', 'inactiveConnections', 'persistentConnections', 'stats']) as RealServer)
    .sort((a, b) => `${a.address}:${a.port}`.localeCompare(`${b.address}:${b.port}`));
}

async function refusal(promise: Promise<unknown>): Promise<IpvsError> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(IpvsError);
  return error as IpvsError;
}

/** ipvsContract registers the suite; `factory` returns a port over an empty table and no daemons. */
export function ipvsContract(name: string, factory: () => Promise<ContractPort>): void {
  describe(`IPVS contract: ${name}`, () => {
    describe('virtual services', () => {
      it('adds and lists every kind of service exactly as given', async () => {
        const port = await factory();
        const services: VirtualService[] = [
          web,
          { protocol: 'udp', family: 4, address: '192.0.2.1', port: 53, scheduler: 'sh', onePacket: true, schedulerFlags: ['flag-1', 'flag-2'] },
          { protocol: 'tcp', family: 6, address: '2001:db8::1', port: 443, scheduler: 'rr', onePacket: false, schedulerFlags: [], persistence: { timeoutSeconds: 600, netmaskPrefixLength: 64 } },
          { protocol: 'fwmark', family: 4, fwmark: 42, scheduler: 'mh', onePacket: false, schedulerFlags: ['flag-2'], persistence: { timeoutSeconds: 360, netmaskPrefixLength: 24 } },
          { protocol: 'fwmark', family: 6, fwmark: 43, scheduler: 'rr', onePacket: false, schedulerFlags: ['flag-3'] },
          { protocol: 'sctp', family: 4, address: '192.0.2.7', port: 3868, scheduler: 'lc', onePacket: false, schedulerFlags: [] },
        ];
        for (const service of services) await port.addVirtualService(service);
        expect(await listed(port)).toEqual([...services].sort((a, b) => serviceKey(a).localeCompare(serviceKey(b))));
        expect(settings(await port.getVirtualService(services[2] as VirtualServiceId))).toEqual(services[2]);
        const [entry] = await port.listVirtualServices();
        expect(entry?.stats.connections).toBe(0n);
      });

      it('accepts every scheduler of the kernel', async () => {
        const port = await factory();
        for (const [i, scheduler] of CONTRACT_SCHEDULERS.entries()) await port.addVirtualService({ ...web, port: 8000 + i, scheduler });
        expect((await listed(port)).map((service) => service.scheduler).sort()).toEqual([...CONTRACT_SCHEDULERS].sort());
      });

      it('refuses an unknown scheduler with ENOENT and names the module to load', async () => {
        const port = await factory();
        const error = await refusal(port.addVirtualService({ ...web, scheduler: 'nosuch' }));
        expect(error.code).toBe('ENOENT');
        expect(error.message).toContain('tcp:192.0.2.1:80');
        expect(error.message).toContain('modprobe ip_vs_nosuch');
        expect(await listed(port)).toEqual([]);
      });

      it('answers EEXIST to a second add, ESRCH to editing, deleting or zeroing a missing one', async () => {
        const port = await factory();
        await port.addVirtualService(web);
        expect((await refusal(port.addVirtualService(web))).code).toBe('EEXIST');
        const other = { ...web, port: 81 };
        expect((await refusal(port.editVirtualService(other))).code).toBe('ESRCH');
        expect((await refusal(port.deleteVirtualService(other))).code).toBe('ESRCH');
        expect((await refusal(port.zeroCounters(other))).code).toBe('ESRCH');
        expect(await port.getVirtualService(other)).toBeUndefined();
      });

      it('replaces the whole entry on edit: settings left out return to their defaults', async () => {
        const port = await factory();
        await port.addVirtualService({ ...web, scheduler: 'sh', onePacket: true, schedulerFlags: ['flag-1'], persistence: { timeoutSeconds: 100, netmaskPrefixLength: 16 } });
        await port.editVirtualService(web);
        expect(await listed(port)).toEqual([web]);
      });

      it('deletes a service with its real servers, and flush empties the table', async () => {
        const port = await factory();
        await port.addVirtualService(web);
        await port.addRealServer(web, rs1);
        await port.deleteVirtualService(web);
        expect(await listed(port)).toEqual([]);
        await port.addVirtualService(web);
        expect(await servers(port, web)).toEqual([]);
        await port.flush();
        expect((await port.list()).services).toEqual([]);
        expect((await port.listRules()).services).toEqual([]);
      });
    });

    describe('real servers', () => {
      it('adds route, tunnel and masquerade servers and lists them as given (ports kept)', async () => {
        const port = await factory();
        await port.addVirtualService(web);
        const added: RealServer[] = [
          rs1,
          { address: '10.0.0.2', port: 8081, forward: 'route', weight: 1, upperThreshold: 0, lowerThreshold: 0 },
          { address: '10.0.0.3', port: 80, forward: 'tunnel', weight: 2147483647, upperThreshold: 0, lowerThreshold: 0, tunnel: { type: 'gue', port: 6080, checksum: 'remcsum' } },
          { address: '10.0.0.4', port: 80, forward: 'tunnel', weight: 0, upperThreshold: 0, lowerThreshold: 0, tunnel: { type: 'ipip', port: 0, checksum: 'nocsum' } },
        ];
        for (const server of added) await port.addRealServer(web, server);
        expect(await servers(port, web)).toEqual(added);
        const table = await port.list();
        expect(table.services).toHaveLength(1);
        expect(table.services[0]?.realServers).toHaveLength(4);
      });

      it('lists the same rules with and without counters', async () => {
        const port = await factory();
        const v6: VirtualService = { protocol: 'tcp', family: 6, address: '2001:db8::1', port: 443, scheduler: 'sh', onePacket: false, schedulerFlags: ['flag-1'], persistence: { timeoutSeconds: 600, netmaskPrefixLength: 64 } };
        const mark: VirtualService = { protocol: 'fwmark', family: 4, fwmark: 42, scheduler: 'rr', onePacket: false, schedulerFlags: [] };
        for (const service of [web, v6, mark]) await port.addVirtualService(service);
        const tunnelled: RealServer = { ...rs1, address: '10.0.0.3', forward: 'tunnel', tunnel: { type: 'gue', port: 6080, checksum: 'csum' } };
        await port.apply([
          { kind: 'add-real-server', service: web, realServer: rs1 },
          { kind: 'add-real-server', service: web, realServer: tunnelled },
          { kind: 'add-real-server', service: v6, realServer: { address: '2001:db8::10', port: 443, forward: 'route', weight: 2, upperThreshold: 0, lowerThreshold: 0 } },
        ]);
        const full = await port.list();
        const rules = await port.listRules();
        const counters = ['stats', 'activeConnections', 'inactiveConnections', 'persistentConnections'] as const;
        const fromFull = full.services.map((service) => ({
          ...omit(service, ['stats']),
          realServers: service.realServers.map((server) => omit(server, counters)),
        }));
        expect(rules.services).toEqual(fromFull);
        expect(rules.services.map(serviceKey).sort()).toEqual([web, v6, mark].map(serviceKey).sort());
        const webRules = rules.services.find((service) => serviceKey(service) === serviceKey(web));
        expect(webRules?.realServers).toEqual(expect.arrayContaining([rs1, tunnelled]));
        for (const service of rules.services) {
          expect(service).not.toHaveProperty('stats');
          for (const server of service.realServers) for (const counter of counters) expect(server).not.toHaveProperty(counter);
        }
      });

      it('refuses with ESRCH, EEXIST, ENOENT and ERANGE as the kernel does', async () => {
        const port = await factory();
        expect((await refusal(port.addRealServer(web, rs1))).code).toBe('ESRCH');
        await port.addVirtualService(web);
        await port.addRealServer(web, rs1);
        const twice = await refusal(port.addRealServer(web, rs1));
        expect(twice.code).toBe('EEXIST');
        expect(twice.message).toContain('tcp:192.0.2.1:80 -> 10.0.0.1:8080');
        const missing = { ...rs1, address: '10.0.0.9' };
        expect((await refusal(port.editRealServer(web, missing))).code).toBe('ENOENT');
        expect((await refusal(port.deleteRealServer(web, missing))).code).toBe('ENOENT');
        expect((await refusal(port.addRealServer(web, { ...missing, upperThreshold: 1, lowerThreshold: 5 }))).code).toBe('ERANGE');
        expect(await servers(port, web)).toEqual([rs1]);
      });

      it('replaces the whole real server on edit, and deletes it', async () => {
        const port = await factory();
        await port.addVirtualService(web);
        await port.addRealServer(web, rs1);
        const edited: RealServer = { address: rs1.address, port: rs1.port, forward: 'route', weight: 0, upperThreshold: 0, lowerThreshold: 0 };
        await port.editRealServer(web, edited);
        expect(await servers(port, web)).toEqual([edited]);
        await port.deleteRealServer(web, rs1);
        expect(await servers(port, web)).toEqual([]);
      });

      it('lists a missing service as having no real servers', async () => {
        const port = await factory();
        expect(await port.listRealServers(web)).toEqual([]);
      });

      it('allows an IPv4 server behind an IPv6 service only by tunnel', async () => {
        const port = await factory();
        const v6: VirtualService = { ...web, family: 6, address: '2001:db8::1' };
        await port.addVirtualService(v6);
        expect((await refusal(port.addRealServer(v6, { ...rs1, forward: 'route' }))).code).toBe('EINVAL');
        const tunnelled: RealServer = { ...rs1, forward: 'tunnel', tunnel: { type: 'ipip', port: 0, checksum: 'nocsum' } };
        await port.addRealServer(v6, tunnelled);
        expect(await servers(port, v6)).toEqual([tunnelled]);
        expect((await refusal(port.startDaemon({ state: 'master', mcastInterface: 'lo', syncid: 1 }))).code).toBe('EINVAL');
      });

      it('refuses input it cannot encode before sending anything', async () => {
        const port = await factory();
        await expect(port.addVirtualService({ ...web, address: '192.0.2.300' })).rejects.toBeInstanceOf(IpvsInputError);
        await expect(port.addVirtualService({ ...web, scheduler: 'a-very-long-scheduler-name' })).rejects.toBeInstanceOf(IpvsInputError);
        await expect(port.apply([{ kind: 'add-real-server', service: web, realServer: { ...rs1, port: 70000 } }])).rejects.toBeInstanceOf(IpvsInputError);
      });
    });

    describe('batches', () => {
      it('applies operations in order with one outcome each; a refusal does not stop the rest', async () => {
        const port = await factory();
        const outcomes = await port.apply([
          { kind: 'add-service', service: web },
          { kind: 'add-real-server', service: web, realServer: rs1 },
          { kind: 'add-service', service: web },
          { kind: 'edit-real-server', service: web, realServer: { ...rs1, weight: 9 } },
          { kind: 'delete-real-server', service: web, realServer: { address: '10.0.0.99', port: 1 } },
        ]);
        expect(outcomes.map((outcome) => (outcome.ok ? 'ok' : outcome.error.code))).toEqual(['ok', 'ok', 'EEXIST', 'ok', 'ENOENT']);
        expect(await servers(port, web)).toEqual([{ ...rs1, weight: 9 }]);
      });
    });

    describe('counters, timeouts and info', () => {
      it('zeroes one service or all', async () => {
        const port = await factory();
        await port.addVirtualService(web);
        await port.zeroCounters(web);
        await port.zeroCounters();
        expect((await port.getVirtualService(web))?.stats.inBytes).toBe(0n);
      });

      it('sets the tcp, tcpfin and udp timeouts; one left out stays as it was', async () => {
        const port = await factory();
        await port.setTimeouts({ tcpSeconds: 1000, tcpFinSeconds: 100, udpSeconds: 200 });
        await port.setTimeouts({ udpSeconds: 250 });
        expect(await port.getTimeouts()).toEqual({ tcpSeconds: 1000, tcpFinSeconds: 100, udpSeconds: 250 });
      });

      it('reports the IPVS version and connection table size', async () => {
        const port = await factory();
        const info = await port.getInfo();
        expect(info.version).toBe('1.2.1');
        expect(info.connectionTableSize).toBeGreaterThan(0);
      });
    });

    describe('sync daemon', () => {
      it('starts a master with the kernel defaults filled in, refuses a second, stops it once', async () => {
        const port = await factory();
        await port.startDaemon({ state: 'master', mcastInterface: 'lo', syncid: 7 });
        expect(await port.listDaemons()).toEqual([
          { state: 'master', mcastInterface: 'lo', syncid: 7, maxlen: 1472, group: '224.0.0.81', port: 8848, ttl: 1 },
        ]);
        const again = await refusal(port.startDaemon({ state: 'master', mcastInterface: 'lo', syncid: 8 }));
        expect(again.code).toBe('EEXIST');
        await port.stopDaemon('master');
        expect((await refusal(port.stopDaemon('master'))).code).toBe('ESRCH');
        expect(await port.listDaemons()).toEqual([]);
      });

      it('runs a master and a backup together, with every setting (IPv4 and IPv6 groups)', async () => {
        const port = await factory();
        // A master needs a route to its group: the guest's lo has one for IPv4 only (else ENETUNREACH).
        const backup = { state: 'backup', mcastInterface: 'lo', syncid: 200, maxlen: 1400, group: 'ff02::81', port: 9000, ttl: 3 } as const;
        const master = { state: 'master', mcastInterface: 'lo', syncid: 9, maxlen: 1000, group: '239.1.2.3', port: 8849, ttl: 2 } as const;
        await port.startDaemon(backup);
        await port.startDaemon(master);
        const daemons = [...(await port.listDaemons())].sort((a, b) => a.state.localeCompare(b.state));
        expect(daemons).toEqual([backup, master]);
        await port.stopDaemon('backup');
        await port.stopDaemon('master');
      });

      it('refuses an unknown interface with ENODEV', async () => {
        const port = await factory();
        const error = await refusal(port.startDaemon({ state: 'backup', mcastInterface: 'nosuch0', syncid: 1 }));
        expect(error.code).toBe('ENODEV');
        expect(error.message).toContain('nosuch0');
      });
    });
  });
}
