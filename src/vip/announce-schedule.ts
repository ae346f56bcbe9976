/**
 * announce-schedule: when gratuitous ARPs / unsolicited NAs go out after a node takes the VIPs.
 *
 * A burst of `count` packets `intervalMs` apart (a single frame can be lost or arrive before a
 * switch has learnt the port), then the same burst again after `repeatAfterMs` for switches and
 * hosts that missed the first, like keepalived's garp_master_repeat / garp_master_delay.
 * A periodic refresh, when set, repeats one burst forever while master (MetalLB issue #2910:
 * some hosts age out entries they learnt from a gratuitous ARP).
 * A node handing the VIPs over keeps them for as long as its successor's first burst lasts
 * (releaseDelayMs): a client that missed the burst's first frames still reaches a node that answers.
 */
import type { AnnounceConfig } from '../config/types.js';

/** burstOffsetsMs lists the send times of the first and second burst, relative to taking the VIPs. */
export function burstOffsetsMs(announce: AnnounceConfig): number[] {
  const burst = Array.from({ length: announce.count }, (_, index) => index * announce.intervalMs);
  if (announce.repeatAfterMs === 0) return burst;
  return [...burst, ...burst.map((offset) => announce.repeatAfterMs + offset)];
}

/** refreshOffsetsMs lists the send times of one refresh burst, relative to the refresh tick. */
export function refreshOffsetsMs(announce: AnnounceConfig): number[] {
  return Array.from({ length: announce.count }, (_, index) => index * announce.intervalMs);
}

/**
 * releaseDelayMs is how long a node that hands the VIPs over keeps the addresses after it
 * stopped announcing: the span of one burst, (count − 1) × intervalMs. The successor announces
 * in bursts because a frame can be lost, so a client may only move at the burst's last frame;
 * until then it still sends to the old holder, which must answer (make-before-break). The same
 * span absorbs a successor whose announcement lags its first advert on a loaded host, and lets
 * the old holder answer connections it accepted just before the clients moved.
 */
export function releaseDelayMs(announce: AnnounceConfig): number {
  return Math.max(0, announce.count - 1) * announce.intervalMs;
}
