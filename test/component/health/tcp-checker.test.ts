/** The tcp checker against loopback listeners: connect, refused, unanswered SYN, source address. */
import { afterEach, describe, expect, it } from 'vitest';
import { tcpChecker } from '../../../src/health/tcp-checker.js';
import { checkOf } from '../../unit/health/check-fixtures.js';
import { closedPort, eventually, expectNoLeak, listenTcp, openHandles, unansweredTcpPort } from './loopback.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

describe('tcpChecker', () => {
  it('passes when the handshake completes, and leaves no socket open on either side', async () => {
    const listener = await listenTcp();
    cleanups.push(listener.close);
    const baseline = openHandles();
    const check = checkOf('tcp', listener.port);
    expect(await tcpChecker.check({ address: '127.0.0.1', check }, AbortSignal.timeout(check.timeoutMs))).toEqual({ ok: true });
    expect(listener.remotes).toEqual(['127.0.0.1']);
    await expectNoLeak(baseline);
  });

  it('fails with refused on a closed port', async () => {
    const check = checkOf('tcp', await closedPort());
    const outcome = await tcpChecker.check({ address: '127.0.0.1', check }, AbortSignal.timeout(check.timeoutMs));
    expect(outcome).toMatchObject({ ok: false, reason: 'refused' });
  });

  it('times out when the SYN goes unanswered, and drops the half-open socket', async () => {
    const blackhole = await unansweredTcpPort();
    cleanups.push(blackhole.release);
    const baseline = openHandles();
    const check = checkOf('tcp', blackhole.port, { timeoutMs: 200, intervalMs: 1000 });
    const startedAt = Date.now();
    const outcome = await tcpChecker.check({ address: '127.0.0.1', check }, AbortSignal.timeout(check.timeoutMs));
    expect(outcome).toEqual({ ok: false, reason: 'timeout', detail: 'no verdict within 200 ms' });
    expect(Date.now() - startedAt).toBeLessThan(1500);
    await expectNoLeak(baseline);
  });

  it('connects from sourceAddress when one is set', async () => {
    const listener = await listenTcp();
    cleanups.push(listener.close);
    const check = checkOf('tcp', listener.port, { sourceAddress: '127.0.0.2' });
    expect((await tcpChecker.check({ address: '127.0.0.1', check }, AbortSignal.timeout(check.timeoutMs))).ok).toBe(true);
    await eventually(() => {
      expect(listener.remotes).toEqual(['127.0.0.2']);
    });
  });

  it('fails with local when sourceAddress is not on this host', async () => {
    const listener = await listenTcp();
    cleanups.push(listener.close);
    const check = checkOf('tcp', listener.port, { sourceAddress: '192.0.2.77' });
    expect(await tcpChecker.check({ address: '127.0.0.1', check }, AbortSignal.timeout(check.timeoutMs))).toMatchObject({ ok: false, reason: 'local' });
  });

  it('returns at once for an attempt whose signal already aborted', async () => {
    const check = checkOf('tcp', 1);
    expect(await tcpChecker.check({ address: '127.0.0.1', check }, AbortSignal.abort())).toMatchObject({ ok: false, reason: 'timeout' });
  });
});
