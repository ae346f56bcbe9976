/**
 * election-state: the whole state of one node's election, and the small pure helpers every
 * handler shares (effective priority, fault condition, building the next advert).
 */
import { encodeAdvertBody } from './advert-codec.js';
import { sealAdvertBody } from './auth.js';
import { configDigest } from './config-digest.js';
import { assertElectionOptions, type ElectionOptions } from './options.js';
import { emptyReplayGuard, type ReplayGuard } from './replay-guard.js';
import { REJECT_REASONS, type ElectionAction, type ElectionStateName, type RejectReason } from './types.js';

/**
 * MasterDownMode says what the armed masterDown timer stands for, because its firing means
 * different things: 'normal' (3 adverts + skew missed), 'skew' (the master said it is leaving,
 * RFC 5798 §6.4.2), 'grace' (a stall grace window, see docs/protocol.md "Stalls"), or 'off'.
 */
export type MasterDownMode = 'off' | 'normal' | 'skew' | 'grace';

/** Leaving says whether a master is handing over and what it becomes once its successor speaks. */
export type Leaving = 'no' | 'handover' | 'shutdown';

/** ElectionCounters are the numbers the daemon exports as metrics and in `tandem status`. */
export interface ElectionCounters {
  readonly advertsSent: number;
  readonly advertsAccepted: number;
  readonly rejected: Readonly<Record<RejectReason, number>>;
  /** stalls counts masterDown firings blamed on our own lateness. */
  readonly stalls: number;
  /** configMismatches counts accepted adverts whose config digest differs from ours. */
  readonly configMismatches: number;
}

/** ElectionState is one node's election, replaced (never mutated) by every step(). */
export interface ElectionState {
  readonly options: ElectionOptions;
  readonly name: ElectionStateName;
  /** stopped is true once a shutdown completed; a stopped election ignores every event. */
  readonly stopped: boolean;
  readonly configDigest: Uint8Array;
  /** epoch and counter number our own adverts (docs/protocol.md "Anti-replay"). */
  readonly epoch: bigint;
  readonly counter: bigint;
  readonly replayGuard: ReplayGuard;
  /** masterAdvertIntervalMs is the master's interval as last advertised (RFC 5798 §6.4.2). */
  readonly masterAdvertIntervalMs: number;
  readonly masterDownMode: MasterDownMode;
  /** stallGraces counts back-to-back stall graces; an advert resets it. */
  readonly stallGraces: number;
  /** preemptPending is true while the preemptDelay timer runs. */
  readonly preemptPending: boolean;
  /** preemptSuppressed: after handing over, do not take the VIPs straight back. */
  readonly preemptSuppressed: boolean;
  readonly leaving: Leaving;
  /** reannouncePending: as master, a split brain just healed and the reannounce timer runs. */
  readonly reannouncePending: boolean;
  /** takeovers counts this node's takeovers since boot; the last one numbers the addVips awaited. */
  readonly takeovers: number;
  /**
   * awaitingVipsHeld: as master after a leaving peer, the first advert waits for vipsHeld of the
   * current takeover, or for the advert timer armed with vipsHeldWaitMs (transitions.ts becomeMaster).
   */
  readonly awaitingVipsHeld: boolean;
  readonly interfacesDown: ReadonlySet<string>;
  readonly checksFailing: ReadonlySet<string>;
  /** mismatchedPeers maps a peer to the digest (hex) it advertised that differs from ours. */
  readonly mismatchedPeers: ReadonlyMap<number, string>;
  readonly counters: ElectionCounters;
}

/**
 * initialElectionState builds the state of a node that has just booted, in init. epoch must be 64
 * random bits drawn by the shell at boot (crypto.randomBytes(8)); it throws ElectionOptionsError
 * for invalid options.
 */
export function initialElectionState(options: ElectionOptions, epoch: bigint): ElectionState {
  assertElectionOptions(options);
  const rejected = Object.fromEntries(REJECT_REASONS.map((reason) => [reason, 0])) as Record<RejectReason, number>;
  return {
    options,
    name: 'init',
    stopped: false,
    configDigest: configDigest(options),
    epoch,
    counter: 0n,
    replayGuard: emptyReplayGuard(),
    masterAdvertIntervalMs: options.advertIntervalMs,
    masterDownMode: 'off',
    stallGraces: 0,
    preemptPending: false,
    preemptSuppressed: false,
    leaving: 'no',
    reannouncePending: false,
    takeovers: 0,
    awaitingVipsHeld: false,
    interfacesDown: new Set(),
    checksFailing: new Set(),
    mismatchedPeers: new Map(),
    counters: { advertsSent: 0, advertsAccepted: 0, rejected, stalls: 0, configMismatches: 0 },
  };
}

/**
 * effectivePriority is the configured priority less the weights of failing tracked checks, never
 * below 1: priority 0 on the wire means "leaving" (RFC 5798 §5.2.4) and must not be reached by
 * tracking.
 */
export function effectivePriority(state: ElectionState): number {
  let priority = state.options.priority;
  for (const check of state.options.trackedChecks) {
    if (check.onFailure !== 'fault' && state.checksFailing.has(check.name)) priority -= check.onFailure.lowerPriorityBy;
  }
  return Math.max(1, priority);
}

/** inFaultCondition is true while a tracked interface is down or a fault-forcing check fails. */
export function inFaultCondition(state: ElectionState): boolean {
  if (state.interfacesDown.size > 0) return true;
  return state.options.trackedChecks.some((check) => check.onFailure === 'fault' && state.checksFailing.has(check.name));
}

/**
 * withAdvert numbers, encodes and signs our next advert and returns the state with the counter
 * advanced and the sendAdvert action. The advert says the given role, priority and flags.
 */
export function withAdvert(
  state: ElectionState,
  role: ElectionStateName,
  priority: number,
  flags: number,
): { state: ElectionState; action: ElectionAction } {
  const counter = state.counter + 1n;
  const body = encodeAdvertBody({
    groupId: state.options.groupId,
    priority,
    advertIntervalMs: state.options.advertIntervalMs,
    state: role,
    flags,
    nodeId: state.options.nodeId,
    epoch: state.epoch,
    counter,
    configDigest: state.configDigest,
  });
  return {
    state: { ...state, counter, counters: { ...state.counters, advertsSent: state.counters.advertsSent + 1 } },
    action: { kind: 'sendAdvert', bytes: sealAdvertBody(state.options.keys, body), priority, flags },
  };
}
