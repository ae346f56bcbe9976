/**
 * AttemptAbort behaves as the AbortSignal a checker expects: one call on abort, none after a
 * remove, none for a listener added after the abort, and function or EventListener objects alike.
 */
import { describe, expect, it } from 'vitest';
import { AttemptAbort } from '../../../src/health/attempt-abort.js';

describe('AttemptAbort', () => {
  it('calls its listener once, on the first abort', () => {
    const attempt = new AttemptAbort();
    let calls = 0;
    attempt.addEventListener('abort', () => (calls += 1));
    expect(attempt.aborted).toBe(false);
    attempt.abort();
    attempt.abort();
    expect(attempt.aborted).toBe(true);
    expect(calls).toBe(1);
  });

  it('calls an EventListener object through handleEvent', () => {
    const attempt = new AttemptAbort();
    const listener = { calls: 0, handleEvent() { this.calls += 1; } };
    attempt.addEventListener('abort', listener);
    attempt.abort();
    expect(listener.calls).toBe(1);
  });

  it('does not call a removed listener, nor one added after the abort', () => {
    const removed = new AttemptAbort();
    let calls = 0;
    const listener = (): void => {
      calls += 1;
    };
    removed.addEventListener('abort', listener);
    removed.removeEventListener('abort', listener);
    removed.abort();
    const late = new AttemptAbort();
    late.abort();
    late.addEventListener('abort', listener);
    expect(calls).toBe(0);
  });

  it('refuses a second, different listener instead of dropping one', () => {
    const attempt = new AttemptAbort();
    const first = (): void => undefined;
    attempt.addEventListener('abort', first);
    attempt.addEventListener('abort', first);
    expect(() => {
      attempt.addEventListener('abort', () => undefined);
    }).toThrow(/one abort listener/);
  });
});
