/**
 * list-dumps: NetlinkIpvs.list() reads the whole table in two transport calls: one dumpMany
 * holding the GET_SERVICE dump, then one dumpMany holding a GET_DEST dump per service (the
 * benchmark's read-back depends on that), and listRules() the same way. Replies are the ones
 * Linux 6.1 sent (the golden fixture), so the decoding is real; the transport here only counts
 * and can refuse.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { IpvsError } from '../../../src/ipvs/ipvs-error.js';
import { NetlinkIpvs } from '../../../src/ipvs/netlink-ipvs.js';
import type { NetlinkMessage, NetlinkRequest } from '../../../src/netlink/message.js';
import type { DumpViewDecoder } from '../../../src/netlink/dump-view.js';
import type { DumpDecoder, DumpOutcome, NetlinkTransport, RequestOutcome } from '../../../src/netlink/transport.js';
import { toJson } from '../../contract/ipvs-json.js';

interface WireMessage {
  readonly type: number;
  readonly flags: number;
  readonly payload: string;
}
interface RecordedRequest {
  readonly kind: string;
  readonly operation: string;
  readonly request: WireMessage;
  readonly replies?: WireMessage[];
}

const fixtures = new URL('../../fixtures/ipvs/', import.meta.url);
const recorded = readFileSync(new URL('netlink-exchanges.jsonl', fixtures), 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as RecordedRequest);
/** The first read-back of the scenario: the services dump, then one dump per service. */
const listing = recorded.slice(recorded.findIndex((entry) => entry.operation === 'list virtual services')).slice(0, 4);
const familyId = listing[0]?.request.type ?? 0;
const expected = (JSON.parse(readFileSync(new URL('scenario-results.json', fixtures), 'utf8')) as { table: { services: { realServers: unknown[] }[] } }).table;

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** DumpingTransport answers dumps from the recording; `refuse` names requests to refuse with ESRCH. */
class DumpingTransport implements NetlinkTransport {
  readonly calls: number[] = [];
  constructor(private readonly refuse: (operation: string) => boolean = () => false) {}

  request(): Promise<readonly NetlinkMessage[]> {
    return Promise.reject(new Error('list() must not make single requests'));
  }

  batch(): Promise<readonly RequestOutcome[]> {
    return Promise.reject(new Error('list() must not batch'));
  }

  dumpMany<T>(requests: readonly NetlinkRequest[], decode: DumpDecoder<T>): Promise<readonly DumpOutcome<T>[]> {
    this.calls.push(requests.length);
    return Promise.resolve(
      requests.map((request, index): DumpOutcome<T> => {
        const entry = listing.find((candidate) => candidate.request.payload === hex(request.payload) && candidate.request.type === request.type);
        if (entry === undefined) throw new Error(`no recorded dump for ${hex(request.payload)}`);
        if (this.refuse(entry.operation)) return { ok: false, errno: 3 };
        const parts = (entry.replies ?? []).map((reply) => ({ type: reply.type, flags: reply.flags, seq: 0, pid: 0, payload: Buffer.from(reply.payload, 'hex') }));
        return { ok: true, value: decode(parts, index) };
      }),
    );
  }

  close(): void {}
}

/**
 * InPlaceTransport also offers dumpManyInPlace, as the native transport does: each dump's
 * parts lie in one shared buffer, apart from each other and among bytes of no dump at all
 * (0xee), so a decoder that reads past a part or ignores partStarts goes wrong.
 */
class InPlaceTransport extends DumpingTransport {
  readonly inPlaceCalls: number[] = [];

  dumpManyInPlace<T>(requests: readonly NetlinkRequest[], decode: DumpViewDecoder<T>): Promise<readonly DumpOutcome<T>[]> {
    this.inPlaceCalls.push(requests.length);
    return this.dumpMany(requests, (parts, index) => {
      const partStarts: number[] = [];
      const pieces: Buffer[] = [Buffer.alloc(12, 0xee)];
      let at = 12;
      for (const part of parts) {
        const header = Buffer.alloc(16);
        header.writeUInt32LE(16 + part.payload.length, 0);
        header.writeUInt16LE(part.type, 4);
        header.writeUInt16LE(part.flags, 6);
        partStarts.push(at);
        pieces.push(header, part.payload, Buffer.alloc(8 - (part.payload.length % 4), 0xee));
        at += 16 + part.payload.length + 8 - (part.payload.length % 4);
      }
      return decode({ bytes: Buffer.concat(pieces), partStarts }, index);
    });
  }
}

describe('NetlinkIpvs.list() over dumpMany', () => {
  it('listRules decodes the GET_SERVICE dump and the GET_DEST dumps in place where the transport offers it, into the same rules', async () => {
    const inPlace = new InPlaceTransport();
    const rules = await new NetlinkIpvs(inPlace, familyId).listRules();
    // One GET_SERVICE dump, then one GET_DEST dump per service, all read in place.
    expect(inPlace.inPlaceCalls).toEqual([1, 3]);
    expect(rules).toEqual(await new NetlinkIpvs(new DumpingTransport(), familyId).listRules());
    expect(rules.services.flatMap((service) => service.realServers)).toHaveLength(expected.services.reduce((n, service) => n + service.realServers.length, 0));
  });

  it('reads every service and real server in two dumpMany calls, one dump per service', async () => {
    const transport = new DumpingTransport();
    const ipvs = new NetlinkIpvs(transport, familyId);
    const table = await ipvs.list();
    expect(transport.calls).toEqual([1, 3]);
    expect(ipvs.requestCount).toBe(4);
    expect(table.services.map((service) => service.realServers.length)).toEqual(expected.services.map((service) => service.realServers.length));
    expect(JSON.parse(toJson(table))).toEqual(expected);
  });

  it('listRules makes the same dumps and reads the same rules, without counters or connection counts', async () => {
    const transport = new DumpingTransport();
    const ipvs = new NetlinkIpvs(transport, familyId);
    const rules = await ipvs.listRules();
    expect(transport.calls).toEqual([1, 3]);
    expect(ipvs.requestCount).toBe(4);
    const counters = new Set(['stats', 'activeConnections', 'inactiveConnections', 'persistentConnections']);
    const withoutCounters = JSON.parse(JSON.stringify(expected, (key, value: unknown) => (counters.has(key) ? undefined : value))) as unknown;
    expect(rules).toEqual(withoutCounters);
    const fields = rules.services.flatMap((service) => [...Object.keys(service), ...service.realServers.flatMap((server) => Object.keys(server))]);
    expect(fields.filter((field) => counters.has(field))).toEqual([]);
  });

  it('turns a refused GET_DEST dump into an IpvsError that names the service', async () => {
    const transport = new DumpingTransport((operation) => operation === 'list real servers tcp:192.0.2.1:80');
    const listed = new NetlinkIpvs(transport, familyId).list();
    await expect(listed).rejects.toBeInstanceOf(IpvsError);
    await expect(listed).rejects.toMatchObject({ code: 'ESRCH', action: 'list real servers', object: 'tcp:192.0.2.1:80' });
  });

  it('turns a refused service dump into an IpvsError and sends no GET_DEST dump', async () => {
    const transport = new DumpingTransport((operation) => operation === 'list virtual services');
    await expect(new NetlinkIpvs(transport, familyId).list()).rejects.toMatchObject({ code: 'ESRCH', action: 'list virtual services' });
    expect(transport.calls).toEqual([1]);
  });
});
