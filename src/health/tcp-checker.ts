/**
 * tcp-checker: a TCP connect check. The real server is up when the three-way handshake
 * completes (RFC 9293 §3.5). The socket is then reset (SO_LINGER 0, as HAProxy's checks do)
 * rather than closed, so thousands of servers at a 2 s cadence leave no TIME_WAIT sockets behind.
 */
import { connect } from 'node:net';
import { runAttempt, timedOut } from './attempt.js';
import { PASSED } from './check-result.js';
import type { CheckOf, Checker } from './checker.js';
import { failureFromError } from './socket-failure.js';

/** tcpChecker connects to the real server's check port, from sourceAddress when one is set. */
export const tcpChecker: Checker<CheckOf<'tcp'>> = {
  check({ address, check }, signal) {
    return runAttempt(signal, () => timedOut(check.timeoutMs), (finish) => {
      const socket = connect({ host: address, port: check.port, ...(check.sourceAddress === null ? {} : { localAddress: check.sourceAddress }) });
      socket.once('connect', () => {
        finish(PASSED);
      });
      socket.once('error', (error) => {
        finish(failureFromError(error));
      });
      return () => {
        // resetAndDestroy on a socket still connecting would wait for the handshake; a
        // blackholed SYN must be dropped now, so plain destroy() there.
        if (socket.connecting || socket.destroyed) socket.destroy();
        else socket.resetAndDestroy();
      };
    });
  },
};
