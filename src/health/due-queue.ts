/**
 * due-queue: one timer for the next runs of every probe, instead of one Node timer per run.
 *
 * A Node timer per run costs a Timeout object, a timer list per distinct duration (jitter makes
 * most durations distinct), the clock's cancel wrapper and a closure: about 3.4 µs of a TCP
 * check's CPU, a third of its user time (bench/health/README.md, 2026-11-21 18:30). Due times are
 * jittered, so they do not arrive in the order they were set (unlike deadline-sweep.ts's FIFOs):
 * a binary min-heap on dueAtMs keeps the earliest at the root, and one clock timer waits for it.
 * Each item remembers its heap index, so taking a halted probe out is O(log n) with nothing left
 * behind to skip later.
 */
import type { MonotonicClock, ScheduledTimer } from '../election-runtime/monotonic-clock.js';

/** DueItem is an item with a due time on the queue's clock; queueIndex is the queue's bookkeeping (-1 while not queued). */
export interface DueItem {
  readonly dueAtMs: number;
  queueIndex: number;
}

/** DueQueueOptions: the clock, and what to do with items whose due time has come. */
export interface DueQueueOptions<T extends DueItem> {
  readonly clock: MonotonicClock;
  /** due receives each item whose dueAtMs has passed, earliest first, already out of the queue. */
  readonly due: (item: T) => void;
}

/** DueQueue hands items to `due` at their due times, on a single timer. */
export class DueQueue<T extends DueItem> {
  readonly #options: DueQueueOptions<T>;
  readonly #heap: T[] = [];
  #timer: ScheduledTimer | null = null;
  /** #timerAtMs is the due time the timer waits for, Infinity while none is armed. */
  #timerAtMs = Infinity;

  constructor(options: DueQueueOptions<T>) {
    this.#options = options;
  }

  /** size counts the items queued. */
  get size(): number {
    return this.#heap.length;
  }

  /** add queues `item` for its dueAtMs (moving it, if it was queued already). */
  add(item: T): void {
    this.remove(item);
    const heap = this.#heap;
    item.queueIndex = heap.length;
    heap.push(item);
    this.#up(item.queueIndex);
    if (item.dueAtMs < this.#timerAtMs) this.#armAt(item.dueAtMs);
  }

  /** remove takes `item` out if it is queued; the timer is left alone (a sweep that finds nothing due re-arms). */
  remove(item: T): void {
    const index = item.queueIndex;
    if (index < 0) return;
    item.queueIndex = -1;
    const heap = this.#heap;
    const last = heap.pop();
    if (last === undefined || last === item) return;
    heap[index] = last;
    last.queueIndex = index;
    this.#down(index);
    this.#up(last.queueIndex);
  }

  /** clear forgets every item and cancels the timer. */
  clear(): void {
    for (const item of this.#heap) item.queueIndex = -1;
    this.#heap.length = 0;
    this.#disarm();
  }

  #fire(): void {
    this.#timer = null;
    // While the due items run, add() leaves the timer to the end of this fire: arming for the
    // first item added could wait past an earlier one already queued.
    this.#timerAtMs = -Infinity;
    const { clock, due } = this.#options;
    const nowMs = clock.nowMs;
    try {
      // An item `due` queues again is due after nowMs (a whole interval later), so the loop ends.
      for (let head = this.#heap[0]; head !== undefined && head.dueAtMs <= nowMs; head = this.#heap[0]) {
        this.#take();
        due(head);
      }
    } finally {
      // Re-armed even when `due` threw, so one bad item cannot stop every later one.
      const next = this.#heap[0];
      if (next === undefined) this.#disarm();
      else this.#armAt(next.dueAtMs);
    }
  }

  /** #take removes the root. */
  #take(): void {
    const heap = this.#heap;
    const root = heap[0];
    const last = heap.pop();
    if (root === undefined || last === undefined) return;
    root.queueIndex = -1;
    if (last === root) return;
    heap[0] = last;
    last.queueIndex = 0;
    this.#down(0);
  }

  #up(start: number): void {
    const heap = this.#heap;
    const item = heap[start];
    if (item === undefined) return;
    let index = start;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = heap[parentIndex];
      if (parent === undefined || parent.dueAtMs <= item.dueAtMs) break;
      heap[index] = parent;
      parent.queueIndex = index;
      index = parentIndex;
    }
    heap[index] = item;
    item.queueIndex = index;
  }

  #down(start: number): void {
    const heap = this.#heap;
    const item = heap[start];
    if (item === undefined) return;
    let index = start;
    for (;;) {
      const leftIndex = 2 * index + 1;
      const left = heap[leftIndex];
      if (left === undefined) break;
      const right = heap[leftIndex + 1];
      let childIndex = leftIndex;
      let child = left;
      if (right !== undefined && right.dueAtMs < left.dueAtMs) {
        childIndex += 1;
        child = right;
      }
      if (item.dueAtMs <= child.dueAtMs) break;
      heap[index] = child;
      child.queueIndex = index;
      index = childIndex;
    }
    heap[index] = item;
    item.queueIndex = index;
  }

  #disarm(): void {
    this.#timer?.cancel();
    this.#timer = null;
    this.#timerAtMs = Infinity;
  }

  #armAt(atMs: number): void {
    this.#timer?.cancel();
    const { clock } = this.#options;
    this.#timerAtMs = atMs;
    this.#timer = clock.schedule(Math.max(0, atMs - clock.nowMs), () => {
      this.#fire();
    });
  }
}
