/**
 * runtime-harness: what the real-thread tests share: free loopback ports, election options for
 * nodes on 127.0.0.1, and an advert capture that timestamps arrivals on a thread of its own (a
 * capture on the main thread would timestamp adverts only after the main thread's block ends).
 */
import { createSocket } from 'node:dgram';
import { Worker } from 'node:worker_threads';
import { optionsFor, type NodeSpec } from '../election/cluster.js';
import type { ElectionRuntimeOptions } from '../../../src/election-runtime/election-runtime.js';
import type { ElectionNotice } from '../../../src/election-runtime/messages.js';

/** freePort finds a UDP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  const probe = createSocket('udp4');
  await new Promise<void>((resolve) => probe.bind(0, '127.0.0.1', resolve));
  const { port } = probe.address();
  await new Promise<void>((resolve) => probe.close(resolve));
  return port;
}

/** loopbackNode is one node's runtime options: bound to 127.0.0.1:port, sending to peerPorts. */
export function loopbackNode(spec: NodeSpec, names: readonly string[], port: number, peerPorts: readonly number[]): ElectionRuntimeOptions {
  const advertIntervalMs = spec.advertIntervalMs ?? 50;
  return {
    election: optionsFor(
      { stallThresholdMs: Math.floor(advertIntervalMs / 2), handoverTimeoutMs: 3 * advertIntervalMs, ...spec, advertIntervalMs },
      names,
    ),
    transport: {
      mode: 'unicast',
      port,
      bindAddresses: ['127.0.0.1'],
      peers: peerPorts.map((peerPort) => ({ address: '127.0.0.1', port: peerPort })),
      ownAddresses: ['127.0.0.1'],
    },
  };
}

/** NoticeLog records notices with their arrival time and lets a test wait for one. */
export class NoticeLog {
  readonly entries: { atMs: number; notice: ElectionNotice }[] = [];
  readonly failures: Error[] = [];
  readonly #waiters: { match: (notice: ElectionNotice) => boolean; resolve: (atMs: number) => void }[] = [];

  /** handlers are ElectionRuntimeHandlers that record here. */
  readonly handlers = {
    notice: (notice: ElectionNotice): void => {
      const atMs = performance.now();
      this.entries.push({ atMs, notice });
      for (const waiter of this.#waiters.filter((candidate) => candidate.match(notice))) {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        waiter.resolve(atMs);
      }
    },
    failed: (error: Error): void => {
      this.failures.push(error);
    },
  };

  /** transitions lists role changes as "from→to (reason)". */
  transitions(): string[] {
    return this.entries.flatMap(({ notice }) => (notice.kind === 'transition' ? [`${notice.from}→${notice.to} (${notice.reason})`] : []));
  }

  /** kinds lists the notice kinds in order. */
  kinds(): string[] {
    return this.entries.map(({ notice }) => notice.kind);
  }

  /** waitFor resolves with the arrival time of the first matching notice (past or future). */
  waitFor(match: (notice: ElectionNotice) => boolean, timeoutMs = 5000): Promise<number> {
    const seen = this.entries.find((entry) => match(entry.notice));
    if (seen !== undefined) return Promise.resolve(seen.atMs);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`no matching notice within ${timeoutMs} ms; saw ${this.kinds().join(', ')}`));
      }, timeoutMs);
      this.#waiters.push({
        match,
        resolve: (atMs) => {
          clearTimeout(timer);
          resolve(atMs);
        },
      });
    });
  }
}

/** becameMaster matches a transition to master. */
export const becameMaster = (notice: ElectionNotice): boolean => notice.kind === 'transition' && notice.to === 'master';

/** AdvertCapture receives adverts on its own thread and timestamps them there. */
export interface AdvertCapture {
  readonly port: number;
  /** take returns the arrival times (ms, that thread's performance.now()) since the last take. */
  take(): Promise<number[]>;
  close(): Promise<void>;
}

// Plain JavaScript: an eval worker runs without the TypeScript loader.
const CAPTURE_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createSocket } = require('node:dgram');
const { performance } = require('node:perf_hooks');
let times = [];
const socket = createSocket('udp4');
socket.on('message', () => { times.push(performance.now()); });
socket.bind(0, '127.0.0.1', () => { parentPort.postMessage({ port: socket.address().port }); });
parentPort.on('message', (message) => {
  if (message === 'take') { parentPort.postMessage({ times }); times = []; }
  if (message === 'close') socket.close(() => { parentPort.close(); });
});
`;

/** startAdvertCapture binds a capture socket on 127.0.0.1 in a worker of its own. */
export async function startAdvertCapture(): Promise<AdvertCapture> {
  const worker = new Worker(CAPTURE_SOURCE, { eval: true });
  const port = await new Promise<number>((resolve) => worker.once('message', (message: { port: number }) => { resolve(message.port); }));
  return {
    port,
    take: () =>
      new Promise((resolve) => {
        worker.once('message', (message: { times: number[] }) => { resolve(message.times); });
        worker.postMessage('take');
      }),
    close: () =>
      new Promise((resolve) => {
        worker.once('exit', () => { resolve(); });
        worker.postMessage('close');
      }),
  };
}

/** gapsMs turns arrival times into inter-arrival gaps. */
export function gapsMs(times: readonly number[]): number[] {
  return times.slice(1).map((time, index) => time - times[index]!);
}

/**
 * burnMainThread keeps this thread busy for ms, allocating as it goes (garbage for the main
 * thread's GC), the way health checks and IPVS dumps would in a loaded daemon.
 */
export function burnMainThread(ms: number): number {
  const endAt = performance.now() + ms;
  let kept: unknown[] = [];
  let allocated = 0;
  while (performance.now() < endAt) {
    kept.push(Array.from({ length: 256 }, (_, index) => ({ index, label: `rs-${index}` })));
    allocated += 1;
    if (kept.length > 512) kept = [];
  }
  return allocated;
}
