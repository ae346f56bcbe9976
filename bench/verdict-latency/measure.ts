/**
 * measure: the verdict → kernel weight change measurement, on any IpvsPort. run.ts runs it on
 * the in-memory FakeIpvs on the host, and inside a user-mode-linux guest on NetlinkIpvs, i.e.
 * Linux's IPVS over netlink.
 *
 * An IpvsOwner programs SERVICES tcp services with SERVERS real servers each, then receives
 * VERDICTS verdicts one at a time through IpvsOwner.setVerdict (what the daemon's health
 * component calls), each after a random 0–5 ms pause, while its 500 ms tick keeps running full
 * passes. A verdict's latency is the time until the port's `apply` has returned an accepted
 * outcome for the matching edit-real-server: on NetlinkIpvs that is the kernel's netlink
 * acknowledgement of the weight change.
 */
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import type { VirtualServer } from '../../src/config/types.js';
import { parseConfig } from '../../src/config/load.js';
import { systemMonotonicClock } from '../../src/election-runtime/monotonic-clock.js';
import type { IpvsPort } from '../../src/ipvs/ipvs-port.js';
import { serviceKey } from '../../src/ipvs/model.js';
import { ipvsServiceId, realServerRef } from '../../src/lvs/config-to-ipvs.js';
import { IpvsOwner, type IpvsOwnerStats } from '../../src/lvs/ipvs-owner.js';

/** TableSize is one measured table: SERVICES × SERVERS real servers, VERDICTS verdicts. */
export interface TableSize {
  readonly services: number;
  readonly servers: number;
  readonly verdicts: number;
}

/** Measurement is one table's latencies (ms, in arrival order) and the owner's counters after it. */
export interface Measurement extends TableSize {
  readonly latenciesMs: readonly number[];
  /** startMs is the owner's first pass: programming the whole table. */
  readonly startMs: number;
  readonly stats: IpvsOwnerStats;
}

/** configFor builds SERVICES tcp services on 198.51.100.1 ports 1.. with SERVERS masquerade real servers each. */
function configFor({ services, servers }: TableSize): readonly VirtualServer[] {
  const doc = {
    nodes: [
      { name: 'alpha', priority: 200, addresses: ['192.0.2.11'] },
      { name: 'beta', priority: 100, addresses: ['192.0.2.12'] },
    ],
    election: { groupId: 1, authKeyFile: '/etc/tandem/auth.key' },
    vips: [{ address: '198.51.100.1/24', interface: 'eth0' }],
    virtualServers: Array.from({ length: services }, (_, s) => ({
      protocol: 'tcp',
      address: '198.51.100.1',
      port: s + 1,
      scheduler: 'wrr',
      realServers: Array.from({ length: servers }, (_, r) => ({ address: `10.${Math.floor(r / 250)}.${r % 250}.${(s % 250) + 1}`, weight: 10, forward: 'masquerade' })),
    })),
  };
  const result = parseConfig(JSON.stringify(doc), 'bench.yaml', { node: 'alpha' });
  if (!result.ok) throw new Error(`bench config invalid: ${JSON.stringify(result.issues.slice(0, 3))}`);
  return result.config.virtualServers;
}

/**
 * observeEdits wraps `ipvs.apply` so that each accepted edit-real-server resolves the waiter
 * registered under "serviceKey address:port weight", and returns how to register one.
 */
function observeEdits(ipvs: IpvsPort): (key: string) => Promise<void> {
  const waiting = new Map<string, () => void>();
  const apply = ipvs.apply.bind(ipvs);
  ipvs.apply = async (operations) => {
    const outcomes = await apply(operations);
    operations.forEach((operation, index) => {
      if (operation.kind !== 'edit-real-server' || outcomes[index]?.ok !== true) return;
      const key = `${serviceKey(operation.service)} ${operation.realServer.address}:${operation.realServer.port} ${operation.realServer.weight}`;
      waiting.get(key)?.();
      waiting.delete(key);
    });
    return outcomes;
  };
  return (key) => new Promise<void>((resolve) => waiting.set(key, resolve));
}

/** measureVerdictLatency runs the measurement (see the file comment) on `ipvs`, which it programs from empty. */
export async function measureVerdictLatency(ipvs: IpvsPort, size: TableSize): Promise<Measurement> {
  const virtualServers = configFor(size);
  const edited = observeEdits(ipvs);
  const owner = new IpvsOwner(
    { virtualServers, ipvs: { timeouts: { tcpSeconds: 0, tcpFinSeconds: 0, udpSeconds: 0 }, purgeUnmanaged: false } },
    { ipvs, clock: systemMonotonicClock(), log: pino({ level: 'silent' }) },
  );
  const started = performance.now();
  await owner.start();
  const startMs = performance.now() - started;

  const down = new Set<string>();
  const latenciesMs: number[] = [];
  for (let i = 0; i < size.verdicts; i++) {
    const vs = virtualServers[Math.floor(Math.random() * virtualServers.length)];
    const rs = vs?.realServers[Math.floor(Math.random() * vs.realServers.length)];
    if (vs === undefined || rs === undefined) continue;
    const ref = realServerRef(vs, rs);
    const goingDown = !down.has(ref);
    const applied = edited(`${serviceKey(ipvsServiceId(vs))} ${rs.address}:${rs.port} ${goingDown ? 0 : rs.weight}`);
    const verdictAt = performance.now();
    void owner.setVerdict(ref, goingDown ? 'down' : 'up');
    await applied;
    latenciesMs.push(performance.now() - verdictAt);
    if (goingDown) down.add(ref);
    else down.delete(ref);
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 5));
  }
  await owner.stop();
  return { ...size, latenciesMs, startMs, stats: { ...owner.stats } };
}

function percentile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? Number.NaN;
}

/** formatMeasurement is the lines a run prints for one table: min, p50, p90, p99, max and the owner's counters. */
export function formatMeasurement(m: Measurement, where: string): string {
  const sorted = [...m.latenciesMs].sort((a, b) => a - b);
  const ms = (value: number): string => value.toFixed(2).padStart(8);
  const figures = [sorted[0] ?? Number.NaN, percentile(sorted, 0.5), percentile(sorted, 0.9), percentile(sorted, 0.99), sorted.at(-1) ?? Number.NaN];
  return [
    `table ${m.services} services × ${m.servers} real servers (${m.services * m.servers}), ${sorted.length} verdicts, ${where}; first pass (programming it) ${m.startMs.toFixed(0)} ms`,
    '      min      p50      p90      p99      max  (ms, verdict → edit accepted)',
    figures.map(ms).join(' '),
    `owner: ${m.stats.passes} full passes, ${m.stats.fastPasses} fast passes, ${m.stats.operations} operations, ${m.stats.refused} refused, ${m.stats.errors} errors`,
  ].join('\n');
}
