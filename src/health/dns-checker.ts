/**
 * dns-checker: one query to the real server, over UDP, and over TCP when the UDP answer comes
 * back truncated (RFC 1035 §4.2.1, RFC 7766 §5). The verdict is dns-verdict's.
 */
import { randomInt } from 'node:crypto';
import { connect } from 'node:net';
import { runAttempt, timedOut, type Finish, type Release } from './attempt.js';
import { failed } from './check-result.js';
import type { Checker } from './checker.js';
import { DnsEncodeError, DnsParseError } from './dns-parse-error.js';
import { decodeDnsMessage, encodeDnsQuery, type DnsMessage } from './dns-message.js';
import { DNS_TYPES } from './dns-rdata.js';
import { answersQuery, dnsVerdict, type DnsCheck } from './dns-verdict.js';
import { failureFromError } from './socket-failure.js';
import { sendDatagram } from './udp-exchange.js';

/** decodeOrNull parses a datagram, or returns null for bytes that are not a DNS message. */
function decodeOrNull(bytes: Uint8Array): DnsMessage | null {
  try {
    return decodeDnsMessage(bytes);
  } catch (error) {
    if (error instanceof DnsParseError) return null;
    throw error;
  }
}

/**
 * queryOverTcp sends the query with its 2-byte length prefix (RFC 1035 §4.2.2) and judges the
 * first framed response. It returns the socket's release.
 */
function queryOverTcp(address: string, check: DnsCheck, query: Uint8Array, id: number, finish: Finish): Release {
  const socket = connect({ host: address, port: check.port, ...(check.sourceAddress === null ? {} : { localAddress: check.sourceAddress }) });
  let received = Buffer.alloc(0);
  socket.once('connect', () => {
    const length = Buffer.alloc(2);
    length.writeUInt16BE(query.length);
    socket.end(Buffer.concat([length, query]));
  });
  socket.on('data', (chunk: Buffer) => {
    received = Buffer.concat([received, chunk]);
    if (received.length < 2 || received.length < 2 + received.readUInt16BE(0)) return;
    const response = decodeOrNull(received.subarray(2, 2 + received.readUInt16BE(0)));
    if (response === null || !answersQuery(response, id, check)) finish(failed('protocol', 'TCP response is not a DNS answer to our query'));
    else finish(dnsVerdict(response, check));
  });
  socket.once('end', () => {
    finish(failed('protocol', 'TCP connection closed before a whole DNS response'));
  });
  socket.once('error', (error) => {
    finish(failureFromError(error));
  });
  return () => {
    socket.destroy();
  };
}

/** dnsChecker asks queryName/queryType of the real server, recursion desired (a resolver needs it; an authoritative server ignores it). */
export const dnsChecker: Checker<DnsCheck> = {
  check({ address, check }, signal) {
    const id = randomInt(0x10000);
    let query: Uint8Array;
    try {
      query = encodeDnsQuery({ id, name: check.queryName, type: DNS_TYPES[check.queryType], recursionDesired: true });
    } catch (error) {
      if (error instanceof DnsEncodeError) return Promise.resolve(failed('query', error.message));
      throw error;
    }
    return runAttempt(signal, () => timedOut(check.timeoutMs), (finish) => {
      let releaseTcp: Release | undefined;
      const releaseUdp = sendDatagram(
        {
          address,
          port: check.port,
          sourceAddress: check.sourceAddress,
          payload: query,
          onReply: (datagram) => {
            const response = decodeOrNull(datagram);
            if (response === null || !answersQuery(response, id, check) || releaseTcp !== undefined) return;
            if (response.truncated) releaseTcp = queryOverTcp(address, check, query, id, finish);
            else finish(dnsVerdict(response, check));
          },
        },
        finish,
      );
      return () => {
        releaseUdp();
        releaseTcp?.();
      };
    });
  },
};
