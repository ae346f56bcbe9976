/**
 * allocationFloor keeps a thread's young generation mapped (allocation-floor.ts says why). The
 * judge is V8's own figure: the new space's physical size (memory actually committed), sampled
 * every 50 ms in a worker thread that allocates about as much as the election thread, with and
 * without the floor. Without it V8 hands pages back after its scavenges and the figure drops
 * after each scavenge (the control, so the test can fail); with it the figure never drops.
 */
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';

const RUN_MS = 7000;
/** WARM_UP_SAMPLES are skipped: the new space grows to its working size during the first second. */
const WARM_UP_SAMPLES = 20;

/** newSpaceSamples runs the load in a new thread, with or without the floor, and returns the samples. */
async function newSpaceSamples(floor: boolean): Promise<number[]> {
  const url = new URL('../../../src/election-runtime/allocation-floor.ts', import.meta.url).href;
  const clockUrl = new URL('../../../src/election-runtime/monotonic-clock.ts', import.meta.url).href;
  const priorityUrl = new URL('../../../src/election-runtime/thread-priority.ts', import.meta.url).href;
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const worker = new Worker(
    `const v8 = require('node:v8');
     const { parentPort } = require('node:worker_threads');
     import(${JSON.stringify(tsxApi)}).then(({ register }) => { register(); return Promise.all([import(${JSON.stringify(url)}), import(${JSON.stringify(clockUrl)}), import(${JSON.stringify(priorityUrl)})]); })
       .then(([{ allocationFloor }, { systemMonotonicClock }, { setCurrentThreadPriority, ELECTION_THREAD_SCHEDULING }]) => {
         // As on the election thread: on a loaded machine a normal thread's ticks can be late by
         // more than the floor makes up for (allocation-floor.ts, MAX_CATCH_UP_PERIODS).
         setCurrentThreadPriority(ELECTION_THREAD_SCHEDULING);
         const floor = ${String(floor)} ? allocationFloor(systemMonotonicClock()) : { close() {} };
         // About 500 kB/s of short-lived objects (about 100 B each time round), under V8's limit of 1000 B/ms like the election thread's own rate.
         const kept = { last: [] };
         const load = setInterval(() => { for (let i = 0; i < 50; i++) kept.last = [{ i }, { j: i }]; }, 10);
         const samples = [];
         const sampler = setInterval(() => {
           samples.push(v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space').physical_space_size);
         }, 50);
         setTimeout(() => {
           clearInterval(load);
           clearInterval(sampler);
           floor.close();
           parentPort.postMessage(samples);
         }, ${RUN_MS});
       });`,
    // A small young generation (1 MB semi-spaces) scavenges every second or two at this rate; the
    // default one, grown while tsx compiled the modules, would not scavenge within the run.
    { eval: true, resourceLimits: { maxYoungGenerationSizeMb: 3 } },
  );
  try {
    return await new Promise<number[]>((resolve, reject) => worker.once('message', resolve).once('error', reject));
  } finally {
    await worker.terminate();
  }
}

describe('allocationFloor', () => {
  it('keeps the young generation committed; without it V8 gives pages back after scavenges', async () => {
    const [without, withFloor] = await Promise.all([newSpaceSamples(false), newSpaceSamples(true)]);
    // Drops: how often the committed size fell from one sample to the next (it may still grow
    // after the warm-up, when a loaded machine starts the thread slowly).
    const drops = (samples: number[]): number => samples.slice(WARM_UP_SAMPLES).filter((size, index, rest) => index > 0 && size < (rest[index - 1] ?? 0)).length;
    expect(without.length).toBeGreaterThan(WARM_UP_SAMPLES + 40);
    expect(drops(without)).toBeGreaterThan(0);
    expect(drops(withFloor)).toBe(0);
  }, 20_000);
});
