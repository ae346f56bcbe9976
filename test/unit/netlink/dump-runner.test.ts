import { describe, expect, it } from 'vitest';
import { DumpRunner, type DumpSocketPort, WritesFirst } from '../../../src/netlink/dump-runner.js';

/**
 * echoSocket answers every chunk (one dump request) with its own bytes padded to 4, written
 * from the start of `into` while they fit (else into a buffer of its own twice as large, as the
 * addon does), after `readMs`; it records each call's requests, and how many calls started.
 */
function echoSocket(readMs = 1): { socket: DumpSocketPort; calls: string[][] } {
  const calls: string[][] = [];
  const read = async (data: Buffer, chunkEnds: readonly number[], into: Buffer): Promise<Buffer> => {
    const chunks = chunkEnds.map((end, i) => data.subarray(i === 0 ? 0 : chunkEnds[i - 1], end));
    calls.push(chunks.map((chunk) => chunk.toString()));
    await new Promise((resolve) => setTimeout(resolve, readMs));
    const bytes = Buffer.concat(chunks.flatMap((chunk) => [chunk, Buffer.alloc((4 - (chunk.length % 4)) % 4)]));
    const target = bytes.length <= into.length ? into : Buffer.alloc(2 * bytes.length);
    bytes.copy(target);
    return target.subarray(0, bytes.length);
  };
  const socket: DumpSocketPort = {
    exchangeInTurn: (data, chunkEnds, _timeoutMs, into) => read(data, chunkEnds, into),
    async exchangeInRing(data, chunkEnds, _timeoutMs, into) {
      return { bytes: await read(data, chunkEnds, into), ringDumps: chunkEnds.length };
    },
  };
  return { socket, calls };
}

/** framed is `count` requests "dump-00", "dump-01", … in one buffer, and where each ends. */
function framed(count: number): { data: Buffer; chunkEnds: number[]; requests: string[] } {
  const requests = Array.from({ length: count }, (_, i) => `dump-${String(i).padStart(2, '0')}`);
  const chunkEnds: number[] = [];
  let end = 0;
  for (const request of requests) chunkEnds.push((end += request.length));
  return { data: Buffer.from(requests.join('')), chunkEnds, requests };
}

/** echoed is what the echo socket answers to `requests`, in one buffer. */
function echoed(requests: readonly string[]): string {
  return requests.map((request) => request + '\0'.repeat((4 - (request.length % 4)) % 4)).join('');
}

const turns = (ms: number): Promise<unknown> => new Promise((resolve) => setTimeout(resolve, ms));

describe('WritesFirst', () => {
  it('is clear with no write held, and clears only when every held write is released', async () => {
    const gate = new WritesFirst();
    expect(gate.whenClear()).toBeUndefined();
    const first = gate.hold();
    const second = gate.hold();
    let cleared = false;
    const clear = gate.whenClear()?.then(() => (cleared = true));
    expect(clear).toBeDefined();
    first();
    first(); // a second release of the same write changes nothing
    await turns(1);
    expect(cleared).toBe(false);
    expect(gate.pending).toBe(1);
    second();
    await clear;
    expect(cleared).toBe(true);
    expect(gate.whenClear()).toBeUndefined();
  });

  it("opens a turn of the event loop after the last release, so the write's caller sees its outcome first", async () => {
    const gate = new WritesFirst();
    const order: string[] = [];
    const release = gate.hold();
    const listing = gate.whenClear()?.then(() => order.push('listing'));
    const caller = Promise.resolve()
      .then(release)
      .then(() => undefined)
      .then(() => undefined)
      .then(() => order.push('caller'));
    await Promise.all([listing, caller]);
    expect(order).toEqual(['caller', 'listing']);
    // A write held again before that turn keeps the gate shut.
    const again = gate.hold();
    let opened = false;
    again();
    const reheld = gate.hold();
    const wait = gate.whenClear()?.then(() => (opened = true));
    await turns(2);
    expect(opened).toBe(false);
    reheld();
    await wait;
    expect(opened).toBe(true);
  });
  it('waits only for the writes held when it began to wait, so a steady stream of overlapping writes cannot keep it shut', async () => {
    const gate = new WritesFirst();
    let release = gate.hold();
    let opened = false;
    const wait = gate.whenClear()?.then(() => (opened = true));
    // Each write is held before the previous one is released: the gate is never without a write.
    for (let i = 0; i < 5; i++) {
      const next = gate.hold();
      release();
      release = next;
      await turns(1);
    }
    await wait;
    expect(opened).toBe(true);
    expect(gate.pending).toBe(1);
    // A new waiter waits for the write held now.
    let later = false;
    const laterWait = gate.whenClear()?.then(() => (later = true));
    await turns(2);
    expect(later).toBe(false);
    release();
    await laterWait;
    expect(later).toBe(true);
  });
});

describe('DumpRunner', () => {
  it('hands the whole batch to the addon in one call and returns its replies', async () => {
    const { socket, calls } = echoSocket();
    const { data, chunkEnds, requests } = framed(20);
    const runner = new DumpRunner(socket, true, new WritesFirst());
    expect((await runner.run(data, chunkEnds, 1_000, 0)).toString()).toBe(echoed(requests));
    expect(calls).toEqual([requests]);
    expect(runner.paths).toEqual({ ring: 20, inTurn: 0 });
  });

  it('starts no batch while a write is held', async () => {
    const gate = new WritesFirst();
    const { socket, calls } = echoSocket();
    const { data, chunkEnds, requests } = framed(3);
    const release = gate.hold();
    const run = new DumpRunner(socket, true, gate).run(data, chunkEnds, 1_000, 1);
    await turns(5);
    expect(calls).toHaveLength(0);
    release();
    expect((await run).toString()).toBe(echoed(requests));
  });

  it('hands no replies back while a write queued during the batch is held', async () => {
    const gate = new WritesFirst();
    const { socket, calls } = echoSocket(2);
    const { data, chunkEnds } = framed(3);
    let returned = false;
    const run = new DumpRunner(socket, true, gate).run(data, chunkEnds, 1_000, 0).then(() => (returned = true));
    await turns(0);
    expect(calls).toHaveLength(1);
    const release = gate.hold();
    await turns(10);
    expect(returned).toBe(false);
    release();
    await run;
    expect(returned).toBe(true);
  });

  it('goes on at once without a gate, and its yieldToWrites waits for nothing', async () => {
    const { socket } = echoSocket();
    const { data, chunkEnds, requests } = framed(2);
    const runner = new DumpRunner(socket);
    expect(runner.yieldToWrites()).toBeUndefined();
    expect((await runner.run(data, chunkEnds, 1_000, 0)).toString()).toBe(echoed(requests));
  });

  it('yieldToWrites waits while a write is held', async () => {
    const gate = new WritesFirst();
    const runner = new DumpRunner(echoSocket().socket, true, gate);
    expect(runner.yieldToWrites()).toBeUndefined();
    const release = gate.hold();
    let done = false;
    const wait = runner.yieldToWrites()?.then(() => (done = true));
    await turns(2);
    expect(done).toBe(false);
    release();
    await wait;
    expect(done).toBe(true);
  });

  it('keeps the larger buffer when the replies outgrow the receive buffer, for the slot\'s next run', async () => {
    const { socket } = echoSocket();
    const runner = new DumpRunner(socket, true, new WritesFirst());
    const requests = Array.from({ length: 4 }, (_, i) => `${String(i).padStart(4, '0')}${'x'.repeat(300 * 1024)}`);
    const chunkEnds: number[] = [];
    let end = 0;
    for (const request of requests) chunkEnds.push((end += request.length));
    const bytes = await runner.run(Buffer.from(requests.join('')), chunkEnds, 1_000, 0);
    expect(bytes.toString()).toBe(echoed(requests));
    const again = await runner.run(Buffer.from(requests.join('')), chunkEnds, 1_000, 0);
    expect(again.buffer).toBe(bytes.buffer);
  });
});
