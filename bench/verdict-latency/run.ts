/**
 * run: verdict → IPVS operation applied latency, in process. The daemon's health component glue
 * (HealthComponent's sink, i.e. IpvsOwner.setVerdict) receives a verdict; the figure is the time
 * until the owner's pass has the matching edit-real-server accepted by the table port. The port
 * is the in-memory FakeIpvs (the host has no IPVS), so this measures tandem's own path: the
 * owner's fast pass (one service's desired entries diffed against what it knows the kernel
 * holds), queued behind any full pass, not the kernel's netlink round trip (bench/ipvs-table
 * measures that in the guest).
 *
 * Verdicts arrive one at a time, each after a random 0–5 ms pause, while the owner's 500 ms tick
 * keeps re-reading the table, so some land during a tick pass and wait for it.
 *
 *   npx tsx bench/verdict-latency/run.ts [SERVICES] [SERVERS] [VERDICTS]
 */
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import type { VirtualServer } from '../../src/config/types.js';
import { parseConfig } from '../../src/config/load.js';
import { systemMonotonicClock } from '../../src/election-runtime/monotonic-clock.js';
import { serviceKey } from '../../src/ipvs/model.js';
import { ipvsServiceId, realServerRef } from '../../src/lvs/config-to-ipvs.js';
import { IpvsOwner } from '../../src/lvs/ipvs-owner.js';
import { FakeIpvs } from '../../test/fakes/fake-ipvs.js';

const [servicesArg = '100', serversArg = '10', verdictsArg = '2000'] = process.argv.slice(2);
const services = Number(servicesArg);
const servers = Number(serversArg);
const verdicts = Number(verdictsArg);

/** configFor builds SERVICES tcp services on 198.51.100.1 ports 1.. with SERVERS real servers each. */
function configFor(): readonly VirtualServer[] {
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

function percentile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? Number.NaN;
}

const virtualServers = configFor();
const ipvs = new FakeIpvs();
/** waiting maps "serviceKey address:port weight" to the resolver of the verdict that asked for it. */
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
const owner = new IpvsOwner({ virtualServers, ipvs: { timeouts: { tcpSeconds: 0, tcpFinSeconds: 0, udpSeconds: 0 }, purgeUnmanaged: false } }, { ipvs, clock: systemMonotonicClock(), log: pino({ level: 'silent' }) });
await owner.start();

const down = new Set<string>();
const latenciesMs: number[] = [];
for (let i = 0; i < verdicts; i++) {
  const vs = virtualServers[Math.floor(Math.random() * virtualServers.length)];
  const rs = vs?.realServers[Math.floor(Math.random() * vs.realServers.length)];
  if (vs === undefined || rs === undefined) continue;
  const ref = realServerRef(vs, rs);
  const goingDown = !down.has(ref);
  const weight = goingDown ? 0 : rs.weight;
  const applied = new Promise<void>((resolve) => waiting.set(`${serviceKey(ipvsServiceId(vs))} ${rs.address}:${rs.port} ${weight}`, resolve));
  const startedAt = performance.now();
  void owner.setVerdict(ref, goingDown ? 'down' : 'up');
  await applied;
  latenciesMs.push(performance.now() - startedAt);
  if (goingDown) down.add(ref);
  else down.delete(ref);
  await new Promise((resolve) => setTimeout(resolve, Math.random() * 5));
}
await owner.stop();

const sorted = [...latenciesMs].sort((a, b) => a - b);
const ms = (value: number): string => value.toFixed(2).padStart(8);
console.log(`table ${services} services × ${servers} real servers (${services * servers}), ${sorted.length} verdicts, FakeIpvs in process`);
console.log('      min      p50      p90      p99      max  (ms, verdict → edit accepted)');
console.log([sorted[0] ?? Number.NaN, percentile(sorted, 0.5), percentile(sorted, 0.9), percentile(sorted, 0.99), sorted.at(-1) ?? Number.NaN].map(ms).join(' '));
console.log(`owner: ${owner.stats.passes} full passes, ${owner.stats.fastPasses} fast passes, ${owner.stats.operations} operations, ${owner.stats.refused} refused`);
