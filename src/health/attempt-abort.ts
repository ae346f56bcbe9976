/**
 * attempt-abort: the scheduler's abort for one attempt, controller and signal in one object.
 *
 * An AbortController costs an EventTarget, an AbortSignal and an Event on abort; its
 * addEventListener walks the listener options. Measured in the checker's hot path on Node 20,
 * an AbortController, its listener and a timeout timer cost 18–28 µs of user time per TCP check,
 * against about 4 µs for the check itself (bench/health/README.md). A checker adds one listener
 * per attempt (checker.ts), so one slot is all this needs.
 */
import type { AbortListener, AttemptSignal } from './checker.js';

/** AttemptAbort is an AttemptSignal its owner aborts; it holds at most one listener. */
export class AttemptAbort implements AttemptSignal {
  #aborted = false;
  #listener: AbortListener | null = null;

  /** aborted is true once abort() ran. */
  get aborted(): boolean {
    return this.#aborted;
  }

  /** addEventListener keeps `listener` for the abort; after the abort it is never called (as with AbortSignal). */
  addEventListener(_type: 'abort', listener: AbortListener): void {
    if (this.#aborted) return;
    if (this.#listener !== null && this.#listener !== listener) {
      throw new Error('AttemptAbort holds one abort listener: a checker adds at most one per attempt (checker.ts)');
    }
    this.#listener = listener;
  }

  /** removeEventListener drops `listener` if it is the one held. */
  removeEventListener(_type: 'abort', listener: AbortListener): void {
    if (this.#listener === listener) this.#listener = null;
  }

  /** abort marks the signal aborted and calls the listener once; later calls do nothing. */
  abort(): void {
    if (this.#aborted) return;
    this.#aborted = true;
    const listener = this.#listener;
    this.#listener = null;
    if (listener === null) return;
    if (typeof listener === 'function') listener();
    else listener.handleEvent();
  }
}
