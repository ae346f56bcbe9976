/**
 * advert-codec: the byte layout of a tandem election advert, version 1 (docs/protocol.md).
 *
 * An advert is a fixed 100-byte datagram: a 68-byte body followed by a 32-byte HMAC-SHA256 tag
 * over the body. All integers are big-endian (network order). Reading happens in two steps so that
 * no field is trusted before the tag is checked: frameAdvert() looks only at length, magic and
 * version; decodeAdvertBody() reads the fields once auth.ts has verified the tag.
 */
import {
  ADVERT_FLAGS_KNOWN,
  ELECTION_STATE_CODES,
  type Advert,
  type ElectionStateName,
  type RejectReason,
} from './types.js';
import { ADVERT_INTERVAL_MAX_MS, ADVERT_INTERVAL_MIN_MS } from './options.js';

/** ADVERT_MAGIC is "TNDM": it tells a tandem advert from stray traffic on the port. */
export const ADVERT_MAGIC = 0x544e444d;
/** ADVERT_VERSION is this layout's version; any change to the layout bumps it. */
export const ADVERT_VERSION = 1;
/** CONFIG_DIGEST_BYTES is the SHA-256 output length. */
export const CONFIG_DIGEST_BYTES = 32;
/** ADVERT_BODY_BYTES is everything the tag covers: header, identity, counter and digest. */
export const ADVERT_BODY_BYTES = 68;
/** ADVERT_TAG_BYTES is the untruncated HMAC-SHA256 output. */
export const ADVERT_TAG_BYTES = 32;
/** ADVERT_BYTES is the whole datagram. */
export const ADVERT_BYTES = ADVERT_BODY_BYTES + ADVERT_TAG_BYTES;

/** Byte offsets of the fields, as in the table in docs/protocol.md. */
const OFFSET = {
  magic: 0,
  version: 4,
  state: 5,
  flags: 6,
  priority: 7,
  groupId: 8,
  reserved: 10,
  advertIntervalMs: 12,
  nodeId: 16,
  epoch: 20,
  counter: 28,
  configDigest: 36,
} as const;

const U64_MAX = (1n << 64n) - 1n;

const STATE_BY_CODE: ReadonlyMap<number, ElectionStateName> = new Map(
  Object.entries(ELECTION_STATE_CODES).map(([name, code]) => [code, name as ElectionStateName]),
);

/** AdvertFrame is a datagram whose length, magic and version are right; nothing else is checked yet. */
export interface AdvertFrame {
  readonly body: Uint8Array;
  readonly tag: Uint8Array;
}

/** FrameResult is frameAdvert's answer. */
export type FrameResult =
  | { readonly ok: true; readonly frame: AdvertFrame }
  | { readonly ok: false; readonly reason: Extract<RejectReason, 'malformed' | 'bad-version'> };

/** BodyResult is decodeAdvertBody's answer. */
export type BodyResult =
  | { readonly ok: true; readonly advert: Advert }
  | { readonly ok: false; readonly reason: Extract<RejectReason, 'malformed'> };

/**
 * encodeAdvertBody writes the 68-byte body. It throws RangeError for a value the layout cannot
 * hold: that is a bug in the caller, never a network input.
 */
export function encodeAdvertBody(advert: Advert): Uint8Array {
  checkRange('groupId', advert.groupId, 1, 0xffff);
  checkRange('priority', advert.priority, 0, 255);
  checkRange('advertIntervalMs', advert.advertIntervalMs, ADVERT_INTERVAL_MIN_MS, ADVERT_INTERVAL_MAX_MS);
  checkRange('nodeId', advert.nodeId, 0, 0xffffffff);
  if ((advert.flags & ~ADVERT_FLAGS_KNOWN) !== 0) throw new RangeError(`advert flags 0x${advert.flags.toString(16)} has unknown bits`);
  if (advert.epoch < 0n || advert.epoch > U64_MAX) throw new RangeError('advert epoch must fit in 64 bits');
  if (advert.counter < 0n || advert.counter > U64_MAX) throw new RangeError('advert counter must fit in 64 bits');
  if (advert.configDigest.length !== CONFIG_DIGEST_BYTES) throw new RangeError('advert configDigest must be 32 bytes');

  const body = new Uint8Array(ADVERT_BODY_BYTES);
  const view = new DataView(body.buffer);
  view.setUint32(OFFSET.magic, ADVERT_MAGIC);
  view.setUint8(OFFSET.version, ADVERT_VERSION);
  view.setUint8(OFFSET.state, ELECTION_STATE_CODES[advert.state]);
  view.setUint8(OFFSET.flags, advert.flags);
  view.setUint8(OFFSET.priority, advert.priority);
  view.setUint16(OFFSET.groupId, advert.groupId);
  view.setUint16(OFFSET.reserved, 0);
  view.setUint32(OFFSET.advertIntervalMs, advert.advertIntervalMs);
  view.setUint32(OFFSET.nodeId, advert.nodeId);
  view.setBigUint64(OFFSET.epoch, advert.epoch);
  view.setBigUint64(OFFSET.counter, advert.counter);
  body.set(advert.configDigest, OFFSET.configDigest);
  return body;
}

/**
 * frameAdvert splits a datagram into body and tag after the checks that need no key: a datagram
 * too short to carry a version, or with a wrong magic or length, is 'malformed'; a tandem advert
 * of another version is 'bad-version' (checked before the length, which a new version may change).
 */
export function frameAdvert(bytes: Uint8Array): FrameResult {
  if (bytes.length <= OFFSET.version) return { ok: false, reason: 'malformed' };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(OFFSET.magic) !== ADVERT_MAGIC) return { ok: false, reason: 'malformed' };
  if (view.getUint8(OFFSET.version) !== ADVERT_VERSION) return { ok: false, reason: 'bad-version' };
  if (bytes.length !== ADVERT_BYTES) return { ok: false, reason: 'malformed' };
  return {
    ok: true,
    frame: { body: bytes.subarray(0, ADVERT_BODY_BYTES), tag: bytes.subarray(ADVERT_BODY_BYTES) },
  };
}

/**
 * decodeAdvertBody reads the fields of an authenticated body. A known-good sender never produces
 * 'malformed' here; it means a buggy or newer peer that kept the version number.
 */
export function decodeAdvertBody(body: Uint8Array): BodyResult {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const state = STATE_BY_CODE.get(view.getUint8(OFFSET.state));
  const flags = view.getUint8(OFFSET.flags);
  const groupId = view.getUint16(OFFSET.groupId);
  const advertIntervalMs = view.getUint32(OFFSET.advertIntervalMs);
  if (
    state === undefined ||
    (flags & ~ADVERT_FLAGS_KNOWN) !== 0 ||
    groupId === 0 ||
    view.getUint16(OFFSET.reserved) !== 0 ||
    advertIntervalMs < ADVERT_INTERVAL_MIN_MS ||
    advertIntervalMs > ADVERT_INTERVAL_MAX_MS
  ) {
    return { ok: false, reason: 'malformed' };
  }
  return {
    ok: true,
    advert: {
      groupId,
      priority: view.getUint8(OFFSET.priority),
      advertIntervalMs,
      state,
      flags,
      nodeId: view.getUint32(OFFSET.nodeId),
      epoch: view.getBigUint64(OFFSET.epoch),
      counter: view.getBigUint64(OFFSET.counter),
      configDigest: body.slice(OFFSET.configDigest, OFFSET.configDigest + CONFIG_DIGEST_BYTES),
    },
  };
}

function checkRange(field: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`advert ${field} ${value} is outside ${min}..${max}`);
  }
}
