/**
 * auth: HMAC-SHA256 (RFC 2104, FIPS 180-4) over an advert body, with a two-key set for rotation.
 *
 * A node signs with its current key and accepts a tag made with either its current or its next
 * key. Rotating is therefore three key-file edits, each applied to both nodes before the next:
 * add the new key as next; swap current and next; drop the old key. No advert is refused at any
 * step, so a rotation causes no transition.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { KeySet } from './types.js';

/** advertTag is HMAC-SHA256(key, body), untruncated (32 bytes). */
export function advertTag(key: Uint8Array, body: Uint8Array): Uint8Array {
  return createHmac('sha256', key).update(body).digest();
}

/**
 * verifyAdvertTag tells whether tag was made over body with the current or the next key. Both
 * comparisons always run, in constant time, so the timing says nothing about which key matched.
 */
export function verifyAdvertTag(keys: KeySet, body: Uint8Array, tag: Uint8Array): boolean {
  const underCurrent = tagMatches(keys.current, body, tag);
  const underNext = keys.next !== undefined && tagMatches(keys.next, body, tag);
  return underCurrent || underNext;
}

function tagMatches(key: Uint8Array, body: Uint8Array, tag: Uint8Array): boolean {
  const expected = advertTag(key, body);
  return expected.length === tag.length && timingSafeEqual(expected, tag);
}

/** sealAdvertBody appends the tag made with the current key: the datagram to send. */
export function sealAdvertBody(keys: KeySet, body: Uint8Array): Uint8Array {
  const tag = advertTag(keys.current, body);
  const datagram = new Uint8Array(body.length + tag.length);
  datagram.set(body, 0);
  datagram.set(tag, body.length);
  return datagram;
}
