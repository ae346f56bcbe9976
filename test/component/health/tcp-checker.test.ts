/** The tcp checker against loopback listeners: connect, refused, unanswered SYN, source address, IPv6, no leaked fds. */
import { once } from 'node:events';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createTcpChecker, tcpChecker, type TcpChecker } from '../../../src/health/tcp-checker.js';
import { TcpProber } from '../../../src/kernel/tcp-prober.js';
import { checkOf } from '../../unit/health/check-fixtures.js';
import { closedPort, eventually, listenTcp, portOf, unansweredTcpPort } from './loopback.js';
import { openFds, tcpSocketsOnPort, type TcpSocketRow } from './socket-table.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** openChecker makes a checker of its own, closed after the test, and the fd count from before it. */
function openChecker(): { checker: TcpChecker; baselineFds: number } {
  const baselineFds = openFds();
  const checker = createTcpChecker();
  cleanups.push(() => {
    checker.close();
  });
  return { checker, baselineFds };
}

/** expectFdsBack closes the checker (its epoll fd) and waits until the process holds `baseline` fds again. */
async function expectFdsBack(checker: TcpChecker, baseline: number): Promise<void> {
  checker.close();
  await eventually(() => {
    expect(openFds()).toBe(baseline);
  });
}

/** synSent lists the connects in flight to `port`: the blackhole's own fillers, and ours. */
function synSent(port: number): TcpSocketRow[] {
  return tcpSocketsOnPort(port).filter((row) => row.state === 'SYN_SENT');
}

describe('tcpChecker', () => {
  it('passes when the handshake completes, resets the connection (no TIME_WAIT) and leaks no fd', async () => {
    const listener = await listenTcp();
    cleanups.push(listener.close);
    const { checker, baselineFds } = openChecker();
    const check = checkOf('tcp', listener.port);
    expect(await checker.check({ address: '127.0.0.1', check }, AbortSignal.timeout(check.timeoutMs))).toEqual({ ok: true });
    await eventually(() => {
      expect(listener.remotes).toHaveLength(1);
      // Only the listener is left: a FIN close would leave our end in TIME_WAIT for 60 s.
      expect(tcpSocketsOnPort(listener.port).map((row) => row.state)).toEqual(['LISTEN']);
    });
    await expectFdsBack(checker, baselineFds);
  });

  it('fails with refused on a closed port, naming the errno and the target', async () => {
    const check = checkOf('tcp', await closedPort());
    const outcome = await tcpChecker.check({ address: '127.0.0.1', check }, AbortSignal.timeout(check.timeoutMs));
    expect(outcome).toEqual({ ok: false, reason: 'refused', detail: `connect ECONNREFUSED 127.0.0.1:${check.port}` });
  });

  it('times out when the SYN goes unanswered, and drops the half-open socket', async () => {
    const blackhole = await unansweredTcpPort();
    cleanups.push(blackhole.release);
    const halfOpenBefore = synSent(blackhole.port);
    const { checker, baselineFds } = openChecker();
    const check = checkOf('tcp', blackhole.port, { timeoutMs: 200, intervalMs: 1000 });
    const startedAt = Date.now();
    const outcome = await checker.check({ address: '127.0.0.1', check }, AbortSignal.timeout(check.timeoutMs));
    expect(outcome).toEqual({ ok: false, reason: 'timeout', detail: 'no verdict within 200 ms' });
    expect(Date.now() - startedAt).toBeLessThan(1500);
    expect(synSent(blackhole.port)).toEqual(halfOpenBefore);
    await expectFdsBack(checker, baselineFds);
  });

  it('connects from sourceAddress when one is set', async () => {
    // An unanswered SYN holds the socket in SYN_SENT long enough to read its local address.
    const blackhole = await unansweredTcpPort();
    cleanups.push(blackhole.release);
    const halfOpenBefore = synSent(blackhole.port);
    const check = checkOf('tcp', blackhole.port, { sourceAddress: '127.0.0.2', timeoutMs: 1000 });
    const attempt = new AbortController();
    const outcome = tcpChecker.check({ address: '127.0.0.1', check }, attempt.signal);
    await eventually(() => {
      const connecting = synSent(blackhole.port).filter((row) => !halfOpenBefore.some((before) => before.localPort === row.localPort));
      expect(connecting.map((row) => row.localAddress)).toEqual(['127.0.0.2']);
      expect(connecting[0]?.localPort).toBeGreaterThan(0);
    });
    attempt.abort();
    expect(await outcome).toMatchObject({ ok: false, reason: 'timeout' });
  });

  it('passes from sourceAddress against a listening server', async () => {
    const listener = await listenTcp();
    cleanups.push(listener.close);
    const check = checkOf('tcp', listener.port, { sourceAddress: '127.0.0.2' });
    expect(await tcpChecker.check({ address: '127.0.0.1', check }, AbortSignal.timeout(check.timeoutMs))).toEqual({ ok: true });
  });

  it('fails with local when sourceAddress is not on this host', async () => {
    const listener = await listenTcp();
    cleanups.push(listener.close);
    const { checker, baselineFds } = openChecker();
    const check = checkOf('tcp', listener.port, { sourceAddress: '192.0.2.77' });
    expect(await checker.check({ address: '127.0.0.1', check }, AbortSignal.timeout(check.timeoutMs))).toMatchObject({
      ok: false,
      reason: 'local',
      detail: expect.stringContaining('EADDRNOTAVAIL') as unknown,
    });
    await expectFdsBack(checker, baselineFds);
  });

  it('checks IPv6 real servers', async () => {
    const server = createServer((socket) => socket.on('error', () => undefined)).listen(0, '::1');
    await once(server, 'listening');
    cleanups.push(async () => {
      server.close();
      await once(server, 'close');
    });
    const check = checkOf('tcp', portOf(server));
    expect(await tcpChecker.check({ address: '::1', check }, AbortSignal.timeout(check.timeoutMs))).toEqual({ ok: true });
    const closed = checkOf('tcp', await closedPort());
    expect(await tcpChecker.check({ address: '::1', check: closed }, AbortSignal.timeout(check.timeoutMs))).toMatchObject({ ok: false, reason: 'refused' });
  });

  it('settles hundreds of concurrent checks, passed and refused, and leaks no fd', async () => {
    const listener = await listenTcp();
    cleanups.push(listener.close);
    const refusedPort = await closedPort();
    const { checker, baselineFds } = openChecker();
    const outcomes = await Promise.all(
      Array.from({ length: 400 }, (_, index) => {
        const check = checkOf('tcp', index % 2 === 0 ? listener.port : refusedPort);
        return checker.check({ address: '127.0.0.1', check }, AbortSignal.timeout(check.timeoutMs));
      }),
    );
    expect(outcomes.filter((outcome) => outcome.ok)).toHaveLength(200);
    expect(outcomes.filter((outcome) => !outcome.ok && outcome.reason === 'refused')).toHaveLength(200);
    await eventually(() => {
      expect(listener.remotes).toHaveLength(200);
    });
    await expectFdsBack(checker, baselineFds);
  });

  it('reuses its sockets: alternating passed and refused checks keep exact outcomes and hold at most one idle socket', async () => {
    const listener = await listenTcp();
    cleanups.push(listener.close);
    const refusedPort = await closedPort();
    const { checker, baselineFds } = openChecker();
    const outcomes: boolean[] = [];
    for (let index = 0; index < 100; index++) {
      const check = checkOf('tcp', index % 2 === 0 ? listener.port : refusedPort);
      outcomes.push((await checker.check({ address: '127.0.0.1', check }, AbortSignal.timeout(check.timeoutMs))).ok);
      // The epoll fd and one idle socket, however many checks ran one after another (the
      // listener's accepted sockets close as the RSTs reach them).
      await eventually(() => {
        expect(openFds()).toBeLessThanOrEqual(baselineFds + 2);
      });
    }
    expect(outcomes).toEqual(Array.from({ length: 100 }, (_, index) => index % 2 === 0));
    await eventually(() => {
      expect(tcpSocketsOnPort(listener.port).map((row) => row.state)).toEqual(['LISTEN']);
    });
    await expectFdsBack(checker, baselineFds);
  });

  it('ends a check still in flight with timeout when its signal aborts after close()', async () => {
    const blackhole = await unansweredTcpPort();
    cleanups.push(blackhole.release);
    const { checker, baselineFds } = openChecker();
    const check = checkOf('tcp', blackhole.port, { timeoutMs: 200, intervalMs: 1000 });
    const outcome = checker.check({ address: '127.0.0.1', check }, AbortSignal.timeout(check.timeoutMs));
    await expectFdsBack(checker, baselineFds);
    expect(await outcome).toEqual({ ok: false, reason: 'timeout', detail: 'no verdict within 200 ms' });
  });

  it('fails with local, saying why, while its prober cannot open (the addon not built), and retries only after 5 s', async () => {
    const listener = await listenTcp();
    cleanups.push(listener.close);
    let opens = 0;
    let nowMs = 1_000;
    const checker = createTcpChecker(
      () => {
        opens += 1;
        if (opens === 1) throw new Error("tandem's native addon is not built");
        return new TcpProber();
      },
      () => nowMs,
    );
    cleanups.push(() => {
      checker.close();
    });
    const check = checkOf('tcp', listener.port);
    const notBuilt = { ok: false, reason: 'local', detail: "tandem's native addon is not built" };
    expect(await checker.check({ address: '127.0.0.1', check }, AbortSignal.timeout(check.timeoutMs))).toEqual(notBuilt);
    // Within the retry interval the failure is remembered: no check loads the addon again.
    nowMs += 4_999;
    expect(await checker.check({ address: '127.0.0.1', check }, AbortSignal.timeout(check.timeoutMs))).toEqual(notBuilt);
    expect(opens).toBe(1);
    nowMs += 1;
    expect(await checker.check({ address: '127.0.0.1', check }, AbortSignal.timeout(check.timeoutMs))).toEqual({ ok: true });
    expect(opens).toBe(2);
  });

  it('fails with local for an address that is not numeric', async () => {
    const check = checkOf('tcp', 80);
    expect(await tcpChecker.check({ address: 'localhost', check }, AbortSignal.timeout(check.timeoutMs))).toMatchObject({ ok: false, reason: 'local' });
  });

  it('start settles its sink exactly once and never before start returned, for every way a check ends', async () => {
    const listener = await listenTcp();
    cleanups.push(listener.close);
    const blackhole = await unansweredTcpPort();
    cleanups.push(blackhole.release);
    const { checker, baselineFds } = openChecker();
    const cases: [string, string, number, AbortSignal][] = [
      ['passed', '127.0.0.1', listener.port, AbortSignal.timeout(1000)],
      ['refused', '127.0.0.1', await closedPort(), AbortSignal.timeout(1000)],
      ['aborted before start', '127.0.0.1', listener.port, AbortSignal.abort()],
      ['not numeric', 'localhost', listener.port, AbortSignal.timeout(1000)],
      ['timed out', '127.0.0.1', blackhole.port, AbortSignal.timeout(100)],
    ];
    const settled = await Promise.all(
      cases.map(
        ([name, address, port, signal]) =>
          new Promise<[string, string, number]>((resolve) => {
            const outcomes: string[] = [];
            let returned = false;
            checker.start({ address, check: checkOf('tcp', port, { timeoutMs: 100, intervalMs: 1000 }) }, signal, {
              settled: (outcome) => {
                outcomes.push(`${returned ? '' : 'before return: '}${outcome.ok ? 'ok' : outcome.reason}`);
                // A second call would land within this wait and be counted.
                setTimeout(() => {
                  resolve([name, outcomes.join(', '), outcomes.length]);
                }, 50);
              },
            });
            returned = true;
          }),
      ),
    );
    expect(settled).toEqual([
      ['passed', 'ok', 1],
      ['refused', 'refused', 1],
      ['aborted before start', 'timeout', 1],
      ['not numeric', 'local', 1],
      ['timed out', 'timeout', 1],
    ]);
    await expectFdsBack(checker, baselineFds);
  });

  it('settles once a check aborted from a sink of its own completion batch (its connect already reaped, so cancel finds nothing)', async () => {
    const listener = await listenTcp();
    cleanups.push(listener.close);
    const { checker, baselineFds } = openChecker();
    const check = checkOf('tcp', listener.port, { timeoutMs: 1000, intervalMs: 2000 });
    const controllers = Array.from({ length: 32 }, () => new AbortController());
    const settles = controllers.map(() => 0);
    let first = true;
    for (const [i, controller] of controllers.entries()) {
      checker.start({ address: '127.0.0.1', check }, controller.signal, {
        settled: () => {
          settles[i] = (settles[i] ?? 0) + 1;
          if (!first) return;
          // The first to settle aborts every other check, as a listener that stops the scheduler does.
          first = false;
          for (const other of controllers) other.abort();
        },
      });
    }
    await eventually(() => {
      expect(settles.every((count) => count >= 1)).toBe(true);
    });
    await new Promise((resolve) => setTimeout(resolve, 50)); // a second settle would land within this wait
    expect(settles).toEqual(controllers.map(() => 1));
    await expectFdsBack(checker, baselineFds);
  });

  it('returns at once for an attempt whose signal already aborted', async () => {
    const check = checkOf('tcp', 1);
    expect(await tcpChecker.check({ address: '127.0.0.1', check }, AbortSignal.abort())).toMatchObject({ ok: false, reason: 'timeout' });
  });
});
