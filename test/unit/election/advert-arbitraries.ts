/** advert-arbitraries: fast-check generators for adverts, shared by the property tests. */
import fc from 'fast-check';
import { ADVERT_FLAG_HANDOVER, type Advert, type ElectionStateName } from '../../../src/election/types.js';

/** arbitraryAdvert generates any advert the layout can carry. */
export const arbitraryAdvert: fc.Arbitrary<Advert> = fc.record({
  groupId: fc.integer({ min: 1, max: 0xffff }),
  priority: fc.integer({ min: 0, max: 255 }),
  advertIntervalMs: fc.integer({ min: 10, max: 40_950 }),
  state: fc.constantFrom<ElectionStateName>('init', 'backup', 'master', 'fault'),
  flags: fc.constantFrom(0, ADVERT_FLAG_HANDOVER),
  nodeId: fc.integer({ min: 0, max: 0xffffffff }),
  epoch: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  counter: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  configDigest: fc.uint8Array({ minLength: 32, maxLength: 32 }),
});

/** arbitraryKey generates a 32..64-byte HMAC key. */
export const arbitraryKey: fc.Arbitrary<Uint8Array> = fc.uint8Array({ minLength: 32, maxLength: 64 });
