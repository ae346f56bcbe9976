/**
 * dump-view: a dump's parts read in place, where the transport received them, for decoders
 * of large read-backs. A message object and a Buffer view per part cost little one at a time,
 * but an IPVS read-back has 20,000 parts (one per real server), and in a user-mode-linux
 * guest the garbage they make is a good share of its time (bench/ipvs-table).
 */
import { NLMSG_HDRLEN, align4 } from './constants.js';
import type { NetlinkMessage, NetlinkRequest } from './message.js';
import type { DumpOutcome, NetlinkTransport } from './transport.js';

/**
 * DumpView is one dump's parts in place: the netlink message whose header starts at each
 * offset of `partStarts` in `bytes` (nlmsg_len first, framing already checked). The parts are
 * the dump's data messages only, without its NLMSG_DONE and without stray messages.
 */
export interface DumpView {
  readonly bytes: Buffer;
  readonly partStarts: readonly number[];
}

/**
 * DumpViewDecoder makes a value of one dump's parts in place. Like DumpDecoder it runs before
 * the call resolves and must keep nothing of `bytes`, which later dumps overwrite.
 */
export type DumpViewDecoder<T> = (dump: DumpView, index: number) => T;

/**
 * dumpManyInPlace runs dumps as NetlinkTransport.dumpMany does, each decoded from a DumpView:
 * in place with a transport that offers dumpManyInPlace, else (fakes, wrappers) from a copy of
 * the parts that dumpMany returned, so decoders have one input whatever the transport.
 */
export function dumpManyInPlace<T>(transport: NetlinkTransport, requests: readonly NetlinkRequest[], decode: DumpViewDecoder<T>): Promise<readonly DumpOutcome<T>[]> {
  if (transport.dumpManyInPlace !== undefined) return transport.dumpManyInPlace(requests, decode);
  return transport.dumpMany(requests, (parts, index) => decode(viewOfParts(parts), index));
}

/** viewOfParts lays messages end to end in a new buffer, as the kernel would have sent them. */
export function viewOfParts(parts: readonly NetlinkMessage[]): DumpView {
  const partStarts: number[] = [];
  let length = 0;
  for (const part of parts) {
    partStarts.push(length);
    length += align4(NLMSG_HDRLEN + part.payload.length);
  }
  const bytes = Buffer.alloc(length);
  parts.forEach((part, i) => {
    const at = partStarts[i] ?? 0;
    bytes.writeUInt32LE(NLMSG_HDRLEN + part.payload.length, at);
    bytes.writeUInt16LE(part.type, at + 4);
    bytes.writeUInt16LE(part.flags, at + 6);
    bytes.writeUInt32LE(part.seq, at + 8);
    bytes.writeUInt32LE(part.pid, at + 12);
    bytes.set(part.payload, at + NLMSG_HDRLEN);
  });
  return { bytes, partStarts };
}
