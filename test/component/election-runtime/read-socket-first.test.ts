/**
 * A due masterDown waits for the datagrams already in the socket, on the real event loop.
 *
 * The fake-clock tests (election-timers.test.ts, election-driver.test.ts) model libuv's order:
 * timers, then the poll phase, then setImmediate. This test checks the model against libuv itself:
 * a real dgram socket and the real clock (systemMonotonicClock). The thread blocks past the
 * masterDown due time while a datagram lands in the socket; when the loop resumes, the expired
 * timer must be dropped because the datagram is read first and re-arms it, as an advert does in
 * the core. With the socket empty, the same timer fires on the first loop turn after the block.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { ElectionTimers } from '../../../src/election-runtime/election-timers.js';
import type { LoopDelayMonitor } from '../../../src/election-runtime/loop-delay.js';
import { systemMonotonicClock } from '../../../src/election-runtime/monotonic-clock.js';

/** No sampler: only the read-the-socket-first ordering can drop the expired firing. */
const noLoopDelay: LoopDelayMonitor = { takeMaxMs: () => 0, close: () => undefined };
const MASTER_DOWN_MS = 30;
const BLOCK_MS = 80;

const sockets: Socket[] = [];
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close();
});

async function boundSocket(): Promise<Socket> {
  const socket = createSocket('udp4');
  sockets.push(socket);
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return socket;
}

/** blockThread holds the event loop, as a descheduled or collecting thread does. */
function blockThread(ms: number): void {
  const clock = systemMonotonicClock();
  const untilMs = clock.nowMs + ms;
  while (clock.nowMs < untilMs) {
    // Busy: no event is delivered until this returns.
  }
}

/**
 * Trace records, in order, what the loop delivered: datagrams and masterDown firings, and with
 * markTurns the first two check phases (setImmediate) after the block. The block then starts in a
 * check phase, so the loop turn after it runs the timers phase (masterDown due: its firing waits
 * for the next check phase), then the check phase with the first mark and the firing. A firing
 * that waits a turn longer comes after the second mark.
 */
async function run(options: { datagram: boolean; markTurns?: boolean }): Promise<{ trace: string[]; blockEndedAtMs: number; firedAtMs: number[] }> {
  const clock = systemMonotonicClock();
  const backup = await boundSocket();
  const master = await boundSocket();
  const trace: string[] = [];
  const firedAtMs: number[] = [];
  const timers = new ElectionTimers(clock, noLoopDelay, MASTER_DOWN_MS, (timer) => {
    trace.push(`fired ${timer}`);
    firedAtMs.push(clock.nowMs);
  });
  backup.on('message', () => {
    trace.push('datagram');
    // What the core does with a valid advert from the master: masterDown starts over.
    timers.arm('masterDown', MASTER_DOWN_MS);
  });
  timers.arm('masterDown', MASTER_DOWN_MS);
  if (options.datagram) {
    // Loopback queues the datagram in the backup's receive buffer before sendto returns, but
    // node sends asynchronously: wait for the send callback, then block.
    await new Promise<void>((resolve, reject) => {
      master.send(new Uint8Array(8), backup.address().port, '127.0.0.1', (error) => {
        if (error === null) resolve();
        else reject(error);
      });
    });
  }
  if (options.markTurns === true) await new Promise((resolve) => setImmediate(resolve));
  blockThread(BLOCK_MS);
  const blockEndedAtMs = clock.nowMs;
  if (options.markTurns === true) {
    setImmediate(() => {
      trace.push('check phase');
      setImmediate(() => trace.push('check phase'));
    });
  }
  await new Promise((resolve) => setTimeout(resolve, 3 * MASTER_DOWN_MS));
  timers.cancelAll();
  return { trace, blockEndedAtMs, firedAtMs };
}

describe('masterDown on the real event loop', () => {
  it('a datagram queued while the timer expired is read first and the expired firing is dropped', async () => {
    const { trace, blockEndedAtMs, firedAtMs } = await run({ datagram: true });
    expect(trace).toEqual(['datagram', 'fired masterDown']);
    // The one firing is the re-armed timer, a whole masterDown after the datagram was read.
    expect(firedAtMs[0]).toBeGreaterThanOrEqual(blockEndedAtMs + MASTER_DOWN_MS - 1);
  });

  it('with the socket empty the expired timer fires on the first loop turn after the block', async () => {
    const { trace } = await run({ datagram: false, markTurns: true });
    expect(trace.filter((entry) => entry === 'fired masterDown')).toHaveLength(1);
    // Placed by loop turn, not by the clock, which a loaded machine can stop at any point.
    expect(trace.indexOf('fired masterDown')).toBeLessThan(trace.lastIndexOf('check phase'));
  });
});
