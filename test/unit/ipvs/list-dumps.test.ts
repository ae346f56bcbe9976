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
import { type IpvsRules, serviceKey } from '../../../src/ipvs/model.js';
import type { DumpViewDecoder } from '../../../src/netlink/dump-view.js';
import type { DumpDecoder, DumpOutcome, NetlinkTransport, RequestOutcome } from '../../../src/netlink/transport.js';
import { toJson } from '../../contract/ipvs-json.js';
import { forEachAttribute } from '../../../src/ipvs/attribute-scan.js';
import {
  IPVS_CMD_ATTR_DEST,
  IPVS_CMD_ATTR_SERVICE,
  IPVS_DEST_ATTR_ACTIVE_CONNS,
  IPVS_DEST_ATTR_INACT_CONNS,
  IPVS_DEST_ATTR_PERSIST_CONNS,
  IPVS_DEST_ATTR_STATS,
  IPVS_DEST_ATTR_STATS64,
  IPVS_DEST_ATTR_WEIGHT,
  IPVS_SVC_ATTR_PORT,
  IPVS_SVC_ATTR_STATS,
  IPVS_SVC_ATTR_STATS64,
  IPVS_SVC_ATTR_TIMEOUT,
} from '../../../src/ipvs/constants.js';
import { GENL_HDRLEN } from '../../../src/netlink/constants.js';

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
  /** edit changes a dump's recorded replies before they are answered: how a test changes the kernel's table. */
  edit: (operation: string, parts: NetlinkMessage[]) => NetlinkMessage[] = (_operation, parts) => parts;
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
        const parts = this.edit(
          entry.operation,
          (entry.replies ?? []).map((reply) => ({ type: reply.type, flags: reply.flags, seq: 0, pid: 0, payload: Buffer.from(reply.payload, 'hex') })),
        );
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

/** findPayload is where the attribute at `path` (types, outermost first) of a generic netlink payload keeps its payload, if it has one. */
function findPayload(payload: Buffer, path: readonly number[]): { readonly start: number; readonly end: number } | undefined {
  let within: { start: number; end: number } | undefined = { start: GENL_HDRLEN, end: payload.length };
  for (const type of path) {
    const found: { start: number; end: number }[] = [];
    forEachAttribute(payload, within.start, within.end, (attributeType, start, end) => {
      if (attributeType === type) found.push({ start, end });
    });
    within = found[0];
    if (within === undefined) return undefined;
  }
  return within;
}

function payloadAt(payload: Buffer, path: readonly number[]): { readonly start: number; readonly end: number } {
  const found = findPayload(payload, path);
  if (found === undefined) throw new Error(`no attribute ${path.join('/')}`);
  return found;
}

/** sameEntries says, service by service, whether `after` holds the very entry `before` held. */
function sameEntries(after: IpvsRules, before: IpvsRules): boolean[] {
  return after.services.map((service, index) => service === before.services[index]);
}

describe('NetlinkIpvs.listRules() after a read-back', () => {
  /** Three reads of the recorded table: the first digests nothing, the second keeps what it decoded, the third reuses it. */
  async function readThrice(): Promise<{ transport: InPlaceTransport; ipvs: NetlinkIpvs; before: IpvsRules }> {
    const transport = new InPlaceTransport();
    const ipvs = new NetlinkIpvs(transport, familyId);
    await ipvs.listRules();
    const second = await ipvs.listRules();
    const before = await ipvs.listRules();
    expect(sameEntries(before, second)).toEqual(before.services.map(() => true));
    return { transport, ipvs, before };
  }

  /** fresh is the table as a NetlinkIpvs that never read it decodes it from `transport`'s replies. */
  async function fresh(transport: InPlaceTransport): Promise<IpvsRules> {
    const other = new InPlaceTransport();
    other.edit = transport.edit;
    return new NetlinkIpvs(other, familyId).listRules();
  }

  it('hands back the very entries of the last read while the rules are unchanged, whatever the counters did', async () => {
    const { transport, ipvs, before } = await readThrice();
    transport.edit = (operation, parts) =>
      parts.map((part) => {
        const payload = Buffer.from(part.payload);
        const counters =
          operation === 'list virtual services'
            ? [IPVS_SVC_ATTR_STATS, IPVS_SVC_ATTR_STATS64].map((type) => [IPVS_CMD_ATTR_SERVICE, type])
            : [IPVS_DEST_ATTR_ACTIVE_CONNS, IPVS_DEST_ATTR_INACT_CONNS, IPVS_DEST_ATTR_PERSIST_CONNS, IPVS_DEST_ATTR_STATS, IPVS_DEST_ATTR_STATS64].map((type) => [IPVS_CMD_ATTR_DEST, type]);
        for (const path of counters) payload.fill(0x5a, payloadAt(payload, path).start, payloadAt(payload, path).end);
        return { ...part, payload };
      });
    const after = await ipvs.listRules();
    expect(sameEntries(after, before)).toEqual(after.services.map(() => true));
  });

  it('decodes anew only the service whose real server changed weight, into what a first read decodes', async () => {
    const { transport, ipvs, before } = await readThrice();
    transport.edit = (operation, parts) =>
      operation !== 'list real servers tcp:192.0.2.1:80'
        ? parts
        : parts.map((part, index) => {
            if (index !== 1) return part;
            const payload = Buffer.from(part.payload);
            payload.writeUInt32LE(77, payloadAt(payload, [IPVS_CMD_ATTR_DEST, IPVS_DEST_ATTR_WEIGHT]).start);
            return { ...part, payload };
          });
    const after = await ipvs.listRules();
    expect(after).toEqual(await fresh(transport));
    const changed = after.services.findIndex((service) => serviceKey(service) === 'tcp:192.0.2.1:80');
    expect(after.services[changed]?.realServers[1]?.weight).toBe(77);
    expect(sameEntries(after, before)).toEqual(after.services.map((_service, index) => index !== changed));
  });

  it('decodes anew a service whose own settings changed, or that lost a real server', async () => {
    const { transport, ipvs, before } = await readThrice();
    transport.edit = (operation, parts) => {
      if (operation === 'list real servers tcp:192.0.2.1:80') return parts.slice(1);
      if (operation !== 'list virtual services') return parts;
      return parts.map((part) => {
        const payload = Buffer.from(part.payload);
        const port = findPayload(payload, [IPVS_CMD_ATTR_SERVICE, IPVS_SVC_ATTR_PORT]);
        if (port !== undefined && payload.readUInt16BE(port.start) === 443) payload.writeUInt32LE(4242, payloadAt(payload, [IPVS_CMD_ATTR_SERVICE, IPVS_SVC_ATTR_TIMEOUT]).start);
        return { ...part, payload };
      });
    };
    const after = await ipvs.listRules();
    expect(after).toEqual(await fresh(transport));
    const keys = after.services.map(serviceKey);
    expect(after.services[keys.indexOf('tcp:[2001:db8::1]:443')]?.persistence?.timeoutSeconds).toBe(4242);
    expect(after.services[keys.indexOf('tcp:192.0.2.1:80')]?.realServers).toHaveLength(1);
    expect(sameEntries(after, before)).toEqual(keys.map((key) => key === 'fwmark:4:42'));
  });

  it('keeps nothing from a read that failed midway: the read after it decodes every service anew', async () => {
    const { transport, ipvs, before } = await readThrice();
    // The last real server's reply cut short: the read parses it last and fails there.
    transport.edit = (operation, parts) => (operation === 'list real servers fwmark:4:42' ? parts.map((part) => ({ ...part, payload: part.payload.subarray(0, 30) })) : parts);
    await expect(ipvs.listRules()).rejects.toThrow();
    transport.edit = (_operation, parts) => parts;
    const after = await ipvs.listRules();
    expect(after).toEqual(before);
    expect(sameEntries(after, before)).toEqual(after.services.map(() => false));
  });
});
