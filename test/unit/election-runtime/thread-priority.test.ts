/**
 * setCurrentThreadPriority changes the calling thread only, reports what it got instead of
 * throwing, and falls back to nice when realtime is refused. The kernel's own view of each thread
 * (/proc/self/task/TID/stat, proc(5)) is the judge, not the function's report.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { ELECTION_THREAD_SCHEDULING, SCHED_OTHER, SCHED_RR, type ThreadPriority, type ThreadSchedulingRequest } from '../../../src/election-runtime/thread-priority.js';
import { kernelScheduling } from './kernel-scheduling.js';

const privileged = process.getuid?.() === 0;

/**
 * onThreadOfItsOwn runs setCurrentThreadPriority(request) in a new worker thread, so this test's
 * thread keeps its priority, and hands back the report and the kernel's view of that thread
 * while it is still alive.
 */
async function onThreadOfItsOwn(request: ThreadSchedulingRequest) {
  const url = new URL('../../../src/election-runtime/thread-priority.ts', import.meta.url).href;
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const worker = new Worker(
    `const { parentPort } = require('node:worker_threads');
     import(${JSON.stringify(tsxApi)}).then(({ register }) => { register(); return import(${JSON.stringify(url)}); })
       .then(({ setCurrentThreadPriority }) => {
         parentPort.postMessage(setCurrentThreadPriority(${JSON.stringify(request)}));
         parentPort.once('message', () => process.exit(0));
       });`,
    { eval: true },
  );
  try {
    const report = await new Promise<ThreadPriority>((resolve, reject) => worker.once('message', resolve).once('error', reject));
    if (report.threadId === null) throw new Error('no thread id reported');
    return { report, kernel: kernelScheduling(report.threadId) };
  } finally {
    await worker.terminate();
  }
}

describe('setCurrentThreadPriority', () => {
  it('raising the nice value (lowering priority) needs no privilege, and leaves the process alone', async () => {
    const { report, kernel } = await onThreadOfItsOwn({ realtimePriority: null, nice: 5 });
    expect(report).toMatchObject({ policy: 'SCHED_OTHER', realtimePriority: 0, nice: 5, refused: [] });
    expect(kernel).toEqual({ policy: SCHED_OTHER, realtimePriority: 0, nice: 5 });
    expect(getPriority()).not.toBe(5);
  });

  it.runIf(privileged)('as root, the default request puts that one thread, and no other, on SCHED_RR 10', async () => {
    const { report, kernel } = await onThreadOfItsOwn(ELECTION_THREAD_SCHEDULING);
    expect(report).toMatchObject({ policy: 'SCHED_RR', realtimePriority: 10, refused: [] });
    expect(kernel).toMatchObject({ policy: SCHED_RR, realtimePriority: 10 });
    // The test's own thread and every other thread of the process stay at the normal policy.
    for (const task of readdirSync('/proc/self/task')) expect(kernelScheduling(Number(task)).policy, `thread ${task}`).toBe(SCHED_OTHER);
  });

  it.runIf(!privileged)('without privilege, realtime is refused with the reason, and nice is tried next', async () => {
    const { report } = await onThreadOfItsOwn({ realtimePriority: 10, nice: 3 });
    expect(report).toMatchObject({ policy: 'SCHED_OTHER', realtimePriority: 0, nice: 3 });
    expect(report.refused).toEqual([expect.stringContaining('EPERM')]);
  });

  it('a priority outside 1–99 is refused with EINVAL and the thread falls back to nice', async () => {
    const { report, kernel } = await onThreadOfItsOwn({ realtimePriority: 100, nice: 4 });
    expect(report).toMatchObject({ policy: 'SCHED_OTHER', nice: 4 });
    expect(report.refused).toEqual([expect.stringContaining('EINVAL')]);
    expect(kernel.policy).toBe(SCHED_OTHER);
  });

  it('an impossible nice value is reported, not thrown', async () => {
    const { report } = await onThreadOfItsOwn({ realtimePriority: null, nice: 100 });
    expect(report.refused).toEqual([expect.stringContaining('cannot set nice')]);
  });

  it('the kernel view parser reads this thread as SCHED_OTHER', () => {
    expect(readFileSync('/proc/thread-self/stat', 'utf8')).toContain(')');
    expect(kernelScheduling(Number(readdirSync('/proc/self/task')[0])).policy).toBe(SCHED_OTHER);
  });
});
