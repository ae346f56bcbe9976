/**
 * checker-for: one Checker for every kind, dispatching on the check's `kind`. The scheduler
 * holds one of these; tests hand the scheduler a fake instead.
 */
import { startWithPromise, type CheckOf, type Checker, type ProbeTarget } from './checker.js';
import { dnsChecker } from './dns-checker.js';
import { execChecker } from './exec-checker.js';
import { createHttpChecker, type HttpCheckerOptions } from './http-checker.js';
import { tcpChecker } from './tcp-checker.js';
import { createUdpChecker } from './udp-checker.js';

/**
 * isTcp narrows a target by its check's kind without copying it: the scheduler's start() runs for
 * every check, and a `{ address, check }` rebuilt to narrow would be one more object per run.
 */
function isTcp(target: ProbeTarget): target is ProbeTarget<CheckOf<'tcp'>> {
  return target.check.kind === 'tcp';
}

/** checkerFor returns a checker that runs any kind of check. */
export function checkerFor(options: HttpCheckerOptions = {}): Checker {
  const http = createHttpChecker(options);
  const udp = createUdpChecker();
  const checker: Checker = {
    // Only the tcp checker has a promise-free path so far; every other kind settles through its promise.
    start(target, signal, sink) {
      if (isTcp(target)) tcpChecker.start(target, signal, sink);
      else startWithPromise(checker, target, signal, sink);
    },
    check({ address, check }, signal) {
      switch (check.kind) {
        case 'tcp':
          return tcpChecker.check({ address, check }, signal);
        case 'http':
        case 'https':
          return http.check({ address, check }, signal);
        case 'udp':
          return udp.check({ address, check }, signal);
        case 'dns':
          return dnsChecker.check({ address, check }, signal);
        case 'exec':
          return execChecker.check({ address, check }, signal);
      }
    },
  };
  return checker;
}
