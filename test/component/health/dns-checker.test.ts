/**
 * The dns checker against a tiny loopback responder built on the codec: answers, rcodes,
 * truncation with TCP fallback, stray and garbage datagrams, the source address.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dnsChecker } from '../../../src/health/dns-checker.js';
import { CLASS_IN, decodeDnsMessage, encodeDnsMessage, type DnsMessage } from '../../../src/health/dns-message.js';
import { DNS_TYPES } from '../../../src/health/dns-rdata.js';
import { checkOf } from '../../unit/health/check-fixtures.js';
import { portOf } from './loopback.js';

/** answer builds the responder's reply to a query; `overTcp` lifts the truncation of big.example. */
function answer(query: DnsMessage, overTcp: boolean): DnsMessage {
  const question = query.questions[0];
  const name = question?.name ?? '';
  const base = { ...query, response: true, authoritative: true, recursionAvailable: false, answers: [] };
  const a = (address: string) => ({ name, type: DNS_TYPES.A, class: CLASS_IN, ttlSeconds: 60, data: { kind: 'address' as const, address } });
  switch (name) {
    case 'www.example':
      return { ...base, answers: [a('198.51.100.7')] };
    case 'big.example':
      return overTcp ? { ...base, answers: [a('198.51.100.8'), a('198.51.100.9')] } : { ...base, truncated: true };
    case 'servfail.example':
      return { ...base, rcode: 2 };
    default:
      return { ...base, rcode: 3 };
  }
}

describe('dns checker', () => {
  const remotes: string[] = [];
  let udp: UdpSocket;
  let tcp: Server;
  let port = 0;
  beforeAll(async () => {
    udp = createSocket('udp4');
    udp.on('message', (datagram, remote) => {
      remotes.push(remote.address);
      const query = decodeDnsMessage(datagram);
      const reply = (bytes: Uint8Array): void => {
        udp.send(bytes, remote.port, remote.address);
      };
      if (query.questions[0]?.name === 'garbage.example') reply(Buffer.from('not a DNS message at all'));
      if (query.questions[0]?.name === 'stray.example') reply(encodeDnsMessage({ ...answer(query, false), id: (query.id + 1) & 0xffff, rcode: 2 }));
      if (query.questions[0]?.name !== 'garbage.example') reply(encodeDnsMessage(answer(query, false)));
    });
    udp.bind(0, '127.0.0.1');
    await once(udp, 'listening');
    port = portOf(udp);
    // The TCP side on the same port number, framed per RFC 1035 §4.2.2.
    tcp = createServer((socket) => {
      remotes.push(`tcp ${socket.remoteAddress ?? ''}`);
      socket.once('data', (framed: Buffer) => {
        const reply = encodeDnsMessage(answer(decodeDnsMessage(framed.subarray(2)), true));
        const length = Buffer.alloc(2);
        length.writeUInt16BE(reply.length);
        socket.end(Buffer.concat([length, reply]));
      });
    });
    tcp.listen(port, '127.0.0.1');
    await once(tcp, 'listening');
  });
  afterAll(() => {
    udp.close();
    tcp.close();
  });
  const run = (fields: Record<string, unknown>) => {
    const check = checkOf('dns', port, { timeoutMs: 300, intervalMs: 1000, ...fields });
    return dnsChecker.check({ address: '127.0.0.1', check }, AbortSignal.timeout(check.timeoutMs));
  };

  it('passes on NOERROR and on the expected answer', async () => {
    expect(await run({ queryName: 'www.example' })).toEqual({ ok: true });
    expect(await run({ queryName: 'www.example', expectAnswer: '198.51.100.7' })).toEqual({ ok: true });
  });

  it('fails with answer when the expected answer is missing', async () => {
    expect(await run({ queryName: 'www.example', expectAnswer: '198.51.100.1' })).toEqual({ ok: false, reason: 'answer', detail: 'no A answer "198.51.100.1"; got 198.51.100.7' });
  });

  it('fails with rcode on another rcode, and passes when that rcode is expected', async () => {
    expect(await run({ queryName: 'missing.example' })).toEqual({ ok: false, reason: 'rcode', detail: 'rcode NXDOMAIN, expected NOERROR' });
    expect(await run({ queryName: 'missing.example', expectRcode: 'NXDOMAIN' })).toEqual({ ok: true });
    expect(await run({ queryName: 'servfail.example' })).toMatchObject({ ok: false, reason: 'rcode' });
  });

  it('asks again over TCP when the UDP answer is truncated', async () => {
    remotes.length = 0;
    expect(await run({ queryName: 'big.example', expectAnswer: '198.51.100.9' })).toEqual({ ok: true });
    expect(remotes).toEqual(['127.0.0.1', 'tcp 127.0.0.1']);
  });

  it('ignores a reply with another id and judges the real one', async () => {
    expect(await run({ queryName: 'stray.example', expectRcode: 'NXDOMAIN' })).toEqual({ ok: true });
  });

  it('ignores garbage and times out', async () => {
    expect(await run({ queryName: 'garbage.example' })).toEqual({ ok: false, reason: 'timeout', detail: 'no verdict within 300 ms' });
  });

  it('fails with query on a name it cannot encode', async () => {
    expect(await run({ queryName: `${'a'.repeat(64)}.example` })).toMatchObject({ ok: false, reason: 'query' });
  });

  it('queries from sourceAddress, over UDP and TCP', async () => {
    remotes.length = 0;
    expect(await run({ queryName: 'big.example', sourceAddress: '127.0.0.2' })).toEqual({ ok: true });
    expect(remotes).toEqual(['127.0.0.2', 'tcp 127.0.0.2']);
  });
});
