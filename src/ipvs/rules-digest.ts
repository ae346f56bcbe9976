/**
 * rules-digest: a fingerprint of the rules in IPVS service and real-server nests, taken from the
 * bytes the kernel sent, so a read-back can tell an entry it decoded before from one that
 * changed without decoding either (unchanged-services.ts).
 *
 * Every attribute counts, header and payload, except the counters, which move with the traffic:
 * a service's STATS and STATS64, a real server's connection counts, STATS and STATS64. So two
 * listings of the same rules digest alike whatever passed through meanwhile, and an attribute
 * a newer kernel adds changes the digest (the entry is then decoded, as before).
 *
 * Two 32-bit lanes, folded into 53 bits so the digest is a safe integer. Each lane scrambles a
 * word (multiply, rotate, multiply, as MurmurHash3 does) before it takes it in, with its own
 * constants: a lane that took words in raw let a change of the top bit of one word and of bit 14
 * of the next cancel out (a review found such a pair of IPv6 real servers). Two different entries
 * then share a digest only by chance, with odds of about 2^-53 per comparison.
 */
import { NLA_HDRLEN } from '../netlink/constants.js';
import { i32At } from '../netlink/bytes.js';
import { type AttributeVisitor, forEachAttribute } from './attribute-scan.js';
import {
  IPVS_DEST_ATTR_ACTIVE_CONNS,
  IPVS_DEST_ATTR_INACT_CONNS,
  IPVS_DEST_ATTR_PERSIST_CONNS,
  IPVS_DEST_ATTR_STATS,
  IPVS_DEST_ATTR_STATS64,
  IPVS_SVC_ATTR_STATS,
  IPVS_SVC_ATTR_STATS64,
} from './constants.js';

/** SERVICE_COUNTERS are the IPVS_SVC_ATTR_* types a service's digest leaves out. */
export const SERVICE_COUNTERS: readonly number[] = [IPVS_SVC_ATTR_STATS, IPVS_SVC_ATTR_STATS64];

/** REAL_SERVER_COUNTERS are the IPVS_DEST_ATTR_* types a real server's digest leaves out. */
export const REAL_SERVER_COUNTERS: readonly number[] = [
  IPVS_DEST_ATTR_ACTIVE_CONNS,
  IPVS_DEST_ATTR_INACT_CONNS,
  IPVS_DEST_ATTR_PERSIST_CONNS,
  IPVS_DEST_ATTR_STATS,
  IPVS_DEST_ATTR_STATS64,
];

const SEED_A = 0x2545f491;
const SEED_B = 0x6c8e9cf5;

/** RulesDigest digests a sequence of nests, counters left out; one per kind of nest, reused digest after digest. */
export class RulesDigest {
  /** #counted[type] is 1 for the attribute types that count, 0 for the counters. */
  readonly #counted: Uint8Array;
  #a = SEED_A;
  #b = SEED_B;
  /** #buf is the buffer add() is walking. */
  #buf: Buffer = Buffer.alloc(0);

  constructor(counters: readonly number[]) {
    this.#counted = new Uint8Array(Math.max(0, ...counters) + 1).fill(1);
    for (const type of counters) this.#counted[type] = 0;
  }

  /** start begins a new digest. */
  start(): void {
    this.#a = SEED_A;
    this.#b = SEED_B;
  }

  /** add digests the attributes of the nest payload at buf[start, end), checking every header as attributeEnd does. */
  add(buf: Buffer, start: number, end: number): void {
    // The nest's length first, so the same attributes split into nests differently digest apart.
    this.#mix(end - start);
    this.#buf = buf;
    forEachAttribute(buf, start, end, this.#addAttribute);
  }

  /** #addAttribute digests one attribute of #buf, its header and payload, unless it is a counter. */
  readonly #addAttribute: AttributeVisitor = (type, payloadStart, attributeEndAt) => {
    if (type < this.#counted.length && this.#counted[type] === 0) return;
    const buf = this.#buf;
    for (let word = payloadStart - NLA_HDRLEN; word < attributeEndAt; word += 4) {
      const left = attributeEndAt - word;
      // The bytes past an attribute's length are padding or the next header: left out.
      this.#mix(left >= 4 ? i32At(buf, word) : i32At(buf, word) & ((1 << (8 * left)) - 1));
    }
  };

  /** value is the digest of what was added since start(): a non-negative integer below 2^53. */
  value(): number {
    const a = Math.imul(this.#a ^ (this.#a >>> 16), 0x7feb352d);
    const b = Math.imul(this.#b ^ (this.#b >>> 15), 0x846ca68b);
    return (a >>> 0) * 0x200000 + ((b ^ (b >>> 16)) >>> 11);
  }

  #mix(word: number): void {
    this.#a = takeIn(this.#a, scramble(word, 0xcc9e2d51, 0x1b873593), 0xe6546b64);
    this.#b = takeIn(this.#b, scramble(word, 0x85ebca6b, 0xc2b2ae35), 0x561ccd1b);
  }
}

/** scramble spreads every bit of `word` over the whole of it: multiply, rotate by 15, multiply. */
function scramble(word: number, first: number, second: number): number {
  const k = Math.imul(word, first);
  return Math.imul((k << 15) | (k >>> 17), second);
}

/** takeIn adds a scrambled word to a lane: xor, rotate by 13, multiply by 5 and add `offset`. */
function takeIn(lane: number, scrambled: number, offset: number): number {
  const h = lane ^ scrambled;
  return (Math.imul((h << 13) | (h >>> 19), 5) + offset) | 0;
}
