/**
 * types: the vocabulary of tandem's election core, shared by the codec, the receive pipeline and
 * the state machine. The core is pure: events go in, actions come out, and the daemon (the shell)
 * carries the actions out. See docs/protocol.md for the wire layout and the rules.
 */

/** ElectionStateName is a node's role, named as in RFC 5798 §6.4 plus a fault state. */
export type ElectionStateName = 'init' | 'backup' | 'master' | 'fault';

/** ELECTION_STATE_CODES maps each role to its one-byte wire value (advert offset 5). */
export const ELECTION_STATE_CODES: Readonly<Record<ElectionStateName, number>> = {
  init: 0,
  backup: 1,
  master: 2,
  fault: 3,
};

/**
 * ADVERT_FLAG_HANDOVER marks an advert from a master that is leaving on purpose (graceful stop or
 * an operator's handover) and keeps its VIPs until it hears its successor: make-before-break.
 */
export const ADVERT_FLAG_HANDOVER = 0x01;

/** ADVERT_FLAGS_KNOWN is every flag bit this version defines; any other set bit is malformed. */
export const ADVERT_FLAGS_KNOWN = ADVERT_FLAG_HANDOVER;

/** Advert is one decoded election advertisement. */
export interface Advert {
  /** groupId names the election group; both directors of a pair use the same one. */
  readonly groupId: number;
  /** priority 1..255; 0 means "I am leaving" (RFC 5798 §6.4.3 on Shutdown). */
  readonly priority: number;
  /** advertIntervalMs is the sender's advert interval; a backup times out with it (RFC 5798 §6.4.2). */
  readonly advertIntervalMs: number;
  /** state is the sender's role when it sent the advert. */
  readonly state: ElectionStateName;
  /** flags is a bit set of ADVERT_FLAG_* values. */
  readonly flags: number;
  /** nodeId is the sender's stable 32-bit id (see nodeIdFromName). */
  readonly nodeId: number;
  /** epoch is the sender's random per-boot 64-bit value. */
  readonly epoch: bigint;
  /** counter strictly increases within one epoch; with the epoch it defeats replay. */
  readonly counter: bigint;
  /** configDigest is SHA-256 over the sender's election-relevant settings (config-digest.ts). */
  readonly configDigest: Uint8Array;
}

/**
 * RejectReason says why a received datagram was not used. Each is counted; the shell logs them
 * rate-limited (reject-log-limiter.ts). A config-digest mismatch is not a rejection: see
 * docs/protocol.md "Config digest".
 */
export type RejectReason =
  | 'malformed'
  | 'bad-version'
  | 'bad-auth'
  | 'replay'
  | 'wrong-group'
  | 'unknown-peer';

/** REJECT_REASONS lists every RejectReason, for counters and reports. */
export const REJECT_REASONS: readonly RejectReason[] = [
  'malformed',
  'bad-version',
  'bad-auth',
  'replay',
  'wrong-group',
  'unknown-peer',
];

/**
 * TimerName is one of the core's timers. The shell keeps at most one of each; arming an armed
 * timer replaces it.
 * - advert: a master's periodic advert (RFC 5798 Adver_Timer).
 * - masterDown: a backup's peer-is-dead timer (RFC 5798 Master_Down_Timer).
 * - preemptDelay: a backup waiting before it preempts a lower-priority master.
 * - handover: the bound on how long a leaving master keeps its VIPs waiting for a successor.
 * - reannounce: a master's second announcement, one advert interval after a split brain heals,
 *   after the loser has had time to stop its own (docs/protocol.md "Split brain heals").
 */
export type TimerName = 'advert' | 'masterDown' | 'preemptDelay' | 'handover' | 'reannounce';

/** ElectionEvent is every input of step(). The shell produces them; timers fire as events. */
export type ElectionEvent =
  /** startup leaves init (RFC 5798 §6.4.1); the shell sends it once, after wiring. */
  | { readonly kind: 'startup' }
  /** datagram is one received UDP payload, verified by the core itself. */
  | { readonly kind: 'datagram'; readonly bytes: Uint8Array }
  /**
   * timerFired reports an armed timer. lateByMs is how late the callback ran by the shell's
   * monotonic clock, raised to the event-loop delay measured while the timer was armed, so that
   * the core can tell its own stall from a dead peer.
   */
  | { readonly kind: 'timerFired'; readonly timer: TimerName; readonly lateByMs: number }
  /** trackedInterface reports a tracked link going down or up (the shell watches rtnetlink). */
  | { readonly kind: 'trackedInterface'; readonly name: string; readonly up: boolean }
  /** trackedCheck reports a tracked check's verdict. */
  | { readonly kind: 'trackedCheck'; readonly name: string; readonly ok: boolean }
  /** keysChanged swaps the key set on a key-file reload; rotation causes no transition. */
  | { readonly kind: 'keysChanged'; readonly keys: KeySet }
  /** handover asks a master to pass the VIPs to a backup and then to stay backup. */
  | { readonly kind: 'handover' }
  /**
   * vipsHeld: the shell's main thread has carried out the addVips of that takeover (the VIPs are
   * on their interfaces and the first gratuitous ARP / NA is out). A successor of a leaving master
   * waits for it before its first advert (docs/protocol.md "Handover"); anywhere else it is a no-op.
   */
  | { readonly kind: 'vipsHeld'; readonly takeover: number }
  /** shutdown is a graceful stop: hand over if master, then rest in init. */
  | { readonly kind: 'shutdown' };

/**
 * KeySet holds the HMAC-SHA256 keys read from the key file. Adverts are signed with current and
 * accepted under current or next, so a rotation staged on both nodes never drops an advert.
 */
export interface KeySet {
  readonly current: Uint8Array;
  readonly next?: Uint8Array;
}

/** TransitionReason explains a role change, for the log line and the event stream. */
export type TransitionReason =
  | 'startup'
  | 'owner-startup'
  | 'master-down'
  | 'preempt'
  | 'peer-leaving'
  | 'higher-priority-master'
  | 'handover-complete'
  | 'handover-timeout'
  | 'tracked-down'
  | 'tracked-up'
  | 'shutdown';

/** ElectionAction is every output of step(), carried out by the shell in order. */
export type ElectionAction =
  /** sendAdvert: send bytes to the peer(s); priority and flags are repeated for logs. */
  | {
      readonly kind: 'sendAdvert';
      readonly bytes: Uint8Array;
      readonly priority: number;
      readonly flags: number;
    }
  | { readonly kind: 'armTimer'; readonly timer: TimerName; readonly afterMs: number }
  | { readonly kind: 'cancelTimer'; readonly timer: TimerName }
  /**
   * addVips: configure every VIP of the group on this node. takeover numbers this node's takeovers
   * since boot; the shell echoes it in vipsHeld, so that a report from an earlier takeover is
   * told apart from the one awaited.
   */
  | { readonly kind: 'addVips'; readonly takeover: number }
  /**
   * removeVips: remove every VIP of the group from this node. reason is the transition's: only
   * after 'handover-complete' has a successor taken the VIPs over, so only then may the shell keep
   * the addresses one announce burst longer (docs/protocol.md "Handover"); anything else (a higher
   * master, a fault, a handover that timed out) removes them at once.
   */
  | { readonly kind: 'removeVips'; readonly reason: TransitionReason }
  /** announce: gratuitous ARP / unsolicited NA for every VIP (after addVips, or on a heal). */
  | { readonly kind: 'announce' }
  /** transition: a role change; the shell logs it and flips the sync daemon role. */
  | {
      readonly kind: 'transition';
      readonly from: ElectionStateName;
      readonly to: ElectionStateName;
      readonly reason: TransitionReason;
    }
  /** rejected: a datagram was dropped; counted in state, the shell logs it rate-limited. */
  | { readonly kind: 'rejected'; readonly reason: RejectReason }
  /**
   * configMismatch: an authenticated peer runs different election settings. Emitted when a
   * peer's digest first differs or changes, and once more (matching: true) when it agrees again.
   */
  | {
      readonly kind: 'configMismatch';
      readonly nodeId: number;
      readonly matching: boolean;
      readonly localDigest: string;
      readonly peerDigest: string;
    }
  /** stall: a masterDown timer fired too late to trust; a grace window was armed instead. */
  | { readonly kind: 'stall'; readonly lateByMs: number };

/** StepResult is what step() returns: the next state and the actions to carry out, in order. */
export interface StepResult<S> {
  readonly state: S;
  readonly actions: readonly ElectionAction[];
}
