/**
 * after-listing: how long a verdict waits when it arrives just as a full pass's listing
 * completes, the moment the pass starts its diff. In process against FakeIpvs:
 *
 *   npx tsx bench/verdict-latency/after-listing.ts [SERVICES=1000] [SERVERS=20] [PASSES=40]
 *
 * Each full pass's listing, once it has the table, schedules one verdict on the next turn of the
 * event loop (setImmediate), as a check result that arrives then would be; the latency runs from
 * the listing's end to FakeIpvs accepting the verdict's edit-real-server. While
 * the pass diffs inside the owner's write line, the verdict waits for the diff and the batch;
 * diffed outside it (table-diff.ts), it waits for at most one chunk. Prints p50/p99/max and the
 * host's 1-minute load average.
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { systemMonotonicClock } from '../../src/election-runtime/monotonic-clock.js';
import { realServerRef } from '../../src/lvs/config-to-ipvs.js';
import { IpvsOwner } from '../../src/lvs/ipvs-owner.js';
import { FakeIpvs } from '../../test/fakes/fake-ipvs.js';
import { configFor } from './measure.js';

const [services = 1000, servers = 20, passes = 40] = process.argv.slice(2).map(Number);
const loadBefore = loadavg()[0] ?? 0;
const virtualServers = configFor({ services, servers });
const kernel = new FakeIpvs();
const owner = new IpvsOwner(
  { virtualServers, ipvs: { timeouts: { tcpSeconds: 0, tcpFinSeconds: 0, udpSeconds: 0 }, purgeUnmanaged: false } },
  { ipvs: kernel, clock: systemMonotonicClock(), log: pino({ level: 'silent' }) },
  { tickIntervalMs: 100 },
);
await owner.start();

const latenciesMs: number[] = [];
let pending: { address: string; since: number } | undefined;
const apply = kernel.apply.bind(kernel);
kernel.apply = (operations) => {
  const waiting = pending;
  if (waiting !== undefined && operations.some((operation) => operation.kind === 'edit-real-server' && operation.realServer.address === waiting.address)) {
    latenciesMs.push(performance.now() - waiting.since);
    pending = undefined;
  }
  return apply(operations);
};
const listRules = kernel.listRules.bind(kernel);
let verdicts = 0;
kernel.listRules = async () => {
  const rules = await listRules();
  if (verdicts < passes && pending === undefined) {
    const vs = virtualServers[verdicts % virtualServers.length];
    const rs = vs?.realServers[verdicts % servers];
    if (vs !== undefined && rs !== undefined) {
      const verdict = Math.floor(verdicts / virtualServers.length) % 2 === 0 ? 'down' : 'up';
      verdicts++;
      // The verdict's check result is ready now; the event loop hands it over at its next turn.
      const since = performance.now();
      setImmediate(() => {
        pending = { address: rs.address, since };
        void owner.setVerdict(realServerRef(vs, rs), verdict);
      });
    }
  }
  return rules;
};
while (latenciesMs.length < passes) await new Promise((resolve) => setTimeout(resolve, 50));
await owner.stop();

const sorted = [...latenciesMs].sort((a, b) => a - b);
const at = (fraction: number): string => (sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)] ?? 0).toFixed(2);
console.log(`table ${String(services)} × ${String(servers)} (${String(services * servers)} rs), FakeIpvs, ${String(sorted.length)} verdicts each just after a listing`);
console.log(`ms, verdict → accepted: p50 ${at(0.5)}  p99 ${at(0.99)}  max ${at(1)}`);
console.log(`host 1-minute load average: ${loadBefore.toFixed(2)} before, ${(loadavg()[0] ?? 0).toFixed(2)} after`);
