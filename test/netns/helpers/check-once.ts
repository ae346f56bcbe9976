/**
 * check-once: one attempt of each given check with the production checkers, aborted at the
 * check's timeoutMs as the scheduler aborts it, printed as one JSON array of outcomes with the
 * latency measured here. HealthLab.probeOnce runs it inside the director namespace:
 *
 *   ip netns exec NS node --import tsx test/netns/helpers/check-once.ts \
 *     '[{"address":"198.51.100.12","fields":{"kind":"udp","port":9}}]'
 */
import { checkerFor } from '../../../src/health/checker-for.js';
import type { HealthCheckKind } from '../../../src/health/checker.js';
import { checkOf } from '../../unit/health/check-fixtures.js';

interface OnceProbe {
  readonly address: string;
  /** fields is a healthCheck as the config writes it; kind and port are required here. */
  readonly fields: { readonly kind: HealthCheckKind; readonly port: number } & Record<string, unknown>;
}

const [json] = process.argv.slice(2);
if (json === undefined) throw new Error('usage: check-once.ts JSON (an array of {address, fields})');
const checker = checkerFor();
const results = [];
// One after another, so that no attempt's latency includes another's work.
for (const { address, fields } of JSON.parse(json) as OnceProbe[]) {
  const check = checkOf(fields.kind, fields.port, fields);
  const startedMs = performance.now();
  const outcome = await checker.check({ address, check }, AbortSignal.timeout(check.timeoutMs));
  results.push({ ...outcome, latencyMs: performance.now() - startedMs });
}
process.stdout.write(JSON.stringify(results));
