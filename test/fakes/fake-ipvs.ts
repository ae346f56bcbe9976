/**
 * fake-ipvs: an in-memory IPVS table and sync daemons that refuse what the kernel refuses, with
 * the same errno (checked against Linux 6.1 in the guest tier by the shared contract suite):
 *
 * - virtual services: EEXIST on a second add, ESRCH when missing, ENOENT for a scheduler or
 *   persistence engine the kernel cannot load; an edit replaces the whole entry;
 * - real servers: ESRCH when the service is missing, EEXIST on a second add, ENOENT when
 *   missing, ERANGE for a lower threshold above the upper one, EINVAL for a server of the other
 *   address family unless it tunnels and no sync daemon runs;
 * - sync daemons: EEXIST on a second start in one state, ESRCH on stopping a stopped one,
 *   ENODEV for an unknown interface, EINVAL while mixed-family real servers exist; a listing
 *   fills in the kernel's defaults (group 224.0.0.81, port 8848, ttl 1, maxlen from the MTU).
 *
 * Input that cannot be encoded is refused with the same IpvsInputError as the real adapter,
 * because the fake runs the real request encoder over it first.
 */
import { constants } from 'node:os';
import { addressFamily, canonicalAddress } from '../../src/ipvs/inet-address.js';
import { IpvsError, type IpvsErrorContext } from '../../src/ipvs/ipvs-error.js';
import type { IpvsOperation, IpvsPort, OperationOutcome, SyncDaemonPort } from '../../src/ipvs/ipvs-port.js';
import {
  DEFAULT_TUNNEL,
  type IpvsInfo,
  type IpvsRules,
  type IpvsTable,
  type RealServer,
  type RealServerEntry,
  type RealServerId,
  type SyncDaemon,
  type SyncState,
  type Timeouts,
  type VirtualService,
  type VirtualServiceEntry,
  type VirtualServiceId,
  SCHEDULER_FLAGS,
  ZERO_STATS,
  realServerKey,
  serviceKey,
} from '../../src/ipvs/model.js';
import { labelOperation, refusal } from '../../src/ipvs/operation-label.js';
import { IpvsRequestEncoder } from '../../src/ipvs/request-encoder.js';

const { ENOENT, ESRCH, EEXIST, ENODEV, EINVAL, ERANGE } = constants.errno;

/** FAKE_SCHEDULERS are the schedulers Debian's 6.1 kernel ships as ip_vs_* modules. */
const FAKE_SCHEDULERS = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh'] as const;

/** FakeIpvsOptions shapes the fake kernel. */
export interface FakeIpvsOptions {
  /** schedulers the kernel can load; default FAKE_SCHEDULERS. */
  readonly schedulers?: readonly string[];
  /** persistenceEngines the kernel can load; default ["sip"]. */
  readonly persistenceEngines?: readonly string[];
  /** interfaces and their MTU, for the sync daemon; default { lo: 65536 }. */
  readonly interfaces?: Readonly<Record<string, number>>;
}

interface StoredService {
  readonly service: VirtualService;
  readonly realServers: Map<string, RealServer>;
}

/** The kernel's boot-time timeouts (ip_vs_proto_tcp.c / _udp.c): 15 min, 2 min, 5 min. */
const DEFAULT_TIMEOUTS: Timeouts = { tcpSeconds: 900, tcpFinSeconds: 120, udpSeconds: 300 };
/** IP_VS_SYNC_GROUP 224.0.0.81, IP_VS_SYNC_PORT 8848 (ip_vs_sync.c); ttl 1. */
const SYNC_DEFAULTS = { group: '224.0.0.81', port: 8848, ttl: 1 } as const;

/** FakeIpvs is the in-memory kernel; see the file comment. */
export class FakeIpvs implements IpvsPort, SyncDaemonPort {
  private readonly services = new Map<string, StoredService>();
  private readonly daemons = new Map<SyncState, SyncDaemon>();
  private timeouts: Timeouts = DEFAULT_TIMEOUTS;
  private readonly schedulers: ReadonlySet<string>;
  private readonly engines: ReadonlySet<string>;
  private readonly interfaces: Readonly<Record<string, number>>;

  constructor(options: FakeIpvsOptions = {}) {
    this.schedulers = new Set(options.schedulers ?? FAKE_SCHEDULERS);
    this.engines = new Set(options.persistenceEngines ?? ['sip']);
    this.interfaces = options.interfaces ?? { lo: 65536 };
  }

  addVirtualService(service: VirtualService): Promise<void> {
    return this.change({ kind: 'add-service', service });
  }

  editVirtualService(service: VirtualService): Promise<void> {
    return this.change({ kind: 'edit-service', service });
  }

  deleteVirtualService(service: VirtualServiceId): Promise<void> {
    return this.change({ kind: 'delete-service', service });
  }

  getVirtualService(service: VirtualServiceId): Promise<VirtualServiceEntry | undefined> {
    const stored = this.services.get(serviceKey(service));
    return Promise.resolve(stored === undefined ? undefined : { ...stored.service, stats: ZERO_STATS });
  }

  listVirtualServices(): Promise<readonly VirtualServiceEntry[]> {
    return Promise.resolve([...this.services.values()].map(({ service }) => ({ ...service, stats: ZERO_STATS })));
  }

  addRealServer(service: VirtualServiceId, realServer: RealServer): Promise<void> {
    return this.change({ kind: 'add-real-server', service, realServer });
  }

  editRealServer(service: VirtualServiceId, realServer: RealServer): Promise<void> {
    return this.change({ kind: 'edit-real-server', service, realServer });
  }

  deleteRealServer(service: VirtualServiceId, realServer: RealServerId): Promise<void> {
    return this.change({ kind: 'delete-real-server', service, realServer });
  }

  listRealServers(service: VirtualServiceId): Promise<readonly RealServerEntry[]> {
    // The kernel's GET_DEST dump of a missing service is empty, not an error.
    return Promise.resolve(entries(this.services.get(serviceKey(service))));
  }

  async list(): Promise<IpvsTable> {
    const services = await this.listVirtualServices();
    return { services: services.map((service) => ({ ...service, realServers: entries(this.services.get(serviceKey(service))) })) };
  }

  /**
   * listRules is list() without the counters. It goes through list(), so a test that wraps an
   * instance's list() (to delay or count listings) sees the rules-only reads as well.
   */
  async listRules(): Promise<IpvsRules> {
    const table = await this.list();
    return {
      services: table.services.map((entry) => ({
        ...normalService(entry),
        realServers: entry.realServers.map(normalRealServer),
      })),
    };
  }

  async apply(operations: readonly IpvsOperation[]): Promise<readonly OperationOutcome[]> {
    await Promise.resolve();
    const encoder = new IpvsRequestEncoder(0, operations.length);
    for (const operation of operations) encoder.operation(operation);
    return operations.map((operation): OperationOutcome => {
      const errno = this.execute(operation);
      return errno === 0 ? { ok: true } : { ok: false, error: refusal(labelOperation(operation), errno) };
    });
  }

  zeroCounters(service?: VirtualServiceId): Promise<void> {
    if (service !== undefined && !this.services.has(serviceKey(service))) {
      return Promise.reject(new IpvsError('zero counters', serviceKey(service), ESRCH));
    }
    return Promise.resolve();
  }

  flush(): Promise<void> {
    this.services.clear();
    return Promise.resolve();
  }

  getTimeouts(): Promise<Timeouts> {
    return Promise.resolve(this.timeouts);
  }

  async setTimeouts(timeouts: Partial<Timeouts>): Promise<void> {
    await Promise.resolve();
    new IpvsRequestEncoder(0).setTimeouts(timeouts);
    // ip_vs_set_timeout: a value of 0 leaves that timeout as it is.
    this.timeouts = {
      tcpSeconds: timeouts.tcpSeconds || this.timeouts.tcpSeconds,
      tcpFinSeconds: timeouts.tcpFinSeconds || this.timeouts.tcpFinSeconds,
      udpSeconds: timeouts.udpSeconds || this.timeouts.udpSeconds,
    };
  }

  getInfo(): Promise<IpvsInfo> {
    // IP_VS_VERSION_CODE 0x010201 and the default 2^12-entry connection table (CONFIG_IP_VS_TAB_BITS=12).
    return Promise.resolve({ version: '1.2.1', connectionTableSize: 4096 });
  }

  async startDaemon(daemon: SyncDaemon): Promise<void> {
    await Promise.resolve();
    new IpvsRequestEncoder(0).startDaemon(daemon);
    const context: IpvsErrorContext = { syncState: daemon.state, mcastInterface: daemon.mcastInterface };
    const fail = (errno: number): IpvsError =>
      new IpvsError('start sync daemon', `${daemon.state} syncid ${daemon.syncid} on ${daemon.mcastInterface}`, errno, undefined, context);
    if (this.hasMixedFamilies()) throw fail(EINVAL);
    if (this.daemons.has(daemon.state)) throw fail(EEXIST);
    const mtu = this.interfaces[daemon.mcastInterface];
    if (mtu === undefined) throw fail(ENODEV);
    this.daemons.set(daemon.state, withSyncDefaults(daemon, mtu));
  }

  stopDaemon(state: SyncState): Promise<void> {
    if (!this.daemons.delete(state)) return Promise.reject(new IpvsError('stop sync daemon', state, ESRCH, undefined, { syncState: state }));
    return Promise.resolve();
  }

  listDaemons(): Promise<readonly SyncDaemon[]> {
    return Promise.resolve((['master', 'backup'] as const).flatMap((state) => this.daemons.get(state) ?? []));
  }

  private async change(operation: IpvsOperation): Promise<void> {
    const [outcome] = await this.apply([operation]);
    if (outcome !== undefined && !outcome.ok) throw outcome.error;
  }

  /** execute applies one operation and returns 0 or the errno the kernel would answer. */
  private execute(operation: IpvsOperation): number {
    const key = serviceKey(operation.service);
    const stored = this.services.get(key);
    switch (operation.kind) {
      case 'add-service':
      case 'edit-service': {
        if (operation.kind === 'add-service' && stored !== undefined) return EEXIST;
        if (operation.kind === 'edit-service' && stored === undefined) return ESRCH;
        const { scheduler, persistenceEngine } = operation.service;
        if (!this.schedulers.has(scheduler)) return ENOENT;
        if (persistenceEngine !== undefined && !this.engines.has(persistenceEngine)) return ENOENT;
        this.services.set(key, { service: normalService(operation.service), realServers: stored?.realServers ?? new Map<string, RealServer>() });
        return 0;
      }
      case 'delete-service':
        return this.services.delete(key) ? 0 : ESRCH;
      case 'delete-real-server':
        if (stored === undefined) return ESRCH;
        return stored.realServers.delete(realServerKey(operation.realServer)) ? 0 : ENOENT;
      default: {
        if (stored === undefined) return ESRCH;
        const server = operation.realServer;
        // ip_vs_genl_set_cmd: the sync protocol cannot carry mixed families, and only tunnels can forward across them.
        if (addressFamily(server.address) !== stored.service.family && (this.daemons.size > 0 || server.forward !== 'tunnel')) return EINVAL;
        if (server.lowerThreshold > server.upperThreshold) return ERANGE;
        const serverKey = realServerKey(server);
        const exists = stored.realServers.has(serverKey);
        if (operation.kind === 'add-real-server' && exists) return EEXIST;
        if (operation.kind === 'edit-real-server' && !exists) return ENOENT;
        stored.realServers.set(serverKey, normalRealServer(server));
        return 0;
      }
    }
  }

  private hasMixedFamilies(): boolean {
    for (const { service, realServers } of this.services.values()) {
      for (const server of realServers.values()) if (addressFamily(server.address) !== service.family) return true;
    }
    return false;
  }
}

function entries(stored: StoredService | undefined): RealServerEntry[] {
  if (stored === undefined) return [];
  return [...stored.realServers.values()].map((server) => ({
    ...server,
    activeConnections: 0,
    inactiveConnections: 0,
    persistentConnections: 0,
    stats: ZERO_STATS,
  }));
}

/** normalService keeps exactly what the kernel keeps, spelled as a listing spells it. */
function normalService(service: VirtualService): VirtualService {
  const settings = {
    scheduler: service.scheduler,
    onePacket: service.onePacket,
    schedulerFlags: SCHEDULER_FLAGS.filter((flag) => service.schedulerFlags.includes(flag)),
    ...(service.persistence === undefined ? {} : { persistence: { ...service.persistence } }),
    ...(service.persistenceEngine === undefined ? {} : { persistenceEngine: service.persistenceEngine }),
  };
  if (service.protocol === 'fwmark') return { protocol: 'fwmark', family: service.family, fwmark: service.fwmark, ...settings };
  const address = canonicalAddress(service.address) ?? service.address;
  return { protocol: service.protocol, family: service.family, address, port: service.port, ...settings };
}

function normalRealServer(server: RealServer): RealServer {
  const base = {
    address: canonicalAddress(server.address) ?? server.address,
    port: server.port,
    forward: server.forward,
    weight: server.weight,
    upperThreshold: server.upperThreshold,
    lowerThreshold: server.lowerThreshold,
  };
  return server.forward === 'tunnel' ? { ...base, tunnel: server.tunnel ?? DEFAULT_TUNNEL } : base;
}

/**
 * withSyncDefaults fills what the kernel fills (ip_vs_sync.c start_sync_thread): the group,
 * port and ttl defaults, and maxlen from the interface MTU minus the IP and UDP headers,
 * capped at 1500 for a master and raised to 1500..65535 for a backup; a given maxlen is
 * clamped to 1 (master) or 1024 (backup) up to that bound.
 */
function withSyncDefaults(daemon: SyncDaemon, interfaceMtu: number): SyncDaemon {
  const group = daemon.group === undefined ? SYNC_DEFAULTS.group : (canonicalAddress(daemon.group) ?? daemon.group);
  const headerBytes = group.includes(':') ? 40 + 8 : 20 + 8;
  const backup = daemon.state === 'backup';
  const mtu = backup ? Math.min(Math.max(interfaceMtu, 1500), 65535) : Math.min(interfaceMtu, 1500);
  const limit = mtu - headerBytes;
  const maxlen = daemon.maxlen === undefined || daemon.maxlen === 0 ? limit : Math.min(Math.max(daemon.maxlen, backup ? 1024 : 1), limit);
  return {
    state: daemon.state,
    mcastInterface: daemon.mcastInterface,
    syncid: daemon.syncid,
    maxlen,
    group,
    port: daemon.port === undefined || daemon.port === 0 ? SYNC_DEFAULTS.port : daemon.port,
    ttl: daemon.ttl === undefined || daemon.ttl === 0 ? SYNC_DEFAULTS.ttl : daemon.ttl,
  };
}
