/** setCurrentThreadNice changes the calling thread only, and reports instead of throwing. */
import { getPriority } from 'node:os';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { setCurrentThreadNice } from '../../../src/election-runtime/thread-priority.js';

describe('setCurrentThreadNice', () => {
  it('raising the nice value (lowering priority) needs no privilege, and leaves the process alone', async () => {
    // Run it on a thread of its own, so this test's thread keeps its priority.
    const url = new URL('../../../src/election-runtime/thread-priority.ts', import.meta.url).href;
    const tsxApi = import.meta.resolve('tsx/esm/api');
    const worker = new Worker(
      `import(${JSON.stringify(tsxApi)}).then(({ register }) => { register(); return import(${JSON.stringify(url)}); })
        .then(({ setCurrentThreadNice }) => require('node:worker_threads').parentPort.postMessage(setCurrentThreadNice(5)));`,
      { eval: true },
    );
    const result: unknown = await new Promise((resolve) => worker.once('message', resolve));
    await worker.terminate();
    expect(result).toEqual({ nice: 5 });
    expect(getPriority()).not.toBe(5);
  });

  it('an impossible value is reported, not thrown', () => {
    const result = setCurrentThreadNice(Number.NaN);
    expect(result).toMatchObject({ error: expect.stringContaining('cannot set nice') as unknown });
  });
});
