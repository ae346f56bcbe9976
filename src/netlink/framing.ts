/**
 * framing: the byte-level framing the native transport needs around the addon: requests laid
 * out in chunks for sendmsg, and where each dump of an in-turn exchange ends in the replies.
 * Pure functions of bytes; the meaning of the replies is decided in native-transport.ts.
 */
import { NLMSG_DONE, NLMSG_ERROR, NLMSG_HDRLEN, NLMSG_NOOP, NLMSG_OVERRUN, align4 } from './constants.js';
import { type NetlinkRequest, writeMessage } from './message.js';

/**
 * frame writes `messages` with sequence numbers from `first` into one buffer and cuts it into
 * chunks of at most `chunkBytes` on message boundaries (a lone larger message is a chunk).
 */
export function frame(messages: readonly NetlinkRequest[], first: number, chunkBytes: number): { data: Buffer; chunkEnds: number[] } {
  let total = 0;
  for (const message of messages) total += align4(NLMSG_HDRLEN + message.payload.length);
  const data = Buffer.alloc(total);
  const chunkEnds: number[] = [];
  let at = 0;
  let chunkStart = 0;
  messages.forEach((message, index) => {
    const end = writeMessage(data, at, message, first + index);
    if (end - chunkStart > chunkBytes && at > chunkStart) {
      chunkEnds.push(at);
      chunkStart = at;
    }
    at = end;
  });
  chunkEnds.push(at);
  return { data, chunkEnds };
}

/**
 * terminalEnd returns where the terminal message (NLMSG_DONE or NLMSG_ERROR) of `seq` ends,
 * reading headers from `start`; the end of `bytes` when there is none or the framing breaks
 * (decodeMessages then says how).
 */
export function terminalEnd(bytes: Buffer, start: number, seq: number): number {
  let at = start;
  while (bytes.length - at >= NLMSG_HDRLEN) {
    const length = bytes.readUInt32LE(at);
    if (length < NLMSG_HDRLEN || length > bytes.length - at) break;
    const type = bytes.readUInt16LE(at + 4);
    const terminal = bytes.readUInt32LE(at + 8) === seq && (type === NLMSG_DONE || type === NLMSG_ERROR);
    at = Math.min(at + align4(length), bytes.length);
    if (terminal) return at;
  }
  return bytes.length;
}

/**
 * isPartOf says whether the message at `at` is a data part of the dump `seq`, as collect()
 * would file it: its sequence number, and none of the control types collect() handles.
 */
export function isPartOf(bytes: Buffer, at: number, seq: number): boolean {
  const type = bytes.readUInt16LE(at + 4);
  return bytes.readUInt32LE(at + 8) === seq && type !== NLMSG_NOOP && type !== NLMSG_ERROR && type !== NLMSG_DONE && type !== NLMSG_OVERRUN;
}
