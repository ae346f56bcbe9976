/**
 * messages: everything that crosses between the daemon's main thread and the election thread.
 * Both sides import these types; the values are plain objects, because worker messages are
 * structured clones (no classes, no functions; Uint8Array and bigint survive).
 *
 * Main → election thread: control events (trackedInterface, trackedCheck, keysChanged, handover),
 * shutdown, and status requests. Election thread → main: `ready` once the sockets are bound,
 * notices the daemon must carry out or log, status replies, and `stopped` at the end.
 */
import type { ElectionCounters } from '../election/election-state.js';
import type { ElectionOptions } from '../election/options.js';
import type { ElectionAction, ElectionEvent, ElectionStateName, RejectReason, TimerName } from '../election/types.js';
import type { TimerLatenessStats } from './election-timers.js';
import type { ThreadPriority, ThreadSchedulingRequest } from './thread-priority.js';
import type { ElectionTransportOptions, TransportCounters, UdpEndpoint } from './udp-transport.js';

/** ElectionWorkerInit is the election thread's workerData: what it needs to run alone. */
export interface ElectionWorkerInit {
  readonly election: ElectionOptions;
  readonly transport: ElectionTransportOptions;
  /** rejectLogWindowMs: at most one `rejected` notice per reason per window (reject-log-limiter.ts). */
  readonly rejectLogWindowMs: number;
  /** threadScheduling: what the election thread asks the scheduler for (thread-priority.ts); null leaves it. */
  readonly threadScheduling: ThreadSchedulingRequest | null;
}

/**
 * ControlEvent is an event the daemon feeds the election. startup, datagrams and timers belong
 * to the election thread; shutdown has its own message because the daemon waits for `stopped`.
 */
export type ControlEvent = Extract<ElectionEvent, { readonly kind: 'trackedInterface' | 'trackedCheck' | 'keysChanged' | 'handover' | 'vipsHeld' }>;

/** RejectedNotice is a rejected advert that deserves a log line, with how many went unlogged before it. */
export interface RejectedNotice {
  readonly kind: 'rejected';
  readonly reason: RejectReason;
  /** suppressedBefore counts rejections of this reason held back since the last notice. */
  readonly suppressedBefore: number;
}

/**
 * ElectionNotice is what the daemon must do or log, in order: addVips, removeVips and announce go
 * to the VIP owner; transition to the event stream, the log and the sync-daemon owner;
 * configMismatch (error) and stall (warning) to the log; rejected to the log, rate-limited.
 */
export type ElectionNotice =
  | Extract<ElectionAction, { readonly kind: 'addVips' | 'removeVips' | 'announce' | 'transition' | 'configMismatch' | 'stall' }>
  | RejectedNotice;

/** ElectionStatus is a snapshot for `tandem status` and metrics. */
export interface ElectionStatus {
  readonly state: ElectionStateName;
  /** stopped is true once a shutdown finished. */
  readonly stopped: boolean;
  /** priority is the effective priority (configured less failing tracked checks). */
  readonly priority: number;
  readonly masterAdvertIntervalMs: number;
  /** mismatchedPeers are the node ids whose config digest differs from ours. */
  readonly mismatchedPeers: readonly number[];
  readonly armedTimers: readonly TimerName[];
  /** counters are the core's: adverts sent/accepted, rejections by reason, stalls, mismatches. */
  readonly counters: ElectionCounters;
  /** timers: how often the election's own timers ran late (stalls of this process). */
  readonly timers: TimerLatenessStats;
  readonly transport: TransportCounters;
}

/** ToElectionThread is every message the main thread posts to the election thread. */
export type ToElectionThread =
  | { readonly kind: 'event'; readonly event: ControlEvent }
  | { readonly kind: 'shutdown' }
  | { readonly kind: 'statusRequest'; readonly requestId: number };

/** SerializedError carries a typed error across the thread boundary (classes do not survive). */
export interface SerializedError {
  readonly name: string;
  readonly code: string | null;
  readonly message: string;
}

/** FromElectionThread is every message the election thread posts to the main thread. */
export type FromElectionThread =
  | { readonly kind: 'ready'; readonly bound: readonly UdpEndpoint[]; readonly priority: ThreadPriority | null }
  | { readonly kind: 'failed'; readonly error: SerializedError }
  | { readonly kind: 'notice'; readonly notice: ElectionNotice }
  | { readonly kind: 'status'; readonly requestId: number; readonly status: ElectionStatus }
  | { readonly kind: 'stopped'; readonly status: ElectionStatus };

/** serializeError keeps name, code and message of any thrown value. */
export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { name: error.name, code: typeof code === 'string' ? code : null, message: error.message };
  }
  return { name: 'Error', code: null, message: String(error) };
}
