/**
 * replay-guard: per-peer anti-replay from (epoch, counter), with no wall clock.
 *
 * Every node draws a random 64-bit epoch at boot and numbers its adverts 1, 2, 3, … within it.
 * The guard remembers, for each peer, the last RECENT_EPOCHS_PER_PEER epochs it accepted and the
 * highest counter accepted in each. The rule (docs/protocol.md "Anti-replay"):
 *
 * - an advert whose epoch is remembered is accepted only if its counter is higher than every
 *   counter accepted before in that epoch; anything else is 'replay'. This also holds after the
 *   peer has moved to a newer epoch, so a packet captured before the peer rebooted stays refused;
 * - an advert with an epoch not remembered is accepted (its tag has already been verified): that
 *   is a peer that rebooted, or the first advert heard since this node booted.
 *
 * Why old epochs are not "retired" outright: an attacker holding authentic captures from a peer
 * boot this node never heard could then inject that epoch and lock the genuine peer out. With a
 * high-water mark per epoch, a finite capture buys at most one delivery of each packet this node
 * missed, and the genuine peer, whose counter keeps rising, is never refused.
 */
import type { Advert } from './types.js';

/** RECENT_EPOCHS_PER_PEER bounds the memory per peer; a peer reboots far less often than this. */
export const RECENT_EPOCHS_PER_PEER = 8;

/** EpochHighWater is one remembered epoch and the highest counter accepted in it. */
export interface EpochHighWater {
  readonly epoch: bigint;
  readonly highestCounter: bigint;
}

/** ReplayGuard maps a peer's node id to its remembered epochs, most recently accepted first. */
export type ReplayGuard = ReadonlyMap<number, readonly EpochHighWater[]>;

/** emptyReplayGuard is the guard of a node that has heard nobody yet. */
export function emptyReplayGuard(): ReplayGuard {
  return new Map();
}

/** ReplayVerdict is checkReplay's answer; on acceptance it carries the updated guard. */
export type ReplayVerdict =
  | { readonly fresh: true; readonly guard: ReplayGuard; readonly newEpoch: boolean }
  | { readonly fresh: false };

/**
 * checkReplay decides whether an authenticated advert is fresh and, if so, records it. newEpoch
 * tells the caller the peer (re)started, which the state machine may log.
 */
export function checkReplay(guard: ReplayGuard, advert: Pick<Advert, 'nodeId' | 'epoch' | 'counter'>): ReplayVerdict {
  const remembered = guard.get(advert.nodeId) ?? [];
  const known = remembered.find((entry) => entry.epoch === advert.epoch);
  if (known !== undefined && advert.counter <= known.highestCounter) return { fresh: false };

  const others = remembered.filter((entry) => entry.epoch !== advert.epoch);
  const updated = [{ epoch: advert.epoch, highestCounter: advert.counter }, ...others].slice(0, RECENT_EPOCHS_PER_PEER);
  const next = new Map(guard);
  next.set(advert.nodeId, updated);
  return { fresh: true, guard: next, newEpoch: known === undefined };
}
