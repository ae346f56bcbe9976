/**
 * stats-codec: decode the nested IPVS_STATS_ATTR_* counters of a service or real server.
 *
 * The kernel sends two nests (ip_vs_ctl.c ip_vs_genl_fill_stats / _stats64): STATS with 32-bit
 * counters (but 64-bit byte counts) and, since Linux 4.1, STATS64 with every value 64-bit.
 * Values are read by their length, so both nests share one decoder.
 */
import { AttributeSet } from '../netlink/attributes.js';
import { NetlinkParseError } from '../netlink/parse-error.js';
import {
  IPVS_STATS_ATTR_CONNS,
  IPVS_STATS_ATTR_CPS,
  IPVS_STATS_ATTR_INBPS,
  IPVS_STATS_ATTR_INBYTES,
  IPVS_STATS_ATTR_INPKTS,
  IPVS_STATS_ATTR_INPPS,
  IPVS_STATS_ATTR_OUTBPS,
  IPVS_STATS_ATTR_OUTBYTES,
  IPVS_STATS_ATTR_OUTPKTS,
  IPVS_STATS_ATTR_OUTPPS,
} from './constants.js';
import { type Stats, ZERO_STATS } from './model.js';

/**
 * decodeStats prefers the 64-bit nest and falls back to the 32-bit one; a reply with neither
 * (a kernel before 2.6.32) reads as zeros.
 */
export function decodeStats(stats64: AttributeSet | undefined, stats32: AttributeSet | undefined): Stats {
  const set = stats64 ?? stats32;
  if (set === undefined) return ZERO_STATS;
  return {
    connections: counter(set, IPVS_STATS_ATTR_CONNS),
    inPackets: counter(set, IPVS_STATS_ATTR_INPKTS),
    outPackets: counter(set, IPVS_STATS_ATTR_OUTPKTS),
    inBytes: counter(set, IPVS_STATS_ATTR_INBYTES),
    outBytes: counter(set, IPVS_STATS_ATTR_OUTBYTES),
    connectionsPerSecond: counter(set, IPVS_STATS_ATTR_CPS),
    inPacketsPerSecond: counter(set, IPVS_STATS_ATTR_INPPS),
    outPacketsPerSecond: counter(set, IPVS_STATS_ATTR_OUTPPS),
    inBytesPerSecond: counter(set, IPVS_STATS_ATTR_INBPS),
    outBytesPerSecond: counter(set, IPVS_STATS_ATTR_OUTBPS),
  };
}

function counter(set: AttributeSet, type: number): bigint {
  const value = set.bytes(type);
  if (value === undefined) return 0n;
  if (value.length === 8) return value.readBigUInt64LE(0);
  if (value.length === 4) return BigInt(value.readUInt32LE(0));
  throw new NetlinkParseError(`stats attribute ${type} has ${value.length} bytes, expected 4 or 8`, 0);
}
