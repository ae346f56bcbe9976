/**
 * fuzz-advert: feeds the advert receive pipeline (frame → HMAC → fields → group → peer → replay)
 * with random and mutated datagrams and fails on any throw.
 *
 *   npx tsx bench/fuzz-advert.ts [count]     (default 1 000 000)
 *
 * Inputs are a deterministic mix (seeded PRNG, so a failure can be reproduced from its index):
 * pure random bytes of random length; valid adverts with 1–8 random bit flips; valid adverts
 * truncated or extended; valid adverts with a random field overwritten before signing (they reach
 * the field checks); untouched valid adverts (accepted, or replay on repeat). It prints inputs per
 * second and the count per outcome, and exits 1 on any exception.
 */
import { randomBytes } from 'node:crypto';
import { ADVERT_BODY_BYTES, encodeAdvertBody } from '../src/election/advert-codec.js';
import { sealAdvertBody } from '../src/election/auth.js';
import { inspectAdvert, type InspectContext } from '../src/election/inspect-advert.js';
import { emptyReplayGuard, type ReplayGuard } from '../src/election/replay-guard.js';

const count = Number(process.argv[2] ?? 1_000_000);
if (!Number.isInteger(count) || count <= 0) {
  console.error(`usage: npx tsx bench/fuzz-advert.ts [count]   (count must be a positive integer, got ${process.argv[2] ?? ''})`);
  process.exit(2);
}

/** A small seeded PRNG (xorshift32), so runs are reproducible. */
function prng(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x1_0000_0000;
  };
}

const random = prng(0x7a4d3);
const int = (below: number): number => Math.floor(random() * below);
const key = randomBytes(32);
const context: InspectContext = { keys: { current: key }, groupId: 7, peerNodeIds: [1, 2] };

let counter = 0n;
function validAdvert(): Uint8Array {
  counter += 1n;
  return sealAdvertBody(
    context.keys,
    encodeAdvertBody({
      groupId: int(4) === 0 ? 1 + int(0xffff) : 7,
      priority: int(256),
      advertIntervalMs: 10 + int(40_941),
      state: (['init', 'backup', 'master', 'fault'] as const)[int(4)] ?? 'master',
      flags: int(2),
      nodeId: int(3),
      epoch: BigInt(int(4)),
      counter: int(8) === 0 ? BigInt(int(100)) : counter,
      configDigest: new Uint8Array(32),
    }),
  );
}

function mutate(kind: number): Uint8Array {
  switch (kind) {
    case 0: {
      const bytes = new Uint8Array(int(160));
      for (let i = 0; i < bytes.length; i += 1) bytes[i] = int(256);
      return bytes;
    }
    case 1: {
      const bytes = validAdvert();
      for (let flips = 1 + int(8); flips > 0; flips -= 1) {
        const bit = int(bytes.length * 8);
        bytes[bit >> 3] = (bytes[bit >> 3] ?? 0) ^ (1 << (bit & 7));
      }
      return bytes;
    }
    case 2: {
      const bytes = validAdvert();
      const resized = new Uint8Array(int(200));
      resized.set(bytes.subarray(0, Math.min(resized.length, bytes.length)));
      return resized;
    }
    case 3: {
      const body = validAdvert().slice(0, ADVERT_BODY_BYTES);
      body[5 + int(ADVERT_BODY_BYTES - 5)] = int(256);
      return sealAdvertBody(context.keys, body);
    }
    default:
      return validAdvert();
  }
}

const outcomes = new Map<string, number>();
let guard: ReplayGuard = emptyReplayGuard();
const started = process.hrtime.bigint();
for (let index = 0; index < count; index += 1) {
  const input = mutate(int(5));
  try {
    const result = inspectAdvert(context, guard, input);
    const outcome = result.ok ? 'accepted' : result.reason;
    if (result.ok) guard = result.guard;
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
  } catch (error) {
    console.error(`fuzz-advert: input #${index} threw: ${Buffer.from(input).toString('hex')}`);
    console.error(error);
    process.exit(1);
  }
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
console.log(`fuzz-advert: ${count} inputs in ${seconds.toFixed(2)} s, ${Math.round(count / seconds)} inputs/s, no exception`);
for (const [outcome, n] of [...outcomes.entries()].sort((a, b) => b[1] - a[1])) {
  console.log(`  ${outcome.padEnd(13)} ${n}`);
}
