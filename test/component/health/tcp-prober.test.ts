/** The addon's TcpProber through its typed wrapper, against loopback listeners: ids, errnos, cancel, close. */
import { once } from 'node:events';
import { createServer } from 'node:net';
import { constants } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { isErrnoException } from '../../../src/kernel/native.js';
import { TcpProber, type ConnectWaiter } from '../../../src/kernel/tcp-prober.js';
import { closedPort, eventually, listenTcp, portOf, unansweredTcpPort } from './loopback.js';
import { openFds, tcpSocketsOnPort } from './socket-table.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Recorder is a waiter that keeps every errno it is told. */
class Recorder implements ConnectWaiter {
  readonly errnos: number[] = [];
  connectSettled(errno: number): void {
    this.errnos.push(errno);
  }
}

function openProber(): TcpProber {
  const prober = new TcpProber();
  cleanups.push(() => {
    prober.close();
  });
  return prober;
}

describe('TcpProber', () => {
  it('reports a completed handshake as errno 0 and a refused one as ECONNREFUSED, once each', async () => {
    const listener = await listenTcp();
    cleanups.push(listener.close);
    const prober = openProber();
    const passed = new Recorder();
    const refused = new Recorder();
    const passedId = prober.connect('127.0.0.1', listener.port, null, passed);
    const refusedId = prober.connect('127.0.0.1', await closedPort(), null, refused);
    expect(passedId).toBeGreaterThan(0);
    expect(refusedId).toBeGreaterThan(0);
    expect(refusedId).not.toBe(passedId);
    await eventually(() => {
      expect(passed.errnos).toEqual([0]);
      expect(refused.errnos).toEqual([constants.errno.ECONNREFUSED]);
    });
    // Nothing more arrives later for either.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect([...passed.errnos, ...refused.errnos]).toEqual([0, constants.errno.ECONNREFUSED]);
  });

  it('tells each waiter once even when waiters start the next connects from their callback', async () => {
    const listener = await listenTcp();
    cleanups.push(listener.close);
    const prober = openProber();
    const total = 200;
    let started = 0;
    const waiters: Recorder[] = [];
    // Each report starts another connect at once, inside the batch that carried it.
    const start = (): void => {
      if (started === total) return;
      started += 1;
      const waiter = new Recorder();
      waiter.connectSettled = (errno) => {
        waiter.errnos.push(errno);
        start();
      };
      waiters.push(waiter);
      prober.connect('127.0.0.1', listener.port, null, waiter);
    };
    for (let index = 0; index < 20; index++) start();
    await eventually(() => {
      expect(waiters.map((waiter) => waiter.errnos.length)).toEqual(Array.from({ length: total }, () => 1));
    });
    expect(waiters.flatMap((waiter) => waiter.errnos)).toEqual(Array.from({ length: total }, () => 0));
  });

  it('connects over IPv6, from a source address', async () => {
    const server = createServer((socket) => socket.on('error', () => undefined)).listen(0, '::1');
    await once(server, 'listening');
    cleanups.push(async () => {
      server.close();
      await once(server, 'close');
    });
    const prober = openProber();
    const waiter = new Recorder();
    expect(prober.connect('::1', portOf(server), '::1', waiter)).toBeGreaterThan(0);
    await eventually(() => {
      expect(waiter.errnos).toEqual([0]);
    });
  });

  it('throws Node-style errno errors for sockets it cannot set up', () => {
    const prober = openProber();
    const waiter = new Recorder();
    const thrown = (connect: () => number): unknown => {
      try {
        connect();
      } catch (error) {
        return error;
      }
      return undefined;
    };
    const unbindable = thrown(() => prober.connect('127.0.0.1', 80, '192.0.2.77', waiter));
    expect(isErrnoException(unbindable) && [unbindable.code, unbindable.syscall]).toEqual(['EADDRNOTAVAIL', 'bind']);
    const mixed = thrown(() => prober.connect('::1', 80, '127.0.0.1', waiter));
    expect(isErrnoException(mixed) && mixed.code).toBe('EAFNOSUPPORT');
    const named = thrown(() => prober.connect('localhost', 80, null, waiter));
    expect(isErrnoException(named) && [named.code, named.syscall]).toEqual(['EINVAL', 'inet_pton']);
    expect(waiter.errnos).toEqual([]);
  });

  it('cancel drops a connect in flight without a report, and only once', async () => {
    const blackhole = await unansweredTcpPort();
    cleanups.push(blackhole.release);
    const prober = openProber();
    const waiter = new Recorder();
    const halfOpenBefore = tcpSocketsOnPort(blackhole.port).filter((row) => row.state === 'SYN_SENT').length;
    const id = prober.connect('127.0.0.1', blackhole.port, null, waiter);
    expect(tcpSocketsOnPort(blackhole.port).filter((row) => row.state === 'SYN_SENT')).toHaveLength(halfOpenBefore + 1);
    prober.cancel(id);
    prober.cancel(id);
    expect(tcpSocketsOnPort(blackhole.port).filter((row) => row.state === 'SYN_SENT')).toHaveLength(halfOpenBefore);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(waiter.errnos).toEqual([]);
  });

  it('close drops every connect in flight and every idle socket: the fds return to where they were', async () => {
    const blackhole = await unansweredTcpPort();
    cleanups.push(blackhole.release);
    const listener = await listenTcp();
    cleanups.push(listener.close);
    const baselineFds = openFds();
    const prober = new TcpProber();
    const waiter = new Recorder();
    for (let index = 0; index < 20; index++) prober.connect('127.0.0.1', listener.port, null, waiter);
    await eventually(() => {
      expect(waiter.errnos).toHaveLength(20);
    });
    for (let index = 0; index < 5; index++) prober.connect('127.0.0.1', blackhole.port, null, waiter);
    expect(openFds()).toBeGreaterThan(baselineFds);
    prober.close();
    prober.close();
    await eventually(() => {
      expect(openFds()).toBe(baselineFds);
    });
    expect(waiter.errnos).toEqual(Array.from({ length: 20 }, () => 0));
  });
});
