/**
 * framing: the byte-level framing the native transport needs around the addon: requests laid
 * out in chunks for sendmsg, and which messages of an in-turn exchange's replies are each dump's.
 * Pure functions of bytes; the meaning of the replies is decided in native-transport.ts.
 */
import { NLMSG_DONE, NLMSG_ERROR, NLMSG_HDRLEN, NLMSG_NOOP, NLMSG_OVERRUN, NLM_F_DUMP_INTR, align4 } from './constants.js';
import { u16At, u32At } from './bytes.js';
import { type NetlinkRequest, messageLength, writeMessage } from './message.js';

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
 * DumpMessages is where one dump's messages lie in the replies of an in-turn exchange. The
 * offsets go into arrays the caller keeps (dumpMessages overwrites them from index 0 and
 * never shrinks them: one array per dump, grown part by part, or one emptied with
 * `length = 0`, which drops its storage, made a read-back of 1,000 IPVS services allocate
 * 0.7 MB more; bench/ipvs-table).
 */
export interface DumpMessages {
  /** partStarts[0, partCount) are the dump's data parts, the messages collect() would file as its replies. */
  readonly partStarts: number[];
  partCount: number;
  /** otherStarts[0, otherCount) are the other messages read: the dump's terminal one, and stray replies. */
  readonly otherStarts: number[];
  otherCount: number;
  /** interrupted says whether a part carries NLM_F_DUMP_INTR: the table changed meanwhile. */
  interrupted: boolean;
  /** end is where the dump's terminal message ends, or the end of the bytes when none came. */
  end: number;
}

/**
 * dumpMessages reads message headers from `start` through the terminal message (NLMSG_DONE
 * or NLMSG_ERROR) of dump `seq`, or to the end of `bytes`, in one pass, and sorts them into
 * `into`: the dump's data parts and the rest. It throws NetlinkParseError where the framing
 * breaks before that terminal message. One pass with no object per part: a read-back of
 * 1,000 IPVS services has 20,000 parts, most of them read before V8 has optimised this
 * (bench/ipvs-table).
 */
export function dumpMessages(bytes: Buffer, start: number, seq: number, into: DumpMessages): void {
  const { partStarts, otherStarts } = into;
  let parts = 0;
  let others = 0;
  let interrupted = false;
  let at = start;
  while (at < bytes.length) {
    const length = messageLength(bytes, at, bytes.length);
    const type = u16At(bytes, at + 4);
    const ours = u32At(bytes, at + 8) === seq;
    if (ours && type !== NLMSG_NOOP && type !== NLMSG_ERROR && type !== NLMSG_DONE && type !== NLMSG_OVERRUN) {
      partStarts[parts++] = at;
      interrupted ||= (u16At(bytes, at + 6) & NLM_F_DUMP_INTR) !== 0;
    } else {
      otherStarts[others++] = at;
    }
    // The addon pads each datagram to 4 bytes, so only a truncated last message could end past them.
    at = Math.min(at + align4(length), bytes.length);
    if (ours && (type === NLMSG_DONE || type === NLMSG_ERROR)) break;
  }
  into.partCount = parts;
  into.otherCount = others;
  into.interrupted = interrupted;
  into.end = at;
}
