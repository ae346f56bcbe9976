/**
 * inspect-advert: the receive pipeline, from raw datagram to a trusted, fresh advert or a reason.
 *
 * The checks run in a fixed order, and the first failure names the reason:
 * 1. frame:  length, magic            → 'malformed';  version → 'bad-version'
 * 2. auth:   HMAC tag (current/next)  → 'bad-auth'     (no field is read before this)
 * 3. fields: state, flags, reserved, interval range → 'malformed'
 * 4. group:  groupId ≠ ours           → 'wrong-group'
 * 5. sender: node id not a peer (our own id included) → 'unknown-peer'
 * 6. replay: (epoch, counter) not fresh → 'replay'
 * Hence a bit flip anywhere past the version byte, or a spoof without the key, is 'bad-auth'.
 */
import { decodeAdvertBody, frameAdvert } from './advert-codec.js';
import { verifyAdvertTag } from './auth.js';
import { checkReplay, type ReplayGuard } from './replay-guard.js';
import type { Advert, KeySet, RejectReason } from './types.js';

/** InspectContext is what the pipeline needs to know about the local node. */
export interface InspectContext {
  readonly keys: KeySet;
  readonly groupId: number;
  readonly peerNodeIds: readonly number[];
}

/** InspectResult is inspectAdvert's answer: an advert with the updated guard, or a reason. */
export type InspectResult =
  | { readonly ok: true; readonly advert: Advert; readonly guard: ReplayGuard; readonly newEpoch: boolean }
  | { readonly ok: false; readonly reason: RejectReason };

/** inspectAdvert runs the receive pipeline over one datagram. It never throws on any input. */
export function inspectAdvert(context: InspectContext, guard: ReplayGuard, bytes: Uint8Array): InspectResult {
  const framed = frameAdvert(bytes);
  if (!framed.ok) return framed;
  if (!verifyAdvertTag(context.keys, framed.frame.body, framed.frame.tag)) return { ok: false, reason: 'bad-auth' };
  const decoded = decodeAdvertBody(framed.frame.body);
  if (!decoded.ok) return decoded;
  const { advert } = decoded;
  if (advert.groupId !== context.groupId) return { ok: false, reason: 'wrong-group' };
  if (!context.peerNodeIds.includes(advert.nodeId)) return { ok: false, reason: 'unknown-peer' };
  const verdict = checkReplay(guard, advert);
  if (!verdict.fresh) return { ok: false, reason: 'replay' };
  return { ok: true, advert, guard: verdict.guard, newEpoch: verdict.newEpoch };
}
