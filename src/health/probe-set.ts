/**
 * probe-set: from the config's real servers to the probes the scheduler runs. Identical checks
 * against the same address are one probe: two services that balance onto the same server with
 * the same check (say tcp/80 and fwmark 7) open one connection per interval, not two, and both
 * get its verdict.
 */
import type { HealthCheck, VirtualServer } from '../config/types.js';
import type { ProbeTarget } from './checker.js';

/** RealServerRef names one real server of one virtual server, the unit a verdict applies to. */
export interface RealServerRef {
  /** virtualServer is the service's `name` from the config. */
  readonly virtualServer: string;
  readonly address: string;
  readonly port: number;
}

/** Probe is one deduplicated check: what to probe, and every real server its verdict fans out to. */
export interface Probe {
  /** key identifies the probe across reloads: same key, same probe, state kept. */
  readonly key: string;
  readonly target: ProbeTarget;
  readonly realServers: readonly RealServerRef[];
}

/** canonicalJson is JSON with object keys sorted, so equal checks give equal text whatever their key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * probeKey is the dedupe key: the address and every field of the check (kind, port, source
 * address, the kind's options, and the timing, since checks on different schedules are not the
 * same probe).
 */
export function probeKey(address: string, check: HealthCheck): string {
  return `${check.kind} ${address} ${canonicalJson(check)}`;
}

/** probesFor lists the probes of a whole config, in first-seen order; unchecked real servers have none. */
export function probesFor(virtualServers: readonly VirtualServer[]): Probe[] {
  const byKey = new Map<string, { target: ProbeTarget; realServers: RealServerRef[] }>();
  for (const virtualServer of virtualServers) {
    for (const realServer of virtualServer.realServers) {
      if (realServer.healthCheck === null) continue;
      const key = probeKey(realServer.address, realServer.healthCheck);
      const ref: RealServerRef = { virtualServer: virtualServer.name, address: realServer.address, port: realServer.port };
      const probe = byKey.get(key);
      if (probe === undefined) byKey.set(key, { target: { address: realServer.address, check: realServer.healthCheck }, realServers: [ref] });
      else probe.realServers.push(ref);
    }
  }
  return [...byKey].map(([key, probe]) => ({ key, ...probe }));
}
