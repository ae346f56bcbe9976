/**
 * election-driver: the election's imperative shell, minus threads. It holds the pure state, feeds
 * it events, and carries out the actions in order: adverts go to the transport, timers to
 * ElectionTimers, and everything the daemon must do or log goes out as an ElectionNotice.
 *
 * Every port is injected (clock, loop-delay monitor, transport, notice sink), so the same class
 * runs in the election worker with real ones and in tests with a FakeClock and a fake socket.
 */
import { effectivePriority, type ElectionState } from '../election/election-state.js';
import { createRejectLogLimiter, decideRejectLog, type RejectLogLimiter } from '../election/reject-log-limiter.js';
import { step } from '../election/state-machine.js';
import type { ElectionAction, ElectionEvent } from '../election/types.js';
import { ElectionTimers } from './election-timers.js';
import type { LoopDelayMonitor } from './loop-delay.js';
import type { ControlEvent, ElectionNotice, ElectionStatus } from './messages.js';
import type { EventLoopClock } from './monotonic-clock.js';
import type { AdvertTransport } from './udp-transport.js';

/** DEFAULT_REJECT_LOG_WINDOW_MS: one log line per reject reason per minute is enough to notice. */
export const DEFAULT_REJECT_LOG_WINDOW_MS = 60_000;

/** ElectionDriverPorts are the driver's connections to the world. */
export interface ElectionDriverPorts {
  /** clock also orders a masterDown firing after pending I/O (election-timers.ts). */
  readonly clock: EventLoopClock;
  readonly loopDelay: LoopDelayMonitor;
  readonly transport: AdvertTransport;
  /** notify receives each notice in order; it may call back into the driver (events queue). */
  readonly notify: (notice: ElectionNotice) => void;
  /** stopped is called once, when a shutdown has finished and every timer is cancelled. */
  readonly stopped: (status: ElectionStatus) => void;
}

/** ElectionDriver runs one election; see the file comment. */
export class ElectionDriver {
  readonly #ports: ElectionDriverPorts;
  readonly #timers: ElectionTimers;
  #state: ElectionState;
  #rejectLog: RejectLogLimiter;
  #queue: ElectionEvent[] = [];
  #dispatching = false;
  #reportedStop = false;

  /** The driver does nothing until start(); state is a fresh initialElectionState(). */
  constructor(state: ElectionState, ports: ElectionDriverPorts, rejectLogWindowMs = DEFAULT_REJECT_LOG_WINDOW_MS) {
    this.#state = state;
    this.#ports = ports;
    this.#rejectLog = createRejectLogLimiter(rejectLogWindowMs);
    this.#timers = new ElectionTimers(ports.clock, ports.loopDelay, state.options.stallThresholdMs, (timer, lateByMs) => {
      this.#dispatch({ kind: 'timerFired', timer, lateByMs });
    });
  }

  /** state is the current election state (for tests and status). */
  get state(): ElectionState {
    return this.#state;
  }

  /** start sends the startup event (RFC 5798 §6.4.1). */
  start(): void {
    this.#dispatch({ kind: 'startup' });
  }

  /** receive feeds one received datagram; the core verifies it. */
  receive(bytes: Uint8Array): void {
    this.#dispatch({ kind: 'datagram', bytes });
  }

  /** control feeds an event from the daemon (tracking, key reload, handover). */
  control(event: ControlEvent): void {
    this.#dispatch(event);
  }

  /** shutdown begins a graceful stop; `stopped` is called when it has finished. */
  shutdown(): void {
    this.#dispatch({ kind: 'shutdown' });
  }

  /** status is a snapshot for `tandem status` and metrics. */
  status(): ElectionStatus {
    const state = this.#state;
    return {
      state: state.name,
      stopped: state.stopped,
      priority: effectivePriority(state),
      masterAdvertIntervalMs: state.masterAdvertIntervalMs,
      mismatchedPeers: [...state.mismatchedPeers.keys()],
      armedTimers: this.#timers.armedTimers(),
      counters: state.counters,
      timers: this.#timers.stats(),
      transport: this.#ports.transport.counters(),
    };
  }

  /** close cancels every timer, e.g. when the thread is torn down without a graceful stop. */
  close(): void {
    this.#timers.cancelAll();
  }

  /**
   * dispatch runs events to completion one at a time: an event raised while actions are being
   * carried out (a notice handler calling back) waits until the current actions are done, so the
   * daemon sees actions in exactly the core's order.
   */
  #dispatch(event: ElectionEvent): void {
    this.#queue.push(event);
    if (this.#dispatching) return;
    this.#dispatching = true;
    try {
      for (let next = this.#queue.shift(); next !== undefined; next = this.#queue.shift()) {
        const result = step(this.#state, next);
        this.#state = result.state;
        for (const action of result.actions) this.#execute(action);
      }
    } finally {
      this.#dispatching = false;
      this.#queue = [];
    }
    if (this.#state.stopped && !this.#reportedStop) {
      this.#reportedStop = true;
      this.#timers.cancelAll();
      this.#ports.stopped(this.status());
    }
  }

  #execute(action: ElectionAction): void {
    switch (action.kind) {
      case 'sendAdvert':
        this.#ports.transport.send(action.bytes);
        return;
      case 'armTimer':
        this.#timers.arm(action.timer, action.afterMs);
        return;
      case 'cancelTimer':
        this.#timers.cancel(action.timer);
        return;
      case 'rejected': {
        const decision = decideRejectLog(this.#rejectLog, action.reason, this.#ports.clock.nowMs);
        this.#rejectLog = decision.limiter;
        if (decision.log) this.#ports.notify({ kind: 'rejected', reason: action.reason, suppressedBefore: decision.suppressedBefore });
        return;
      }
      default:
        this.#ports.notify(action);
    }
  }
}
