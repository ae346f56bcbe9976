/**
 * stats-codec: decode the nested IPVS_STATS_ATTR_* counters of a service or real server.
 *
 * The kernel sends two nests (ip_vs_ctl.c ip_vs_genl_fill_stats / _stats64): STATS with 32-bit
 * counters (but 64-bit byte counts) and, since Linux 4.1, STATS64 with every value 64-bit.
 * Values are read by their length, so both nests share one decoder.
 */
import { NetlinkParseError } from '../netlink/parse-error.js';
import { forEachAttribute } from './attribute-scan.js';
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
export function decodeStats(stats64: Buffer | undefined, stats32: Buffer | undefined): Stats {
  const buf = stats64 ?? stats32;
  if (buf === undefined) return ZERO_STATS;
  const values = [0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n];
  forEachAttribute(buf, 0, buf.length, (type, start, end) => {
    if (type < IPVS_STATS_ATTR_CONNS || type > IPVS_STATS_ATTR_OUTBPS) return;
    if (end - start === 8) values[type] = buf.readBigUInt64LE(start);
    else if (end - start === 4) values[type] = BigInt(buf.readUInt32LE(start));
    else throw new NetlinkParseError(`stats attribute ${type} has ${end - start} bytes, expected 4 or 8`, start);
  });
  const at = (type: number): bigint => values[type] ?? 0n;
  return {
    connections: at(IPVS_STATS_ATTR_CONNS),
    inPackets: at(IPVS_STATS_ATTR_INPKTS),
    outPackets: at(IPVS_STATS_ATTR_OUTPKTS),
    inBytes: at(IPVS_STATS_ATTR_INBYTES),
    outBytes: at(IPVS_STATS_ATTR_OUTBYTES),
    connectionsPerSecond: at(IPVS_STATS_ATTR_CPS),
    inPacketsPerSecond: at(IPVS_STATS_ATTR_INPPS),
    outPacketsPerSecond: at(IPVS_STATS_ATTR_OUTPPS),
    inBytesPerSecond: at(IPVS_STATS_ATTR_INBPS),
    outBytesPerSecond: at(IPVS_STATS_ATTR_OUTBPS),
  };
}
