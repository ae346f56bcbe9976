/**
 * udp-checker: send a payload, expect a reply. Without `expect`, an ICMP port unreachable
 * (ECONNREFUSED, see udp-exchange) is the only way to fail, and silence until the timeout
 * passes, as keepalived's UDP_CHECK does.
 */
import { runAttempt, timedOut } from './attempt.js';
import { PASSED, failed } from './check-result.js';
import type { CheckOf, Checker } from './checker.js';
import { createPatternCache } from './pattern-cache.js';
import { sendDatagram } from './udp-exchange.js';

/** payloadBytes decodes a udp payload: `hex:0a0b…` is bytes, anything else is UTF-8 text. */
export function payloadBytes(payload: string): Buffer {
  return payload.startsWith('hex:') ? Buffer.from(payload.slice(4), 'hex') : Buffer.from(payload, 'utf8');
}

/** createUdpChecker returns the udp checker; patterns are compiled once each. */
export function createUdpChecker(): Checker<CheckOf<'udp'>> {
  const patternFor = createPatternCache();
  return {
    check({ address, check }, signal) {
      const expect = check.expect === null ? null : patternFor(check.expect);
      return runAttempt(signal, () => (expect === null ? PASSED : timedOut(check.timeoutMs)), (finish) =>
        sendDatagram(
          {
            address,
            port: check.port,
            sourceAddress: check.sourceAddress,
            payload: payloadBytes(check.payload),
            onReply: (reply) => {
              // latin1 maps each byte to one code point, so a pattern can match binary replies too.
              if (expect === null || expect.test(reply.toString('latin1'))) finish(PASSED);
              else finish(failed('reply', `reply of ${reply.length} bytes does not match /${expect.source}/`));
            },
          },
          finish,
        ),
      );
    },
  };
}
