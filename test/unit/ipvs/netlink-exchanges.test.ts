/**
 * netlink-exchanges: golden bytes from the kernel. test/fixtures/ipvs/netlink-exchanges.jsonl
 * holds every request tandem sent to Linux 6.1's IPVS in the guest and every reply it got
 * (record-exchanges.ts). Replaying it, tandem must send the very same bytes and decode the
 * replies into the results the live run got, without root or IPVS. Truncating or garbling
 * any reply must give a NetlinkParseError, never a wrong value or another exception.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NetlinkIpvs } from '../../../src/ipvs/netlink-ipvs.js';
import type { NetlinkMessage, NetlinkRequest } from '../../../src/netlink/message.js';
import { NetlinkError } from '../../../src/netlink/netlink-error.js';
import { NetlinkParseError } from '../../../src/netlink/parse-error.js';
import type { DumpDecoder, DumpOutcome, NetlinkTransport, RequestOutcome } from '../../../src/netlink/transport.js';
import { reviveJson } from '../../contract/ipvs-json.js';
import { runScenario } from '../../fixtures/ipvs/scenario.js';

interface WireMessage {
  readonly type: number;
  readonly flags: number;
  readonly payload: string;
}
type Exchange =
  | { kind: 'request'; operation: string; request: WireMessage; replies?: WireMessage[]; errno?: number | null }
  | { kind: 'batch'; requests: WireMessage[]; outcomes: ({ ok: true } | { ok: false; errno: number })[] };

const fixtures = new URL('../../fixtures/ipvs/', import.meta.url);
const exchanges = readFileSync(new URL('netlink-exchanges.jsonl', fixtures), 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as Exchange);
const expected = JSON.parse(readFileSync(new URL('scenario-results.json', fixtures), 'utf8'), reviveJson) as Record<string, unknown>;

const wire = (request: NetlinkRequest): WireMessage => ({ type: request.type, flags: request.flags, payload: Buffer.from(request.payload).toString('hex') });
const message = (reply: WireMessage): NetlinkMessage => ({ type: reply.type, flags: reply.flags, seq: 0, pid: 0, payload: Buffer.from(reply.payload, 'hex') });

/**
 * ReplayDiverged ends a replay whose mangled replies decoded into valid but different values
 * (say, another family id), so the code under test went on to send what the recording lacks.
 */
class ReplayDiverged extends Error {}

/**
 * ReplayTransport answers from the recording and insists on byte-identical requests. With a
 * `mangle`, a request that differs from the recording means an earlier mangled reply was decoded
 * into a different value: the replay stops with ReplayDiverged rather than a failed assertion.
 */
class ReplayTransport implements NetlinkTransport {
  private next = 0;
  constructor(private readonly mangle?: (payload: Buffer, index: number) => Buffer) {}

  private take(kind: Exchange['kind']): Exchange {
    const exchange = exchanges[this.next++];
    if (exchange?.kind !== kind) throw this.diverged(`exchange ${this.next - 1}: expected a ${kind}`);
    return exchange;
  }

  private diverged(what: string): Error {
    return this.mangle === undefined ? new Error(what) : new ReplayDiverged(what);
  }

  private expectRecorded(actual: unknown, recorded: unknown): void {
    if (this.mangle !== undefined && JSON.stringify(actual) !== JSON.stringify(recorded)) throw new ReplayDiverged('request differs');
    expect(actual).toEqual(recorded);
  }

  request(request: NetlinkRequest, operation: string): Promise<readonly NetlinkMessage[]> {
    const recorded = this.take('request') as Extract<Exchange, { kind: 'request' }>;
    this.expectRecorded(wire(request), recorded.request);
    if (recorded.errno !== undefined && recorded.errno !== null) {
      return Promise.reject(new NetlinkError(operation, { errno: recorded.errno, seq: 0, requestType: request.type }));
    }
    const mangle = this.mangle ?? ((payload: Buffer) => payload);
    return Promise.resolve((recorded.replies ?? []).map((reply, i) => ({ ...message(reply), payload: mangle(message(reply).payload, i) })));
  }

  batch(requests: readonly NetlinkRequest[]): Promise<readonly RequestOutcome[]> {
    const recorded = this.take('batch') as Extract<Exchange, { kind: 'batch' }>;
    this.expectRecorded(requests.map(wire), recorded.requests);
    return Promise.resolve(recorded.outcomes.map((o): RequestOutcome => (o.ok ? { ok: true, replies: [] } : { ok: false, errno: o.errno })));
  }

  /** dumpMany replays one recorded request per dump, as the recording transport writes them. */
  async dumpMany<T>(requests: readonly NetlinkRequest[], decode: DumpDecoder<T>): Promise<readonly DumpOutcome<T>[]> {
    const outcomes: DumpOutcome<T>[] = [];
    for (const [index, request] of requests.entries()) {
      let replies: readonly NetlinkMessage[];
      try {
        replies = await this.request(request, 'dump');
      } catch (error) {
        if (!(error instanceof NetlinkError)) throw error;
        outcomes.push({ ok: false, errno: error.errno });
        continue;
      }
      outcomes.push({ ok: true, value: decode(replies, index) });
    }
    return outcomes;
  }

  close(): void {
    expect(this.next).toBe(exchanges.length);
  }
}

describe('IPVS golden bytes recorded from Linux 6.1', () => {
  it('sends byte-identical requests and decodes the replies into what the live run decoded', async () => {
    const transport = new ReplayTransport();
    const results = await runScenario(await NetlinkIpvs.open(transport));
    transport.close();
    expect(results).toEqual(expected);
  });

  it('decoded the kernel\'s replies as the model says (spot checks against hand-written values)', () => {
    expect(expected.daemons).toEqual([
      { state: 'master', mcastInterface: 'lo', syncid: 7, maxlen: 1472, group: '224.0.0.81', port: 8848, ttl: 1 },
      { state: 'backup', mcastInterface: 'lo', syncid: 200, maxlen: 1400, group: 'ff02::81', port: 9000, ttl: 3 },
    ]);
    expect(expected.timeouts).toEqual({ tcpSeconds: 1000, tcpFinSeconds: 120, udpSeconds: 200 });
    expect(expected.service).toMatchObject({ protocol: 'tcp', family: 6, address: '2001:db8::1', persistence: { timeoutSeconds: 600, netmaskPrefixLength: 64 } });
    expect(expected.empty).toEqual({ services: [] });
  });

  it('turns any truncation or corruption of a reply into a NetlinkParseError or a decoded value, never another error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 8 }), async (cut, where, noise) => {
        const mangle = (payload: Buffer): Buffer => {
          if (payload.length <= 4) return payload;
          const bytes = Buffer.from(payload.subarray(0, 4 + (cut % (payload.length - 3))));
          for (const [i, value] of noise.entries()) if (bytes.length > 4) bytes[4 + ((where + i) % (bytes.length - 4))] = value;
          return bytes;
        };
        const transport = new ReplayTransport(mangle);
        const outcome = await NetlinkIpvs.open(transport)
          .then((ipvs) => runScenario(ipvs))
          .then(
            () => undefined,
            (error: unknown) => error,
          );
        const acceptable = outcome === undefined || outcome instanceof NetlinkParseError || outcome instanceof ReplayDiverged;
        expect(acceptable ? 'ok' : outcome).toBe('ok');
      }),
      { numRuns: 200 },
    );
  });
});
