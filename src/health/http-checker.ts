/**
 * http-checker: the http and https checks. One fresh connection per attempt (agent: false,
 * Connection: close), like keepalived's HTTP_GET: a pooled keep-alive connection would keep
 * answering from a worker that new clients can no longer reach.
 */
import { createHash } from 'node:crypto';
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { runAttempt, timedOut, type Finish } from './attempt.js';
import { PASSED, failed, type CheckOutcome } from './check-result.js';
import type { Checker } from './checker.js';
import { BODY_LIMIT_BYTES, describeStatuses, hostHeader, readsBody, serverName, statusExpected, type HttpCheck } from './http-expectations.js';
import { createPatternCache } from './pattern-cache.js';
import { failureFromError } from './socket-failure.js';

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

/** createHttpChecker returns the checker for both http and https checks. */
export function createHttpChecker(options: HttpCheckerOptions = {}): Checker<HttpCheck> {
  const patternFor = createPatternCache();

  return {
    check({ address, check }, signal) {
      return runAttempt(signal, () => timedOut(check.timeoutMs), (finish) => {
        const request: RequestOptions = {
          host: address,
          port: check.port,
          method: check.method,
          path: check.path,
          agent: false,
          headers: { Host: hostHeader(check, address), Connection: 'close', 'User-Agent': 'tandem-health-check' },
          ...(check.sourceAddress === null ? {} : { localAddress: check.sourceAddress }),
        };
        const req =
          check.kind === 'https'
            ? httpsRequest({ ...request, servername: serverName(check), rejectUnauthorized: check.tlsVerify, ...(options.ca === undefined ? {} : { ca: options.ca }) })
            : httpRequest(request);
        req.once('response', (response) => {
          const status = response.statusCode ?? 0;
          if (!statusExpected(status, check.expectStatus)) finish(failed('status', `HTTP ${status}, expected ${describeStatuses(check.expectStatus)}`));
          else if (readsBody(check)) readBody(response, check, check.bodyRegex === null ? null : patternFor(check.bodyRegex), finish);
          else finish(PASSED);
        });
        req.once('error', (error) => {
          finish(failureFromError(error));
        });
        req.end();
        return () => {
          req.destroy();
        };
      });
    },
  };
}
