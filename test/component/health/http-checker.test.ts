/**
 * The http and https checkers against loopback servers: status sets, body regex and digest,
 * Host and SNI, TLS verification, a server that never answers, and the source address.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createHttpChecker } from '../../../src/health/http-checker.js';
import { BODY_LIMIT_BYTES } from '../../../src/health/http-expectations.js';
import { checkOf } from '../../unit/health/check-fixtures.js';
import { expectNoOpenConnections, listenTcp, portOf } from './loopback.js';

const HEALTHY_BODY = 'status: healthy\n';
const BIG_BODY = Buffer.alloc(BODY_LIMIT_BYTES + 1, 'x');

/** Seen is what the server saw of each request. */
interface Seen {
  readonly host: string | undefined;
  readonly remote: string | undefined;
  readonly servername: string | false | null | undefined;
  readonly connection: string | undefined;
}

/** respond serves the test routes. /hang never answers. */
function respond(seen: Seen[]) {
  return (request: IncomingMessage, response: ServerResponse): void => {
    const socket = request.socket as Partial<TLSSocket>;
    seen.push({ host: request.headers.host, remote: request.socket.remoteAddress, servername: socket.servername, connection: request.headers.connection });
    if (request.url === '/hang') return;
    if (request.url === '/error') response.writeHead(503).end('down');
    else if (request.url === '/moved') response.writeHead(301, { Location: '/' }).end();
    else if (request.url === '/big') response.writeHead(200).end(BIG_BODY);
    else response.writeHead(200, { 'Content-Type': 'text/plain' }).end(HEALTHY_BODY);
  };
}

/** serveDuringSuite listens on a loopback port before the suite's tests and closes after them. */
function serveDuringSuite(server: Server): { port: number } {
  const serving = { port: 0 };
  beforeAll(async () => {
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    serving.port = portOf(server);
  });
  afterAll(async () => {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  });
  return serving;
}

/** makeCertificate makes a self-signed certificate for health.test and 127.0.0.1, or null without openssl. */
function makeCertificate(): { key: string; cert: string } | null {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-tls-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=health.test',
      '-addext', 'subjectAltName=DNS:health.test,IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } catch {
    return null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('http checker', () => {
  const seen: Seen[] = [];
  const server = createServer(respond(seen));
  const serving = serveDuringSuite(server);
  const checker = createHttpChecker();
  const run = (fields: Record<string, unknown>, address = '127.0.0.1') => {
    const check = checkOf('http', serving.port, fields);
    return checker.check({ address, check }, AbortSignal.timeout(check.timeoutMs));
  };

  it('passes on an expected status, with a fresh connection and Host of address:port', async () => {
    seen.length = 0;
    expect(await run({ path: '/' })).toEqual({ ok: true });
    expect(seen).toEqual([{ host: `127.0.0.1:${serving.port}`, remote: '127.0.0.1', servername: undefined, connection: 'close' }]);
  });

  it('sends the configured Host', async () => {
    seen.length = 0;
    await run({ host: 'www.example.com' });
    expect(seen[0]?.host).toBe('www.example.com');
  });

  it('fails with status outside the expected set, and passes when the set includes it', async () => {
    expect(await run({ path: '/error' })).toEqual({ ok: false, reason: 'status', detail: 'HTTP 503, expected 200-299' });
    expect(await run({ path: '/moved' })).toMatchObject({ ok: false, reason: 'status' });
    expect(await run({ path: '/moved', expectStatus: ['200-299', 301] })).toEqual({ ok: true });
    expect(await run({ path: '/error', expectStatus: [503], method: 'HEAD' })).toEqual({ ok: true });
  });

  it('matches the body against bodyRegex', async () => {
    expect(await run({ bodyRegex: '^status: healthy$' })).toEqual({ ok: false, reason: 'body', detail: 'body does not match /^status: healthy$/' });
    expect(await run({ bodyRegex: 'status: (healthy|degraded)' })).toEqual({ ok: true });
    // A regex reads the first BODY_LIMIT_BYTES of a larger body.
    expect(await run({ path: '/big', bodyRegex: '^x+$' })).toEqual({ ok: true });
  });

  it('compares the body SHA-256 with bodySha256', async () => {
    const digest = createHash('sha256').update(HEALTHY_BODY).digest('hex');
    expect(await run({ bodySha256: digest.toUpperCase() })).toEqual({ ok: true });
    expect(await run({ bodySha256: '0'.repeat(64) })).toMatchObject({ ok: false, reason: 'digest' });
    expect(await run({ path: '/big', bodySha256: '0'.repeat(64) })).toMatchObject({ ok: false, reason: 'digest', detail: expect.stringContaining('larger than') as unknown });
  });

  it('times out on a server that accepts and never answers, and closes the connection', async () => {
    seen.length = 0;
    const outcome = await run({ path: '/hang', timeoutMs: 150, intervalMs: 1000 });
    expect(outcome).toEqual({ ok: false, reason: 'timeout', detail: 'no verdict within 150 ms' });
    expect(seen).toHaveLength(1);
    await expectNoOpenConnections(server);
  });

  it('connects from sourceAddress', async () => {
    seen.length = 0;
    expect(await run({ sourceAddress: '127.0.0.2' })).toEqual({ ok: true });
    expect(seen[0]?.remote).toBe('127.0.0.2');
  });

  it('fails with refused when nothing listens', async () => {
    const check = checkOf('http', 1);
    expect(await checker.check({ address: '127.0.0.1', check }, AbortSignal.timeout(1000))).toMatchObject({ ok: false, reason: 'refused' });
  });
});

const certificate = makeCertificate();
if (certificate === null) console.warn('https checker tests skipped: openssl is not installed (apt-get install openssl)');

describe.skipIf(certificate === null)('https checker', () => {
  const seen: Seen[] = [];
  const server = createTlsServer({ key: certificate?.key, cert: certificate?.cert }, respond(seen));
  const serving = serveDuringSuite(server);
  const trusting = createHttpChecker({ ca: certificate?.cert ?? '' });
  const run = (fields: Record<string, unknown>, checker = trusting) => {
    const check = checkOf('https', serving.port, fields);
    return checker.check({ address: '127.0.0.1', check }, AbortSignal.timeout(check.timeoutMs));
  };

  it('verifies the certificate against the host name and sends it as SNI', async () => {
    seen.length = 0;
    expect(await run({ host: 'health.test' })).toEqual({ ok: true });
    expect(seen[0]).toMatchObject({ host: 'health.test', servername: 'health.test' });
  });

  it('verifies against the address when no name is set, and sends no SNI', async () => {
    seen.length = 0;
    expect(await run({})).toEqual({ ok: true });
    expect(seen[0]?.servername).toBe(false);
  });

  it('sends sni when set, and fails with tls when the certificate does not cover it', async () => {
    expect(await run({ host: 'health.test', sni: 'other.test' })).toMatchObject({ ok: false, reason: 'tls' });
  });

  it('fails with tls on an untrusted certificate unless tlsVerify is off', async () => {
    const systemTrust = createHttpChecker();
    expect(await run({ host: 'health.test' }, systemTrust)).toMatchObject({ ok: false, reason: 'tls' });
    seen.length = 0;
    expect(await run({ host: 'health.test', tlsVerify: false, sni: 'anything.test' }, systemTrust)).toEqual({ ok: true });
    expect(seen[0]?.servername).toBe('anything.test');
  });

  it('checks status and body over TLS too', async () => {
    expect(await run({ path: '/error' })).toMatchObject({ ok: false, reason: 'status' });
    expect(await run({ bodyRegex: 'healthy' })).toEqual({ ok: true });
  });

  it('times out on a server that never answers, and closes the connection', async () => {
    expect(await run({ path: '/hang', timeoutMs: 300, intervalMs: 1000 })).toMatchObject({ ok: false, reason: 'timeout' });
    await expectNoOpenConnections(server);
  });

  it('connects from sourceAddress', async () => {
    seen.length = 0;
    expect(await run({ sourceAddress: '127.0.0.2' })).toEqual({ ok: true });
    expect(seen[0]?.remote).toBe('127.0.0.2');
  });
});

describe('http checker, status-only path against raw servers', () => {
  const checker = createHttpChecker();
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
  });
  /** against serves `reply` to every connection, after the request head arrives, then closes. */
  const against = async (reply: string | null, fields: Record<string, unknown> = {}) => {
    const requests: string[] = [];
    const listener = await listenTcp((socket) => {
      socket.once('data', (chunk: Buffer) => {
        requests.push(chunk.toString('latin1'));
        if (reply === null) socket.end();
        else socket.end(reply, 'latin1');
      });
    });
    cleanups.push(listener.close);
    const check = checkOf('http', listener.port, { method: 'HEAD', path: '/ping', host: 'www.example', ...fields });
    const outcome = await checker.check({ address: '127.0.0.1', check }, AbortSignal.timeout(check.timeoutMs));
    return { outcome, requests };
  };

  it('writes a minimal HTTP/1.1 request and skips interim responses to the final status', async () => {
    const { outcome, requests } = await against('HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n');
    expect(outcome).toEqual({ ok: true });
    expect(requests).toEqual(['HEAD /ping HTTP/1.1\r\nHost: www.example\r\nConnection: close\r\nUser-Agent: tandem-health-check\r\n\r\n']);
  });

  it('fails with protocol on a peer that does not speak HTTP, or closes before a status', async () => {
    expect((await against('SSH-2.0-OpenSSH_9.2\r\n')).outcome).toMatchObject({ ok: false, reason: 'protocol' });
    expect((await against(null)).outcome).toEqual({ ok: false, reason: 'protocol', detail: 'connection closed before a status line' });
  });

  it('reads a status line split over reads while other checks read in between', async () => {
    // Every status-only socket of a checker reads into one shared buffer: the split line's first
    // part must survive the other check's read landing in that buffer meanwhile.
    const slow = await listenTcp((socket) => {
      socket.once('data', () => {
        socket.write('HTTP/1.1 2', 'latin1');
        setTimeout(() => socket.end('04 No Content\r\n\r\n', 'latin1'), 100);
      });
    });
    const fast = await listenTcp((socket) => {
      socket.once('data', () => {
        setTimeout(() => socket.end('HTTP/1.1 503 Unavailable\r\n\r\n', 'latin1'), 30);
      });
    });
    cleanups.push(slow.close, fast.close);
    const [split, other] = await Promise.all(
      [slow, fast].map((listener) => {
        const check = checkOf('http', listener.port, { method: 'HEAD' });
        return checker.check({ address: '127.0.0.1', check }, AbortSignal.timeout(check.timeoutMs));
      }),
    );
    expect(split).toEqual({ ok: true });
    expect(other).toMatchObject({ ok: false, reason: 'status', detail: 'HTTP 503, expected 200-299' });
  });

  it('resets a plain socket once it has the status line, rather than closing it', async () => {
    // The server leaves the connection open: a close (FIN) would reach it as 'end' and leave
    // this side in TIME_WAIT; the reset reaches it as ECONNRESET and leaves nothing.
    const ended: string[] = [];
    const listener = await listenTcp((socket) => {
      socket.once('data', () => {
        socket.write('HTTP/1.1 204 No Content\r\n\r\n', 'latin1');
      });
      socket.once('end', () => ended.push('end'));
      socket.once('error', (error: NodeJS.ErrnoException) => ended.push(error.code ?? 'error'));
    });
    cleanups.push(listener.close);
    const check = checkOf('http', listener.port, { method: 'HEAD' });
    expect(await checker.check({ address: '127.0.0.1', check }, AbortSignal.timeout(check.timeoutMs))).toEqual({ ok: true });
    await vi.waitFor(() => {
      expect(ended).toEqual(['ECONNRESET']);
    });
  });

  it('refuses to send a path or Host that would split the request', async () => {
    const { outcome, requests } = await against('HTTP/1.1 200 OK\r\n\r\n', { path: '/a b\r\nX-Injected: 1' });
    expect(outcome).toMatchObject({ ok: false, reason: 'query' });
    expect(requests).toEqual([]);
  });
});
