/**
 * Property tests of the receive pipeline (issue 4 acceptance): every spoofed, replayed,
 * truncated, extended, reordered or bit-flipped advert is rejected with the right reason, and
 * every valid one round-trips. Run counts are kept so the file takes a few seconds.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ADVERT_BYTES, encodeAdvertBody } from '../../../src/election/advert-codec.js';
import { sealAdvertBody } from '../../../src/election/auth.js';
import { inspectAdvert, type InspectContext } from '../../../src/election/inspect-advert.js';
import { emptyReplayGuard } from '../../../src/election/replay-guard.js';
import { REJECT_REASONS, type Advert, type KeySet } from '../../../src/election/types.js';
import { arbitraryAdvert, arbitraryKey } from './advert-arbitraries.js';

/** contextFor is a receiver that expects this advert's group and sender. */
function contextFor(advert: Advert, keys: KeySet): InspectContext {
  return { keys, groupId: advert.groupId, peerNodeIds: [advert.nodeId] };
}

function seal(advert: Advert, key: Uint8Array): Uint8Array {
  return sealAdvertBody({ current: key }, encodeAdvertBody(advert));
}

describe('inspectAdvert properties', () => {
  it('accepts and decodes exactly what a peer with the current or next key sent', () => {
    fc.assert(
      fc.property(arbitraryAdvert, arbitraryKey, arbitraryKey, fc.boolean(), (advert, current, next, signWithNext) => {
        const keys = { current, next };
        const result = inspectAdvert(contextFor(advert, keys), emptyReplayGuard(), seal(advert, signWithNext ? next : current));
        expect(result.ok && result.advert).toEqual(advert);
      }),
      { numRuns: 300 },
    );
  });

  it('rejects a flip of any single bit: magic → malformed, version → bad-version, anything else → bad-auth', () => {
    fc.assert(
      fc.property(arbitraryAdvert, arbitraryKey, fc.integer({ min: 0, max: ADVERT_BYTES * 8 - 1 }), (advert, key, bit) => {
        const bytes = seal(advert, key);
        const byte = bit >> 3;
        bytes[byte] = (bytes[byte] ?? 0) ^ (1 << (bit & 7));
        const expected = byte < 4 ? 'malformed' : byte === 4 ? 'bad-version' : 'bad-auth';
        expect(inspectAdvert(contextFor(advert, { current: key }), emptyReplayGuard(), bytes)).toEqual({ ok: false, reason: expected });
      }),
      { numRuns: 1000 },
    );
  });

  it('rejects a truncated or extended advert as malformed', () => {
    fc.assert(
      fc.property(arbitraryAdvert, arbitraryKey, fc.integer({ min: 0, max: 300 }), (advert, key, length) => {
        fc.pre(length !== ADVERT_BYTES);
        const sealed = seal(advert, key);
        const resized = new Uint8Array(length);
        resized.set(sealed.subarray(0, Math.min(length, ADVERT_BYTES)));
        const result = inspectAdvert(contextFor(advert, { current: key }), emptyReplayGuard(), resized);
        // Too short for a version, or the right version at the wrong length: both malformed.
        expect(result).toEqual({ ok: false, reason: 'malformed' });
      }),
      { numRuns: 500 },
    );
  });

  it('rejects a spoof signed with any key the receiver does not hold as bad-auth', () => {
    fc.assert(
      fc.property(arbitraryAdvert, arbitraryKey, arbitraryKey, arbitraryKey, (advert, current, next, forged) => {
        fc.pre(Buffer.compare(forged, current) !== 0 && Buffer.compare(forged, next) !== 0);
        const result = inspectAdvert(contextFor(advert, { current, next }), emptyReplayGuard(), seal(advert, forged));
        expect(result).toEqual({ ok: false, reason: 'bad-auth' });
      }),
      { numRuns: 300 },
    );
  });

  it('rejects an authentic advert of another group as wrong-group and from a stranger as unknown-peer', () => {
    fc.assert(
      fc.property(arbitraryAdvert, arbitraryKey, fc.integer({ min: 1, max: 0xffff }), (advert, key, otherGroup) => {
        fc.pre(otherGroup !== advert.groupId);
        const bytes = seal(advert, key);
        const keys = { current: key };
        expect(inspectAdvert({ keys, groupId: otherGroup, peerNodeIds: [advert.nodeId] }, emptyReplayGuard(), bytes)).toEqual({
          ok: false,
          reason: 'wrong-group',
        });
        expect(inspectAdvert({ keys, groupId: advert.groupId, peerNodeIds: [(advert.nodeId + 1) >>> 0] }, emptyReplayGuard(), bytes)).toEqual({
          ok: false,
          reason: 'unknown-peer',
        });
      }),
      { numRuns: 300 },
    );
  });

  it('accepts a reordered stream only where the counter rises, and rejects every repeat as replay', () => {
    fc.assert(
      fc.property(
        arbitraryAdvert,
        arbitraryKey,
        fc.array(fc.bigInt({ min: 1n, max: 1000n }), { minLength: 1, maxLength: 30 }),
        (template, key, counters) => {
          const context = contextFor(template, { current: key });
          let guard = emptyReplayGuard();
          let highest = -1n;
          for (const counter of [...counters, ...counters]) {
            const result = inspectAdvert(context, guard, seal({ ...template, counter }, key));
            if (counter > highest) {
              expect(result.ok).toBe(true);
              if (result.ok) guard = result.guard;
              highest = counter;
            } else {
              expect(result).toEqual({ ok: false, reason: 'replay' });
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('never throws on arbitrary bytes and always names a known reason', () => {
    const context: InspectContext = { keys: { current: new Uint8Array(32) }, groupId: 1, peerNodeIds: [1] };
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const result = inspectAdvert(context, emptyReplayGuard(), bytes);
        expect(result.ok).toBe(false);
        if (!result.ok) expect(REJECT_REASONS).toContain(result.reason);
      }),
      { numRuns: 2000 },
    );
  });
});
