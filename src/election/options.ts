/**
 * options: the input the daemon fills from the config file and the key file to build an election.
 * The election core does not read config itself; it only checks the invariants it relies on.
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { KeySet } from './types.js';

/** TrackedCheck names a check whose failure lowers priority by `weight`, or forces fault. */
export interface TrackedCheck {
  readonly name: string;
  /** 'fault' forces the fault state while failing; a number is subtracted from priority. */
  readonly onFailure: 'fault' | { readonly lowerPriorityBy: number };
}

/** ElectionOptions is everything one node's election needs, already loaded and validated. */
export interface ElectionOptions {
  /** groupId names the election group, 1..65535; both nodes use the same one. */
  readonly groupId: number;
  /** nodeId is this node's 32-bit id (usually nodeIdFromName(node name)). */
  readonly nodeId: number;
  /** peerNodeIds are the other members' ids; adverts from anyone else are 'unknown-peer'. */
  readonly peerNodeIds: readonly number[];
  /** priority 1..255; 255 takes over at once on startup (RFC 5798 §6.4.1, address owner). */
  readonly priority: number;
  /** advertIntervalMs is how often a master adverts, ADVERT_INTERVAL_MIN_MS..ADVERT_INTERVAL_MAX_MS. */
  readonly advertIntervalMs: number;
  /** preempt: a backup with a higher priority takes over from a lower-priority master. */
  readonly preempt: boolean;
  /** preemptDelayMs: how long a lower-priority master must be seen before we preempt it. */
  readonly preemptDelayMs: number;
  /** vips are the group's virtual addresses (only their set enters the config digest). */
  readonly vips: readonly string[];
  /** keys are the HMAC-SHA256 keys from the key file, never from the YAML. */
  readonly keys: KeySet;
  /** trackedInterfaces: if any goes down, the node enters fault. */
  readonly trackedInterfaces: readonly string[];
  /** trackedChecks lower the priority or force fault while failing. */
  readonly trackedChecks: readonly TrackedCheck[];
  /** stallThresholdMs: a masterDown timer later than this is blamed on our own stall. */
  readonly stallThresholdMs: number;
  /**
   * handoverTimeoutMs bounds how long a leaving master waits to hear its successor; a successor
   * derives its own wait for vipsHeld from it (vipsHeldWaitMs). Usually defaultHandoverTimeoutMs.
   */
  readonly handoverTimeoutMs: number;
}

/** ADVERT_INTERVAL_MIN_MS is the shortest advert interval (VRRPv3's 10 ms resolution, RFC 5798 §5.2.7). */
export const ADVERT_INTERVAL_MIN_MS = 10;
/** ADVERT_INTERVAL_MAX_MS is the longest advert interval (VRRPv3's 12-bit centisecond field, 40.95 s). */
export const ADVERT_INTERVAL_MAX_MS = 40_950;
/** KEY_MIN_BYTES: an HMAC key shorter than the SHA-256 output weakens it (RFC 2104 §3). */
export const KEY_MIN_BYTES = 32;
/** MAX_STALL_GRACES bounds back-to-back stall graces, so a node that always stalls still fails over. */
export const MAX_STALL_GRACES = 3;

/**
 * defaultStallThresholdMs is half an advert interval: a timer that late means this process, not
 * the network, lost time (a LAN delivers adverts in well under a millisecond).
 */
export function defaultStallThresholdMs(advertIntervalMs: number): number {
  return Math.max(1, Math.floor(advertIntervalMs / 2));
}

/**
 * VIPS_HELD_WAIT_MIN_MS is the shortest time a successor waits for its daemon's main thread to
 * report the VIPs held before it sends its first advert anyway (vipsHeldWaitMs). The election runs
 * on its own realtime thread; the VIPs are added and announced on the main thread, which lagged it
 * by 129–870 ms in 4 of 120 handovers at load 18–30 (bench/failover/README.md, "Planned handover",
 * kind 1). One second covers the worst lag measured.
 */
const VIPS_HELD_WAIT_MIN_MS = 1000;

/**
 * HANDOVER_MARGIN_ADVERTS is how many advert intervals the leaving master's handover timeout
 * exceeds its successor's longest wait for vipsHeld: the successor takes over only after its skew
 * (under one interval, RFC 5798 §6.1), and one more interval absorbs one lost advert (the leaving
 * master's first priority-0 advert, which delays the takeover by an interval, or the successor's
 * first advert, repeated an interval later).
 */
const HANDOVER_MARGIN_ADVERTS = 2;

/**
 * defaultHandoverTimeoutMs is how long a leaving master keeps its VIPs waiting for its successor's
 * first advert: HANDOVER_MARGIN_ADVERTS intervals plus the successor's longest wait for its main
 * thread, max(one interval, VIPS_HELD_WAIT_MIN_MS). At the default 50 ms adverts that is 1100 ms
 * (the successor waits up to 1000 ms), at 10 ms 1020 ms, at keepalived's 1000 ms 3000 ms (the
 * successor waits one interval, as before). The cost falls on a master that stops with no peer to
 * answer: it keeps its VIPs, and systemd waits, for the whole timeout before the daemon exits.
 */
export function defaultHandoverTimeoutMs(advertIntervalMs: number): number {
  return HANDOVER_MARGIN_ADVERTS * advertIntervalMs + Math.max(advertIntervalMs, VIPS_HELD_WAIT_MIN_MS);
}

/**
 * vipsHeldWaitMs bounds how long a node that took over from a leaving master waits for vipsHeld
 * before its first advert: its own handoverTimeoutMs less HANDOVER_MARGIN_ADVERTS intervals, so
 * that the leaving master (same config, same timeout) still hears that advert before it gives up.
 * With the default timeout that is max(one interval, VIPS_HELD_WAIT_MIN_MS). A timeout set shorter
 * than the margin leaves no time to wait: 0, the successor adverts at once.
 */
export function vipsHeldWaitMs(options: Pick<ElectionOptions, 'handoverTimeoutMs' | 'advertIntervalMs'>): number {
  return Math.max(0, options.handoverTimeoutMs - HANDOVER_MARGIN_ADVERTS * options.advertIntervalMs);
}

/**
 * nodeIdFromName derives a stable 32-bit node id from a node's name: the first four bytes of
 * SHA-256 over a domain tag and the name. Both directors compute each other's id the same way.
 */
export function nodeIdFromName(name: string): number {
  return createHash('sha256').update('tandem node id v1\0').update(name, 'utf8').digest().readUInt32BE(0);
}

/** ElectionOptionsError reports options the election cannot run with; fix the config or key file. */
export class ElectionOptionsError extends Error {
  /** code is stable, for scripts and tests. */
  readonly code = 'TANDEM_ELECTION_OPTIONS';
  override readonly name = 'ElectionOptionsError';
}

/**
 * assertElectionOptions throws an ElectionOptionsError naming the first invalid field. The config
 * loader validates the YAML too; this guards the invariants the wire format and timers rely on.
 */
export function assertElectionOptions(options: ElectionOptions): void {
  const fail = (message: string): never => {
    throw new ElectionOptionsError(`election: ${message}`);
  };
  if (!isIntIn(options.groupId, 1, 0xffff)) fail(`groupId ${options.groupId} must be an integer 1..65535`);
  if (!isIntIn(options.nodeId, 0, 0xffffffff)) fail(`nodeId ${options.nodeId} must be a 32-bit unsigned integer`);
  if (options.peerNodeIds.length === 0) fail('peerNodeIds is empty: an election needs at least one peer');
  const ids = new Set([options.nodeId]);
  for (const peer of options.peerNodeIds) {
    if (!isIntIn(peer, 0, 0xffffffff)) fail(`peer node id ${peer} must be a 32-bit unsigned integer`);
    if (ids.has(peer)) fail(`node id ${peer} appears twice; give every node a distinct name`);
    ids.add(peer);
  }
  if (!isIntIn(options.priority, 1, 255)) fail(`priority ${options.priority} must be an integer 1..255`);
  if (!isIntIn(options.advertIntervalMs, ADVERT_INTERVAL_MIN_MS, ADVERT_INTERVAL_MAX_MS)) {
    fail(`advertIntervalMs ${options.advertIntervalMs} must be ${ADVERT_INTERVAL_MIN_MS}..${ADVERT_INTERVAL_MAX_MS}`);
  }
  if (!isIntIn(options.preemptDelayMs, 0, Number.MAX_SAFE_INTEGER)) fail('preemptDelayMs must be a non-negative integer');
  if (!isIntIn(options.stallThresholdMs, 1, Number.MAX_SAFE_INTEGER)) fail('stallThresholdMs must be a positive integer');
  if (!isIntIn(options.handoverTimeoutMs, 1, Number.MAX_SAFE_INTEGER)) fail('handoverTimeoutMs must be a positive integer');
  for (const vip of options.vips) if (isIP(vip) === 0) fail(`vip ${vip} is not an IP address`);
  assertKeySet(options.keys);
  for (const check of options.trackedChecks) {
    if (check.onFailure !== 'fault' && !isIntIn(check.onFailure.lowerPriorityBy, 1, 254)) {
      fail(`tracked check ${check.name}: lowerPriorityBy must be an integer 1..254`);
    }
  }
}

/** assertKeySet throws an ElectionOptionsError for a key too short to sign with. */
export function assertKeySet(keys: KeySet): void {
  for (const [which, key] of [['current', keys.current], ['next', keys.next]] as const) {
    if (key !== undefined && key.length < KEY_MIN_BYTES) {
      throw new ElectionOptionsError(
        `election: the ${which} key is ${key.length} bytes; use at least ${KEY_MIN_BYTES} random bytes (e.g. \`head -c 32 /dev/urandom\`)`,
      );
    }
  }
}

function isIntIn(value: number, min: number, max: number): boolean {
  return Number.isInteger(value) && value >= min && value <= max;
}
