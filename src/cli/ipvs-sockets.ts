/**
 * ipvs-sockets: the two NETLINK_GENERIC sockets `tandem run` talks to IPVS on, wired as the
 * daemon needs them. bench/verdict-latency opens them the same way, so that what it measures
 * is what the daemon does.
 */
import { NETLINK_GENERIC } from '../netlink/constants.js';
import { WritesFirst } from '../netlink/dump-runner.js';
import { NativeNetlinkTransport } from '../netlink/native-transport.js';

/**
 * SMALL_BATCH_BYTES is the largest batch the write socket sends from the JS thread
 * (NativeTransportOptions.sendBatchesHereUpToBytes). A weight change is one message of about
 * 100 bytes, and a verdict's fast pass touches one service, so 4 KiB covers every fast pass
 * short of a service with dozens of real servers changing at once; a full pass's batch over a
 * large table is far larger and stays on the pool.
 */
export const SMALL_BATCH_BYTES = 4096;

/** IpvsSockets are the IPVS write socket, the table-read socket and the gate between them. */
export interface IpvsSockets {
  /** writes carries every IPVS and sync-daemon command, and the owner's batches. */
  readonly writes: NativeNetlinkTransport;
  /** reads carries the IPVS owner's full-pass listings, which yield to `writes` at `writesFirst`. */
  readonly reads: NativeNetlinkTransport;
  readonly writesFirst: WritesFirst;
}

/**
 * openIpvsSockets opens both sockets in the current network namespace.
 *  - Two sockets: one socket runs one exchange at a time, so a verdict's weight change on
 *    `writes` never waits behind a table read on `reads`.
 *  - The listing yields to writes (dump-runner.ts, WritesFirst): the two share the JS thread,
 *    and a weight change's ack would otherwise wait behind the listing's decoding. The IPVS
 *    owner's full-pass slices wait for the same gate (IpvsOwnerPorts.writesFirst).
 *  - Small batches are sent from the JS thread (SMALL_BATCH_BYTES).
 * `timeoutMs` is the transports' idle timeout (their default when absent).
 */
export function openIpvsSockets(timeoutMs?: number): IpvsSockets {
  const writesFirst = new WritesFirst();
  const timeout = timeoutMs === undefined ? {} : { timeoutMs };
  const writes = NativeNetlinkTransport.open(NETLINK_GENERIC, { ...timeout, writesFirst, sendBatchesHereUpToBytes: SMALL_BATCH_BYTES });
  try {
    const reads = NativeNetlinkTransport.open(NETLINK_GENERIC, { ...timeout, dumpsYieldTo: writesFirst });
    return { writes, reads, writesFirst };
  } catch (error) {
    writes.close();
    throw error;
  }
}
