/** checkerFor's start(): a tcp target goes to the tcp checker's promise-free path, any other kind through its check() promise. */
import { describe, expect, it } from 'vitest';
import type { CheckOutcome } from '../../../src/health/check-result.js';
import { checkerFor } from '../../../src/health/checker-for.js';
import type { AttemptSink, ProbeTarget } from '../../../src/health/checker.js';
import { checkOf } from '../../unit/health/check-fixtures.js';
import { closedPort } from './loopback.js';

/** started runs one attempt through start() and resolves with what its sink heard, and how often. */
function started(target: ProbeTarget): Promise<{ outcome: CheckOutcome; calls: number }> {
  return new Promise((resolve) => {
    let calls = 0;
    let returned = false;
    const sink: AttemptSink = {
      settled(outcome) {
        calls += 1;
        // AttemptSink: never before start() has returned; a second call would show on `calls`.
        expect(returned).toBe(true);
        setTimeout(() => {
          resolve({ outcome, calls });
        }, 20);
      },
    };
    checkerFor().start?.(target, AbortSignal.timeout(target.check.timeoutMs), sink);
    returned = true;
  });
}

describe('checkerFor start', () => {
  it('settles a tcp target once, with the tcp checker\'s outcome', async () => {
    const check = checkOf('tcp', await closedPort(), { timeoutMs: 1000, intervalMs: 2000 });
    expect(await started({ address: '127.0.0.1', check })).toEqual({
      outcome: { ok: false, reason: 'refused', detail: `connect ECONNREFUSED 127.0.0.1:${check.port}` },
      calls: 1,
    });
  });

  it('settles another kind once, through its check() promise', async () => {
    const pass = checkOf('exec', 8080, { command: '/bin/true', timeoutMs: 1000, intervalMs: 2000 });
    const fail = checkOf('exec', 8080, { command: '/bin/false', timeoutMs: 1000, intervalMs: 2000 });
    expect(await started({ address: '127.0.0.1', check: pass })).toEqual({ outcome: { ok: true }, calls: 1 });
    const failed = await started({ address: '127.0.0.1', check: fail });
    expect(failed.calls).toBe(1);
    expect(failed.outcome).toMatchObject({ ok: false, reason: 'exit-code' });
  });
});
