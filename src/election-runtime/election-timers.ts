/**
 * election-timers: the core's named timers on the monotonic clock, each firing reported with how
 * late it ran because of this process.
 *
 * lateByMs = max(callback lateness, longest loop block while the timer was armed). The first term
 * is a block that straddled the due time; the second is a block that ended before it, after which
 * adverts may still sit unread in the socket buffer (loop-delay.ts). The core uses lateByMs to tell
 * its own stall from a dead peer (docs/protocol.md "Stalls of our own process").
 *
 * A masterDown timer that comes due is not reported at once: the event loop first reads the
 * datagrams already waiting in the socket (EventLoopClock.afterPendingIo). After the thread was
 * descheduled, the master's adverts can sit there behind an expired timer, because libuv runs
 * timers before it polls; an advert read in that poll re-arms masterDown, and the pending firing
 * is dropped as stale. Without this a backup became master and stepped down again within
 * milliseconds on a saturated host (bench/spurious, 10 ms adverts).
 *
 * The advert timer keeps its cadence: re-armed while its own firing is handled, it counts from
 * the time it was due, not from the time it ran, so a late advert does not push every later one
 * back (the peer's masterDown counts from each advert it hears). Node timers have millisecond
 * resolution and run up to a millisecond late, so re-arming from the run time stretched 10 ms
 * adverts to about 10.5 ms (bench/advert-cadence). A firing so late that the next due time has
 * passed as well counts the next one from now: the advert just sent is the catch-up, so neither
 * a burst of the missed ones nor two adverts back to back.
 */
import type { TimerName } from '../election/types.js';
import type { LoopDelayMonitor } from './loop-delay.js';
import type { EventLoopClock, ScheduledTimer } from './monotonic-clock.js';

/** TimerLatenessStats count how often any election timer ran later than the stall threshold. */
export interface TimerLatenessStats {
  /** fired counts every timer that ran. */
  readonly fired: number;
  /** late counts timers that ran more than lateThresholdMs late (our own stall, not the peer). */
  readonly late: number;
  /** maxLateByMs is the worst lateness seen since start. */
  readonly maxLateByMs: number;
}

/**
 * READ_SOCKET_FIRST names the timers whose firing waits for pending I/O: only masterDown, the one
 * an unread advert would have re-armed. Advert and handover timers run at once, because delaying
 * our own adverts is what makes the peer fail over.
 */
const READ_SOCKET_FIRST: ReadonlySet<TimerName> = new Set(['masterDown']);

/** KEEP_CADENCE names the periodic timers that re-arm from their due time (see the file comment). */
const KEEP_CADENCE: ReadonlySet<TimerName> = new Set(['advert']);

interface ArmedTimer {
  readonly dueAtMs: number;
  /** scheduled is the clock timer, then, once due, the pending after-I/O callback. */
  scheduled: ScheduledTimer;
  /** blockedMs is the longest loop block seen since this timer was armed. */
  blockedMs: number;
}

/** TimerFiredHandler receives a firing; it is where the driver feeds timerFired to the core. */
export type TimerFiredHandler = (timer: TimerName, lateByMs: number) => void;

/** ElectionTimers keeps at most one timer per name; arming an armed timer replaces it. */
export class ElectionTimers {
  readonly #clock: EventLoopClock;
  readonly #loopDelay: LoopDelayMonitor;
  readonly #lateThresholdMs: number;
  readonly #onFired: TimerFiredHandler;
  readonly #armed = new Map<TimerName, ArmedTimer>();
  #fired = 0;
  #late = 0;
  #maxLateByMs = 0;
  /** firing is the timer whose firing is being handled now, with the time it was due. */
  #firing: { readonly timer: TimerName; readonly dueAtMs: number } | undefined;

  /** lateThresholdMs is the election's stallThresholdMs: later than that counts as a stall. */
  constructor(clock: EventLoopClock, loopDelay: LoopDelayMonitor, lateThresholdMs: number, onFired: TimerFiredHandler) {
    this.#clock = clock;
    this.#loopDelay = loopDelay;
    this.#lateThresholdMs = lateThresholdMs;
    this.#onFired = onFired;
  }

  /** arm schedules `timer` afterMs from now, replacing one already armed under that name. */
  arm(timer: TimerName, afterMs: number): void {
    this.cancel(timer);
    this.#foldLoopDelay();
    const nowMs = this.#clock.nowMs;
    const firing = this.#firing;
    const onCadenceMs = firing?.timer === timer && KEEP_CADENCE.has(timer) ? firing.dueAtMs + afterMs : Number.NEGATIVE_INFINITY;
    const dueAtMs = onCadenceMs > nowMs ? onCadenceMs : nowMs + afterMs;
    const entry: ArmedTimer = {
      dueAtMs,
      blockedMs: 0,
      scheduled: this.#clock.schedule(dueAtMs - nowMs, () => {
        if (!READ_SOCKET_FIRST.has(timer)) {
          this.#fire(timer, entry);
          return;
        }
        entry.scheduled = this.#clock.afterPendingIo(() => {
          this.#fire(timer, entry);
        });
      }),
    };
    this.#armed.set(timer, entry);
  }

  /** cancel disarms `timer`; cancelling a timer that is not armed does nothing. */
  cancel(timer: TimerName): void {
    this.#armed.get(timer)?.scheduled.cancel();
    this.#armed.delete(timer);
  }

  /** cancelAll disarms every timer (on stop). */
  cancelAll(): void {
    for (const timer of [...this.#armed.keys()]) this.cancel(timer);
  }

  /** armedTimers lists the names armed now, for status and tests. */
  armedTimers(): TimerName[] {
    return [...this.#armed.keys()];
  }

  /** stats is the lateness record since start. */
  stats(): TimerLatenessStats {
    return { fired: this.#fired, late: this.#late, maxLateByMs: this.#maxLateByMs };
  }

  #fire(timer: TimerName, entry: ArmedTimer): void {
    // A callback of a timer that was re-armed or cancelled meanwhile is stale.
    if (this.#armed.get(timer) !== entry) return;
    this.#foldLoopDelay();
    this.#armed.delete(timer);
    // Measured from the original due time, so the wait for pending I/O counts as lateness too.
    const callbackLateMs = this.#clock.nowMs - entry.dueAtMs;
    const lateByMs = Math.round(Math.max(0, callbackLateMs, entry.blockedMs));
    this.#fired += 1;
    if (lateByMs > this.#lateThresholdMs) this.#late += 1;
    this.#maxLateByMs = Math.max(this.#maxLateByMs, lateByMs);
    this.#firing = { timer, dueAtMs: entry.dueAtMs };
    try {
      this.#onFired(timer, lateByMs);
    } finally {
      this.#firing = undefined;
    }
  }

  /** foldLoopDelay charges the loop block measured since the last fold to every armed timer. */
  #foldLoopDelay(): void {
    const blockedMs = this.#loopDelay.takeMaxMs();
    if (blockedMs <= 0) return;
    for (const entry of this.#armed.values()) entry.blockedMs = Math.max(entry.blockedMs, blockedMs);
  }
}
