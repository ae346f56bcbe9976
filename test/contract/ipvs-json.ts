/**
 * ipvs-json: the bigint-safe JSON that the IPVS guest program speaks and the golden fixtures
 * (test/fixtures/ipvs) are written in: a bigint travels as {"$bigint": "123"}. The guest side
 * keeps its own copy in test/kernel/programs/ipvs-rpc/wire.mjs, since the guest runs plain
 * node on .mjs files and cannot load TypeScript; the two must stay in step.
 */

/** toJson is JSON.stringify with each bigint written as {"$bigint": "..."}. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => (typeof item === 'bigint' ? { $bigint: item.toString() } : item));
}

/** reviveJson is the JSON.parse reviver that undoes toJson. */
export function reviveJson(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === 'object' && '$bigint' in value && typeof value.$bigint === 'string') return BigInt(value.$bigint);
  return value;
}
