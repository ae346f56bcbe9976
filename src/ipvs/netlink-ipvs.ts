/**
 * netlink-ipvs: IpvsPort and SyncDaemonPort over a generic netlink transport, speaking the
 * kernel's IPVS family the way ipvsadm(8) does, without libnl or the setsockopt interface.
 *
 * It owns no socket: the caller passes a NETLINK_GENERIC transport and closes it. Every
 * request is counted (requestCount), so tests and the benchmark can check that one weight
 * change costs exactly one netlink message.
 */
import { constants } from 'node:os';
import type { AttributeSet } from '../netlink/attributes.js';
import { resolveGenericFamily } from '../netlink/generic-family.js';
import { type NetlinkMessage, type NetlinkRequest, decodeGeneric } from '../netlink/message.js';
import { NetlinkError } from '../netlink/netlink-error.js';
import { NetlinkParseError } from '../netlink/parse-error.js';
import { GENL_HDRLEN, NLA_HDRLEN, NLMSG_HDRLEN, align4 } from '../netlink/constants.js';
import { u16At, u32At } from '../netlink/bytes.js';
import { type DumpView, dumpManyInPlace } from '../netlink/dump-view.js';
import { attributeEnd, attributeType } from './attribute-scan.js';
import type { DumpOutcome, NetlinkTransport } from '../netlink/transport.js';
import { decodeInfo, decodeTimeouts } from './config-codec.js';
import { IPVS_CMD_ATTR_DAEMON, IPVS_CMD_ATTR_DEST, IPVS_CMD_ATTR_SERVICE, IPVS_GENL_NAME } from './constants.js';
import { decodeDaemon } from './daemon-codec.js';
import { RealServerRulesReader, decodeRealServer } from './dest-codec.js';
import { type AddressFamily, AddressSpellings } from './inet-address.js';
import type { IpvsAction, IpvsErrorContext } from './ipvs-error.js';
import type { IpvsOperation, IpvsPort, OperationOutcome, SyncDaemonPort } from './ipvs-port.js';
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
import { serviceKey } from './model.js';
import { type OperationLabel, labelOperation, refusal } from './operation-label.js';
import { IpvsRequestEncoder } from './request-encoder.js';
import { ServiceFields, decodeService, decodeServiceRules } from './service-codec.js';
import { type NestVisitor, UnchangedServices } from './unchanged-services.js';

const { ESRCH } = constants.errno;

/** NetlinkIpvs is the kernel's IPVS table and sync daemons; see the file comment. */
export class NetlinkIpvs implements IpvsPort, SyncDaemonPort {
  private readonly transport: NetlinkTransport;
  private readonly familyId: number;
  private sent = 0;
  /** serviceFields is where services are indexed as they are read. */
  private readonly serviceFields = new ServiceFields();
  /** realServerRules reads real servers; its AddressSpellings keeps their address strings from one read to the next. */
  private readonly realServerRules = new RealServerRulesReader(new AddressSpellings());
  /** unchangedServices hands a read-back the entries of services whose rules are as the last one read them. */
  private readonly unchangedServices = new UnchangedServices();
  private readonly serviceRules: NestReader<VirtualService> = (buf, start, end) => decodeServiceRules(buf, start, end, this.serviceFields);

  /** Use open() unless the family id is already known (tests, or a shared resolution). */
  constructor(transport: NetlinkTransport, familyId: number) {
    this.transport = transport;
    this.familyId = familyId;
  }

  /**
   * open resolves the "IPVS" generic netlink family on `transport`. It rejects with
   * GenericFamilyMissingError (hint: modprobe ip_vs) when the kernel has no IPVS loaded.
   */
  static async open(transport: NetlinkTransport): Promise<NetlinkIpvs> {
    const family = await resolveGenericFamily(transport, IPVS_GENL_NAME);
    return new NetlinkIpvs(transport, family.id);
  }

  /** requestCount is how many IPVS netlink requests this instance has sent. */
  get requestCount(): number {
    return this.sent;
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

  async getVirtualService(service: VirtualServiceId): Promise<VirtualServiceEntry | undefined> {
    const label = { action: 'get virtual service', object: serviceKey(service), context: {} } as const;
    try {
      const replies = await this.send(this.encoder().getService(service), label);
      const [nest] = this.nestBytes(replies, IPVS_CMD_ATTR_SERVICE);
      return nest === undefined ? undefined : decodeService(nest, 0, nest.length, this.serviceFields);
    } catch (error) {
      if (error instanceof NetlinkError && error.errno === ESRCH) return undefined;
      throw error;
    }
  }

  listVirtualServices(): Promise<readonly VirtualServiceEntry[]> {
    return this.dumpServices((buf, start, end) => decodeService(buf, start, end, this.serviceFields));
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

  async listRealServers(service: VirtualServiceId): Promise<readonly RealServerEntry[]> {
    const replies = await this.send(this.encoder().dumpRealServers(service), realServersLabel(service));
    return this.realServers(replies, service.family);
  }

  async list(): Promise<IpvsTable> {
    const dumps = await this.dumpRealServers(await this.listVirtualServices(), (service) => service, (requests, itemAt) =>
      this.transport.dumpMany(requests, (parts, index) => this.realServers(parts, itemAt(index).family)),
    );
    return { services: dumps.map(({ item, value }) => ({ ...item, realServers: value })) };
  }

  async listRules(): Promise<IpvsRules> {
    // In place (dumpManyInPlace): 20,000 real servers are 20,000 reply messages, and an object
    // and a Buffer view for each cost more in the guest than decoding them (bench/ipvs-table).
    // A service whose rules are as the last read-back read them is that read's entry, not decoded again.
    const read = this.unchangedServices.read();
    const services = await this.dumpServices((buf, start, end) => read.service(buf, start, end, this.serviceRules));
    const dumps = await this.dumpRealServers(
      services,
      (listed) => listed.service,
      (requests, itemAt) =>
        dumpManyInPlace(this.transport, requests, (view, index) => {
          const listed = itemAt(index);
          const { family } = listed.service;
          return read.rules(
            listed,
            (visit) => { this.eachNestIn(view, IPVS_CMD_ATTR_DEST, visit); },
            () => this.nestsIn(view, IPVS_CMD_ATTR_DEST, (buf, start, end) => this.realServerRules.read(buf, start, end, family)),
          );
        }),
    );
    read.finish();
    return { services: dumps.map(({ value }) => value) };
  }

  async apply(operations: readonly IpvsOperation[]): Promise<readonly OperationOutcome[]> {
    const encoder = this.encoder(operations.length);
    // Encoding first means bad input is refused before anything reaches the kernel.
    const requests = operations.map((operation) => encoder.operation(operation));
    this.sent += requests.length;
    const outcomes = await this.transport.batch(requests);
    return outcomes.map((outcome, index): OperationOutcome => {
      if (outcome.ok) return { ok: true };
      const operation = operations[index];
      if (operation === undefined) throw new Error(`the transport returned ${outcomes.length} outcomes for ${operations.length} requests`);
      return { ok: false, error: refusal(labelOperation(operation), outcome.errno, outcome.extendedMessage) };
    });
  }

  async zeroCounters(service?: VirtualServiceId): Promise<void> {
    const object = service === undefined ? '' : serviceKey(service);
    await this.send(this.encoder().zero(service), { action: 'zero counters', object, context: {} });
  }

  async flush(): Promise<void> {
    await this.send(this.encoder().flush(), simpleLabel('flush'));
  }

  async getTimeouts(): Promise<Timeouts> {
    return decodeTimeouts(this.only(await this.send(this.encoder().getTimeouts(), simpleLabel('get timeouts'))));
  }

  async setTimeouts(timeouts: Partial<Timeouts>): Promise<void> {
    await this.send(this.encoder().setTimeouts(timeouts), simpleLabel('set timeouts'));
  }

  async getInfo(): Promise<IpvsInfo> {
    return decodeInfo(this.only(await this.send(this.encoder().getInfo(), simpleLabel('get info'))));
  }

  async startDaemon(daemon: SyncDaemon): Promise<void> {
    const context = { syncState: daemon.state, mcastInterface: daemon.mcastInterface };
    const label = { action: 'start sync daemon', object: `${daemon.state} syncid ${daemon.syncid} on ${daemon.mcastInterface}`, context } as const;
    await this.send(this.encoder().startDaemon(daemon), label);
  }

  async stopDaemon(state: SyncState): Promise<void> {
    await this.send(this.encoder().stopDaemon(state), { action: 'stop sync daemon', object: state, context: { syncState: state } });
  }

  async listDaemons(): Promise<readonly SyncDaemon[]> {
    const replies = await this.send(this.encoder().dumpDaemons(), simpleLabel('list sync daemons'));
    return this.nests(replies, IPVS_CMD_ATTR_DAEMON).map(decodeDaemon);
  }

  private encoder(expectedOperations = 1): IpvsRequestEncoder {
    return new IpvsRequestEncoder(this.familyId, expectedOperations);
  }

  private async change(operation: IpvsOperation): Promise<void> {
    await this.send(this.encoder().operation(operation), labelOperation(operation));
  }

  /** dumpServices is one GET_SERVICE dump, each service nest read in place by `decode`. */
  private async dumpServices<S>(decode: NestReader<S>): Promise<readonly S[]> {
    const encoder = this.encoder();
    const [dump] = await this.dumpEach(
      ['all'],
      () => encoder.dumpServices(),
      () => simpleLabel('list virtual services'),
      (requests) => dumpManyInPlace(this.transport, requests, (view) => this.nestsIn(view, IPVS_CMD_ATTR_SERVICE, decode)),
    );
    return dump?.value ?? [];
  }

  /**
   * dumpRealServers makes the GET_DEST dump of each item's service (`serviceOf`), all in one
   * transport call (`dump`; `itemAt` gives dump `index`'s item), and pairs each item with its
   * value. One dump per service: the kernel has no "all destinations" dump.
   */
  private dumpRealServers<S, T>(
    items: readonly S[],
    serviceOf: (item: S) => VirtualServiceId,
    dump: (requests: readonly NetlinkRequest[], itemAt: (index: number) => S) => Promise<readonly DumpOutcome<T>[]>,
  ): Promise<{ item: S; value: T }[]> {
    const encoder = this.encoder(items.length);
    return this.dumpEach(items, (item) => encoder.dumpRealServers(serviceOf(item)), (item) => realServersLabel(serviceOf(item)), dump);
  }

  /**
   * dumpEach makes one dump per item in a single transport call (`dump`, which decodes each
   * during the call: the parts are not kept) and pairs each item with its value. A refused
   * dump becomes an IpvsError naming the item's `label`.
   */
  private async dumpEach<S, T>(
    items: readonly S[],
    request: (item: S) => NetlinkRequest,
    label: (item: S) => OperationLabel,
    dump: (requests: readonly NetlinkRequest[], itemAt: (index: number) => S) => Promise<readonly DumpOutcome<T>[]>,
  ): Promise<{ item: S; value: T }[]> {
    const itemAt = (index: number): S => {
      if (!(index in items)) throw new Error(`the transport answered dump ${index} of ${items.length}`);
      return items[index] as S;
    };
    const requests = items.map(request);
    this.sent += requests.length;
    const outcomes = await dump(requests, itemAt);
    if (outcomes.length !== items.length) throw new Error(`the transport returned ${outcomes.length} outcomes for ${items.length} dumps`);
    return outcomes.map((outcome, index) => {
      const item = itemAt(index);
      if (!outcome.ok) throw refusal(label(item), outcome.errno, outcome.extendedMessage);
      return { item, value: outcome.value };
    });
  }

  /** send makes one request and turns a kernel refusal into an IpvsError naming the object. */
  private async send(request: NetlinkRequest, label: OperationLabel): Promise<readonly NetlinkMessage[]> {
    this.sent++;
    try {
      return await this.transport.request(request, `${label.action} ${label.object}`.trimEnd());
    } catch (error) {
      if (error instanceof NetlinkError) throw refusal(label, error.errno, error.extendedMessage);
      throw error;
    }
  }

  /** realServers decodes the parts of one GET_DEST dump (see decodeRealServer for `family`). */
  private realServers(parts: readonly NetlinkMessage[], family: AddressFamily): RealServerEntry[] {
    return this.nestBytes(parts, IPVS_CMD_ATTR_DEST).map((nest) => decodeRealServer(nest, family, this.realServerRules));
  }

  /**
   * nestsIn reads the first-level nests of `type` of one dump's parts in place, each with `read`.
   */
  private nestsIn<T>(view: DumpView, type: number, read: NestReader<T>): T[] {
    // Room for one nest a part, as the kernel sends them, instead of growing the array as it fills.
    const found = new Array<T>(view.partStarts.length);
    let count = 0;
    this.eachNestIn(view, type, (buf, start, end) => {
      found[count++] = read(buf, start, end);
    });
    found.length = count;
    return found;
  }

  /**
   * eachNestIn visits the first-level nests of `type` of one dump's parts in place, in order.
   * Indexed loops: a first read-back runs this for 20,000 real servers in the interpreter,
   * where an iterator step per part costs more than the part (bench/ipvs-table).
   */
  private eachNestIn({ bytes, partStarts }: DumpView, type: number, visit: NestVisitor): void {
    for (let p = 0; p < partStarts.length; p++) {
      const at = partStarts[p] ?? 0;
      if (u16At(bytes, at + 4) !== this.familyId) continue;
      const end = at + u32At(bytes, at);
      for (let nest = genericAttributesStart(at + NLMSG_HDRLEN, end); nest < end; ) {
        const nestEnd = attributeEnd(bytes, nest, end);
        if (attributeType(bytes, nest) === type) visit(bytes, nest + NLA_HDRLEN, nestEnd);
        nest += align4(nestEnd - nest);
      }
    }
  }

  /** nests decodes each IPVS reply message and returns its one first-level nest of `type`. */
  private nests(replies: readonly NetlinkMessage[], type: number): AttributeSet[] {
    const sets: AttributeSet[] = [];
    for (const reply of replies) {
      if (reply.type !== this.familyId) continue;
      const nested = decodeGeneric(reply).attributes.nested(type);
      if (nested !== undefined) sets.push(nested);
    }
    return sets;
  }

  /** nestBytes finds each reply's first-level nest of `type` without decoding the rest. */
  private nestBytes(replies: readonly NetlinkMessage[], type: number): Buffer[] {
    const found: Buffer[] = [];
    this.forEachNest(replies, type, (payload, start, end) => found.push(payload.subarray(start, end)));
    return found;
  }

  /** forEachNest visits each reply's first-level nests of `type` in place: the payload and the nest's bounds. */
  private forEachNest(replies: readonly NetlinkMessage[], type: number, visit: NestVisitor): void {
    for (const reply of replies) this.forEachNestIn(reply.payload, 0, reply.payload.length, reply.type, type, visit);
  }

  /**
   * forEachNestIn visits the first-level nests of `type` in the generic netlink payload at
   * buf[start, end) of a reply of `messageType` (skipped unless it is the IPVS family's).
   * Stepped by hand rather than with forEachAttribute: a GET_DEST dump has one reply per real server.
   */
  private forEachNestIn(buf: Buffer, start: number, end: number, messageType: number, type: number, visit: NestVisitor): void {
    if (messageType !== this.familyId) return;
    for (let at = genericAttributesStart(start, end); at < end; ) {
      const attributeEndAt = attributeEnd(buf, at, end);
      if (attributeType(buf, at) === type) visit(buf, at + NLA_HDRLEN, attributeEndAt);
      at += align4(attributeEndAt - at);
    }
  }

  /** only decodes the single data reply of a GET_CONFIG or GET_INFO request. */
  private only(replies: readonly NetlinkMessage[]): AttributeSet {
    const reply = replies.find((message) => message.type === this.familyId);
    if (reply === undefined) throw new NetlinkParseError('the kernel acked without the data reply', 0);
    return decodeGeneric(reply).attributes;
  }
}

/** genericAttributesStart is where the attributes of the generic netlink payload at [start, end) begin, after its genlmsghdr. */
function genericAttributesStart(start: number, end: number): number {
  if (end - start < GENL_HDRLEN) throw new NetlinkParseError(`generic payload of ${end - start} bytes has no genlmsghdr`, 0);
  return start + GENL_HDRLEN;
}

/** NestReader makes a value of the nest payload at buf[start, end). */
type NestReader<T> = (buf: Buffer, start: number, end: number) => T;


function realServersLabel(service: VirtualServiceId): OperationLabel {
  return { action: 'list real servers', object: serviceKey(service), context: {} };
}

function simpleLabel(action: IpvsAction, context: IpvsErrorContext = {}): OperationLabel {
  return { action, object: '', context };
}
