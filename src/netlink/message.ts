/**
 * message: netlink message framing (struct nlmsghdr), the generic netlink header, and the
 * NLMSG_ERROR reply that carries both acks and errors.
 */
import {
  GENL_HDRLEN,
  NLMSGERR_ATTR_MSG,
  NLMSGERR_ATTR_OFFS,
  NLMSG_ERROR,
  NLMSG_HDRLEN,
  NLM_F_ACK_TLVS,
  NLM_F_CAPPED,
  align4,
} from './constants.js';
import { u32At } from './bytes.js';
import { AttributeSet, type NetlinkAttribute, attributesLength, writeAttributes } from './attributes.js';
import { NetlinkParseError } from './parse-error.js';

/** NetlinkMessage is one decoded message: the header fields and the payload after the header. */
export interface NetlinkMessage {
  readonly type: number;
  readonly flags: number;
  readonly seq: number;
  readonly pid: number;
  readonly payload: Buffer;
}

/** NetlinkRequest is what a caller asks to send; the connection assigns seq and pid. */
export interface NetlinkRequest {
  readonly type: number;
  readonly flags: number;
  /** The bytes after the nlmsghdr: a family header, then attributes. */
  readonly payload: Uint8Array;
}

/** encodeMessage frames one message with its 16-byte header. */
export function encodeMessage(request: NetlinkRequest, seq: number, pid = 0): Buffer {
  const buf = Buffer.alloc(align4(NLMSG_HDRLEN + request.payload.length));
  writeMessage(buf, 0, request, seq, pid);
  return buf;
}

/** writeMessage frames one message into `buf` at `offset` and returns the offset after it. */
export function writeMessage(buf: Buffer, offset: number, request: NetlinkRequest, seq: number, pid = 0): number {
  const length = NLMSG_HDRLEN + request.payload.length;
  buf.writeUInt32LE(length, offset);
  buf.writeUInt16LE(request.type, offset + 4);
  buf.writeUInt16LE(request.flags, offset + 6);
  buf.writeUInt32LE(seq >>> 0, offset + 8);
  buf.writeUInt32LE(pid >>> 0, offset + 12);
  buf.set(request.payload, offset + NLMSG_HDRLEN);
  return offset + align4(length);
}

/**
 * decodeMessages splits one datagram into messages. A header whose length runs past the end,
 * or is shorter than a header, is a NetlinkParseError: the kernel never sends one, so such bytes
 * mean corruption and must not be guessed at.
 */
export function decodeMessages(datagram: Buffer): NetlinkMessage[] {
  return messageStarts(datagram, 0, datagram.length).map((at) => messageAt(datagram, at));
}

/**
 * messageStarts returns the offset of each netlink message framed end to end in
 * bytes[start, end), each 4-byte aligned (netlink(7)), or throws NetlinkParseError where the
 * framing breaks. Reading the headers in place, without a message object each, is what lets
 * a large dump be decoded where it was received.
 */
export function messageStarts(bytes: Buffer, start: number, end: number): number[] {
  const starts: number[] = [];
  for (let at = start; at < end; at += align4(messageLength(bytes, at, end))) starts.push(at);
  return starts;
}

/**
 * messageLength is the nlmsg_len of the message whose header is at `at`, checked to be at
 * least a header and to fit before `end`; otherwise it throws NetlinkParseError.
 */
export function messageLength(bytes: Buffer, at: number, end: number): number {
  if (end - at < NLMSG_HDRLEN) throw new NetlinkParseError(`${end - at} trailing bytes are too short for a message header`, at);
  const length = u32At(bytes, at);
  if (length < NLMSG_HDRLEN || at + length > end) throw new NetlinkParseError(`message claims ${length} bytes, ${end - at} remain`, at);
  return length;
}

/** messageAt decodes the message whose header is at `at` (framing already checked by messageStarts). */
export function messageAt(bytes: Buffer, at: number): NetlinkMessage {
  return {
    type: bytes.readUInt16LE(at + 4),
    flags: bytes.readUInt16LE(at + 6),
    seq: bytes.readUInt32LE(at + 8),
    pid: bytes.readUInt32LE(at + 12),
    payload: bytes.subarray(at + NLMSG_HDRLEN, at + bytes.readUInt32LE(at)),
  };
}

/** GenericHeader is struct genlmsghdr: the command and the family's interface version. */
export interface GenericHeader {
  readonly cmd: number;
  readonly version: number;
}

/** genericPayload builds a generic netlink payload: genlmsghdr then attributes. */
export function genericPayload(header: GenericHeader, attributes: readonly NetlinkAttribute[]): Buffer {
  const buf = Buffer.alloc(GENL_HDRLEN + attributesLength(attributes));
  buf.writeUInt8(header.cmd, 0);
  buf.writeUInt8(header.version, 1);
  writeAttributes(buf, GENL_HDRLEN, attributes);
  return buf;
}

/** decodeGeneric splits a generic netlink payload into its header and attributes. */
export function decodeGeneric(message: NetlinkMessage): { header: GenericHeader; attributes: AttributeSet } {
  if (message.payload.length < GENL_HDRLEN) {
    throw new NetlinkParseError(`generic payload of ${message.payload.length} bytes has no genlmsghdr`, NLMSG_HDRLEN);
  }
  return {
    header: { cmd: message.payload.readUInt8(0), version: message.payload.readUInt8(1) },
    attributes: AttributeSet.decode(message.payload.subarray(GENL_HDRLEN), NLMSG_HDRLEN + GENL_HDRLEN),
  };
}

/**
 * AckOrError is a decoded NLMSG_ERROR: errno 0 is an ack. `seq` is the sequence number of the
 * request it answers (from the echoed header), and the extended ack text is the kernel's own
 * explanation when it gave one (NETLINK_EXT_ACK).
 */
export interface AckOrError {
  /** Positive errno, or 0 for an ack. */
  readonly errno: number;
  readonly seq: number;
  readonly requestType: number;
  readonly extendedMessage?: string;
  readonly extendedOffset?: number;
}

/**
 * decodeAckOrError reads struct nlmsgerr { int error; struct nlmsghdr msg; ... }. The kernel
 * echoes the whole request unless NLM_F_CAPPED is set, and appends ext-ack TLVs when
 * NLM_F_ACK_TLVS is set.
 */
export function decodeAckOrError(message: NetlinkMessage): AckOrError {
  if (message.type !== NLMSG_ERROR) throw new NetlinkParseError(`message type ${message.type} is not NLMSG_ERROR`, 4);
  const payload = message.payload;
  if (payload.length < 4 + NLMSG_HDRLEN) {
    throw new NetlinkParseError(`NLMSG_ERROR payload of ${payload.length} bytes is too short`, NLMSG_HDRLEN);
  }
  const error = payload.readInt32LE(0);
  const echoedLength = payload.readUInt32LE(4);
  const result = { errno: error === 0 ? 0 : -error, seq: payload.readUInt32LE(12), requestType: payload.readUInt16LE(8) };
  if ((message.flags & NLM_F_ACK_TLVS) === 0) return result;
  const echoed = (message.flags & NLM_F_CAPPED) !== 0 ? NLMSG_HDRLEN : align4(echoedLength);
  const tlvStart = 4 + echoed;
  if (tlvStart > payload.length) throw new NetlinkParseError('ext-ack TLVs start past the end of the message', NLMSG_HDRLEN + 4);
  const tlvs = AttributeSet.decode(payload.subarray(tlvStart), NLMSG_HDRLEN + tlvStart);
  const extendedMessage = tlvs.string(NLMSGERR_ATTR_MSG);
  const extendedOffset = tlvs.u32(NLMSGERR_ATTR_OFFS);
  return {
    ...result,
    ...(extendedMessage === undefined ? {} : { extendedMessage }),
    ...(extendedOffset === undefined ? {} : { extendedOffset }),
  };
}
