/**
 * http-checker: the http and https checks. One fresh connection per attempt (Connection: close,
 * no agent), like keepalived's HTTP_GET: a pooled keep-alive connection would keep answering
 * from a worker that new clients can no longer reach. A status-only check reads just the status
 * line; a body check goes through Node's HTTP parser.
 */
import { createHash } from 'node:crypto';
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, TLSSocket } from 'node:tls';
import { runAttempt, timedOut, type Finish, type Release } from './attempt.js';
import { PASSED, failed, type CheckOutcome } from './check-result.js';
import type { Checker } from './checker.js';
import { BODY_LIMIT_BYTES, describeStatuses, hostHeader, readsBody, serverName, statusExpected, type HttpCheck } from './http-expectations.js';
import { readStatusLine } from './http-status-line.js';
import { createPatternCache } from './pattern-cache.js';
import { failureFromError } from './socket-failure.js';

/** USER_AGENT names the prober in the real server's access log. */
const USER_AGENT = 'tandem-health-check';

/** HttpCheckerOptions tune the https trust store; the default is Node's bundled CA list. */
export interface HttpCheckerOptions {
  /** ca replaces the trusted CAs (PEM), e.g. an internal CA; NODE_EXTRA_CA_CERTS adds to the default instead. */
  readonly ca?: string;
}

/** bodyVerdict judges a whole (or capped) body against the digest and the regex. */
function bodyVerdict(check: HttpCheck, digestHex: string | null, text: string | null, regex: RegExp | null): CheckOutcome {
  if (check.bodySha256 !== null && digestHex !== check.bodySha256.toLowerCase()) {
    return failed('digest', `body SHA-256 is ${digestHex ?? 'unknown'}, expected ${check.bodySha256.toLowerCase()}`);
  }
  if (regex !== null && text !== null && !regex.test(text)) return failed('body', `body does not match /${regex.source}/`);
  return PASSED;
}

/**
 * readBody streams the body into a SHA-256 and, for a regex, a buffer, up to BODY_LIMIT_BYTES.
 * A digest needs the whole body, so a larger one fails; a regex is tried on the first
 * BODY_LIMIT_BYTES, which is where a status page says what it has to say.
 */
function readBody(response: IncomingMessage, check: HttpCheck, regex: RegExp | null, finish: Finish): void {
  const hash = check.bodySha256 === null ? null : createHash('sha256');
  const chunks: Buffer[] = [];
  let bytes = 0;
  let concluded = false;
  const conclude = (): void => {
    // Once at the limit and again at 'end' would finalise the hash twice.
    if (concluded) return;
    concluded = true;
    const text = regex === null ? null : Buffer.concat(chunks).toString('utf8');
    finish(bodyVerdict(check, hash === null ? null : hash.digest('hex'), text, regex));
  };
  response.on('data', (chunk: Buffer) => {
    const room = BODY_LIMIT_BYTES - bytes;
    bytes += chunk.length;
    if (bytes > BODY_LIMIT_BYTES && hash !== null) {
      finish(failed('digest', `body is larger than ${BODY_LIMIT_BYTES} bytes, the most a digest check reads`));
      return;
    }
    hash?.update(chunk);
    if (regex !== null) chunks.push(bytes > BODY_LIMIT_BYTES ? chunk.subarray(0, room) : chunk);
    if (bytes >= BODY_LIMIT_BYTES) conclude();
  });
  response.once('end', conclude);
  response.once('error', (error) => {
    finish(failureFromError(error));
  });
}

/** statusVerdict judges a final status against expectStatus (RFC 9110 §15). */
function statusVerdict(status: number, check: HttpCheck): CheckOutcome {
  return statusExpected(status, check.expectStatus) ? PASSED : failed('status', `HTTP ${status}, expected ${describeStatuses(check.expectStatus)}`);
}

/** UNSAFE_IN_REQUEST finds bytes that would let a path or Host split the request (RFC 9112 §3.2, §5). */
const UNSAFE_IN_REQUEST = /[^\x21-\x7e]/;

/**
 * READ_BUFFER_BYTES is the size of the one buffer every status-only socket of a checker reads
 * into (net.Socket `onread`): a read is parsed before the callback returns, so no socket needs
 * its own, and the bytes skip the Readable stream's per-chunk Buffer, push and 'data' emit.
 */
const READ_BUFFER_BYTES = 16 * 1024;

/**
 * release ends a status-only socket. A plain one that connected is reset (SO_LINGER 0, as the
 * tcp check does, and HAProxy's checks): the verdict is in, and a FIN exchange would cost two
 * more packets and leave a TIME_WAIT socket behind whenever we close before the server does.
 * A TLS socket (its handle cannot reset) and one still connecting (a reset would wait for the
 * connect) are destroyed.
 */
function release(socket: Socket): void {
  if (socket.destroyed) return;
  if (socket instanceof TLSSocket || socket.connecting) socket.destroy();
  else socket.resetAndDestroy();
}

/**
 * statusOnly is the path for checks without a body expectation: the request written by hand on
 * a plain or TLS socket, and the verdict taken from the status line, then the socket reset.
 * Reads land in the checker's shared `readBuffer`; only a status line split over reads is copied.
 */
function statusOnly(address: string, check: HttpCheck, ca: string | undefined, readBuffer: Buffer, finish: Finish): Release {
  const host = hostHeader(check, address);
  if (UNSAFE_IN_REQUEST.test(check.path) || UNSAFE_IN_REQUEST.test(host)) {
    finish(failed('query', `path ${JSON.stringify(check.path)} or Host ${JSON.stringify(host)} has spaces or control characters`));
    return () => undefined;
  }
  const head = `${check.method} ${check.path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\nUser-Agent: ${USER_AGENT}\r\n\r\n`;
  let received: Buffer | null = null;
  const onread = {
    buffer: readBuffer,
    callback: (bytes: number, buffer: Uint8Array): boolean => {
      const chunk = Buffer.from(buffer.buffer, buffer.byteOffset, bytes);
      const sofar = received === null ? chunk : Buffer.concat([received, chunk]);
      const result = readStatusLine(sofar);
      if (result.kind === 'more') {
        // The shared buffer is overwritten by the next read, of any socket: keep a copy.
        received = received === null ? Buffer.from(sofar) : sofar;
        return true;
      }
      finish(result.kind === 'status' ? statusVerdict(result.status, check) : failed('protocol', result.detail));
      return false;
    },
  };
  const options = { host: address, port: check.port, onread, ...(check.sourceAddress === null ? {} : { localAddress: check.sourceAddress }) };
  const socket: Socket =
    check.kind === 'https'
      ? tlsConnect({ ...options, servername: serverName(check), rejectUnauthorized: check.tlsVerify, ...(ca === undefined ? {} : { ca }) })
      : netConnect(options);
  socket.once(check.kind === 'https' ? 'secureConnect' : 'connect', () => {
    socket.write(head, 'latin1');
  });
  socket.once('end', () => {
    finish(failed('protocol', 'connection closed before a status line'));
  });
  socket.once('error', (error) => {
    finish(failureFromError(error));
  });
  return () => {
    release(socket);
  };
}

/** withBody is the path for a body regex or digest: Node's HTTP parser, which handles every body framing. */
function withBody(address: string, check: HttpCheck, ca: string | undefined, regex: RegExp | null, finish: Finish): Release {
  const request: RequestOptions = {
    host: address,
    port: check.port,
    method: check.method,
    path: check.path,
    agent: false,
    headers: { Host: hostHeader(check, address), Connection: 'close', 'User-Agent': USER_AGENT },
    ...(check.sourceAddress === null ? {} : { localAddress: check.sourceAddress }),
  };
  const req =
    check.kind === 'https'
      ? httpsRequest({ ...request, servername: serverName(check), rejectUnauthorized: check.tlsVerify, ...(ca === undefined ? {} : { ca }) })
      : httpRequest(request);
  req.once('response', (response) => {
    const verdict = statusVerdict(response.statusCode ?? 0, check);
    if (verdict.ok) readBody(response, check, regex, finish);
    else finish(verdict);
  });
  req.once('error', (error) => {
    finish(failureFromError(error));
  });
  req.end();
  return () => {
    req.destroy();
  };
}

/** createHttpChecker returns the checker for both http and https checks. */
export function createHttpChecker(options: HttpCheckerOptions = {}): Checker<HttpCheck> {
  const patternFor = createPatternCache();
  const readBuffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
  return {
    check({ address, check }, signal) {
      return runAttempt(
        signal,
        () => timedOut(check.timeoutMs),
        readsBody(check)
          ? (finish) => withBody(address, check, options.ca, check.bodyRegex === null ? null : patternFor(check.bodyRegex), finish)
          : (finish) => statusOnly(address, check, options.ca, readBuffer, finish),
      );
    },
  };
}
