/**
 * quorum: whether a virtual server has enough healthy weight to serve on its own, with
 * hysteresis so a flapping real server does not flip the service in and out of its sorry server.
 *
 * The live weight is the sum of the configured weights of the real servers that are up and not
 * drained. With `minWeight` m and `hysteresis` h (docs/config.md, as keepalived's quorum and
 * hysteresis):
 *
 * - a service that has quorum loses it when the live weight falls below m − h;
 * - a service without quorum regains it when the live weight reaches m + h;
 * - in between, it keeps what it had. The first evaluation has no history: it has quorum at m;
 * - a live weight of 0 never has quorum, even when m − h ≤ 0: with every real server down or
 *   drained there is nothing to serve with, and the sorry server must take over.
 *
 * Pure: the previous state is an input, the next state the output.
 */
import type { Quorum } from '../config/types.js';

/** QuorumState is whether a service has its quorum; undefined before its first evaluation. */
export type QuorumState = boolean | undefined;

/** nextQuorum is a service's quorum after its live weight became `liveWeight`; see the file comment. */
export function nextQuorum(previous: QuorumState, liveWeight: number, quorum: Quorum): boolean {
  if (liveWeight === 0) return false;
  if (previous === undefined) return liveWeight >= quorum.minWeight;
  if (previous) return liveWeight >= quorum.minWeight - quorum.hysteresis;
  return liveWeight >= quorum.minWeight + quorum.hysteresis;
}
