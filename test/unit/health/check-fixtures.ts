/**
 * check-fixtures: resolved health checks built through the real config schema, so tests see the
 * same defaults the daemon does.
 */
import { healthCheckSchema } from '../../../src/config/schema-health.js';
import type { CheckOf, HealthCheckKind } from '../../../src/health/checker.js';

/** checkOf parses `{kind, ...fields}` with the config schema and resolves its port. */
export function checkOf<K extends HealthCheckKind>(kind: K, port: number, fields: Record<string, unknown> = {}): CheckOf<K> {
  const parsed = healthCheckSchema.parse({ kind, ...fields });
  if (parsed.kind !== kind) throw new Error(`schema returned kind ${parsed.kind}`);
  return { ...parsed, port: parsed.port ?? port } as CheckOf<K>;
}
