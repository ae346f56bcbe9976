/**
 * ipvs-port: what the rest of tandem may ask of the kernel's IPVS table and of its
 * connection-sync daemons. Two implementations: NetlinkIpvs (the kernel, over generic netlink)
 * and the in-memory fake in test/fakes. One contract suite holds both to the same behaviour.
 *
 * Every refusal is an IpvsError whose `code` is the kernel's errno name: EEXIST (already there),
 * ESRCH (no such virtual service), ENOENT (no such real server, or no such scheduler module),
 * ERANGE (thresholds/weight), EINVAL, ENODEV (no such interface).
 */
import type { IpvsError } from './ipvs-error.js';
import type {
  IpvsInfo,
  IpvsRules,
  IpvsTable,
  RealServer,
  RealServerEntry,
  RealServerId,
  SyncDaemon,
  SyncState,
  Timeouts,
  VirtualService,
  VirtualServiceEntry,
  VirtualServiceId,
} from './model.js';

/** IpvsOperation is one change to the table, as the reconciler emits them. */
export type IpvsOperation =
  | { readonly kind: 'add-service'; readonly service: VirtualService }
  | { readonly kind: 'edit-service'; readonly service: VirtualService }
  | { readonly kind: 'delete-service'; readonly service: VirtualServiceId }
  | { readonly kind: 'add-real-server'; readonly service: VirtualServiceId; readonly realServer: RealServer }
  | { readonly kind: 'edit-real-server'; readonly service: VirtualServiceId; readonly realServer: RealServer }
  | { readonly kind: 'delete-real-server'; readonly service: VirtualServiceId; readonly realServer: RealServerId };

/** OperationOutcome is what became of one operation of a batch. */
export type OperationOutcome = { readonly ok: true } | { readonly ok: false; readonly error: IpvsError };

/** IpvsPort is the IPVS table: services, real servers, counters, timeouts. */
export interface IpvsPort {
  /** addVirtualService is ipvsadm -A. EEXIST if present; ENOENT if the scheduler is not loadable. */
  addVirtualService(service: VirtualService): Promise<void>;
  /** editVirtualService is ipvsadm -E: the whole entry is replaced. ESRCH if absent. */
  editVirtualService(service: VirtualService): Promise<void>;
  /** deleteVirtualService is ipvsadm -D, with its real servers. ESRCH if absent. */
  deleteVirtualService(service: VirtualServiceId): Promise<void>;
  /** getVirtualService reads one service, or undefined when there is none. */
  getVirtualService(service: VirtualServiceId): Promise<VirtualServiceEntry | undefined>;
  /** listVirtualServices lists every service with its counters, in the kernel's order. */
  listVirtualServices(): Promise<readonly VirtualServiceEntry[]>;

  /** addRealServer is ipvsadm -a. ESRCH without the service, EEXIST if present, ERANGE for l > u thresholds. */
  addRealServer(service: VirtualServiceId, realServer: RealServer): Promise<void>;
  /** editRealServer is ipvsadm -e: the whole entry is replaced. ENOENT if absent. */
  editRealServer(service: VirtualServiceId, realServer: RealServer): Promise<void>;
  /** deleteRealServer is ipvsadm -d. ENOENT if absent. */
  deleteRealServer(service: VirtualServiceId, realServer: RealServerId): Promise<void>;
  /** listRealServers lists a service's real servers; a missing service lists as empty, as the kernel does. */
  listRealServers(service: VirtualServiceId): Promise<readonly RealServerEntry[]>;

  /**
   * list reads the whole table with every counter and connection count (ipvsadm -L -n --stats),
   * for status and metrics.
   */
  list(): Promise<IpvsTable>;
  /**
   * listRules reads the whole table's rules without counters: `ipvsadm-save -n` in one call. It
   * makes the same kernel requests as list() but leaves the stats unread, so it is the read to
   * reconcile against; both show the same services and real servers with the same settings.
   */
  listRules(): Promise<IpvsRules>;
  /**
   * apply carries out many operations in order, in as few system calls as possible, and
   * returns one outcome per operation: one refusal does not stop the rest.
   */
  apply(operations: readonly IpvsOperation[]): Promise<readonly OperationOutcome[]>;

  /** zeroCounters is ipvsadm -Z: one service's counters, or all when none is given. */
  zeroCounters(service?: VirtualServiceId): Promise<void>;
  /** flush is ipvsadm -C: removes every service. */
  flush(): Promise<void>;
  /** getTimeouts is ipvsadm -L --timeout. */
  getTimeouts(): Promise<Timeouts>;
  /** setTimeouts is ipvsadm --set; a timeout left out or 0 stays as it is. */
  setTimeouts(timeouts: Partial<Timeouts>): Promise<void>;
  /** getInfo is the version and connection-table size of ipvsadm's banner. */
  getInfo(): Promise<IpvsInfo>;
}

/** SyncDaemonPort is the kernel's connection-sync daemons (at most one master and one backup). */
export interface SyncDaemonPort {
  /** startDaemon is ipvsadm --start-daemon. EEXIST if one in that state runs; ENODEV for a bad interface. */
  startDaemon(daemon: SyncDaemon): Promise<void>;
  /** stopDaemon is ipvsadm --stop-daemon. ESRCH if none in that state runs. */
  stopDaemon(state: SyncState): Promise<void>;
  /** listDaemons is ipvsadm -L --daemon, with every setting filled in by the kernel. */
  listDaemons(): Promise<readonly SyncDaemon[]>;
}
