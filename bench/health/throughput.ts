/**
 * throughput: health checks per CPU-second of this process, against loopback servers running in
 * a separate process (so only the checker's CPU is counted). Goals (issue 5): ≥ 20,000 TCP and
 * ≥ 5,000 plain HTTP checks per CPU-second.
 *
 *   npx tsx bench/health/throughput.ts [TCP_CHECKS] [HTTP_CHECKS] [CONCURRENCY] [ROUNDS]
 *
 * CPU is process.cpuUsage(): this process's user + system time, nothing else. The tcp and http
 * lines run through the daemon's own CheckScheduler on the real clock (due timers, deadlines,
 * the concurrency bound, rise/fall, a CheckRun per check): PROBES probes, one per loopback
 * address from 127.0.0.1, every TCP_INTERVAL_MS or HTTP_INTERVAL_MS, offer more checks a second than one
 * core can run, so CONCURRENCY slots stay full and the round ends after the COUNT-th run. The
 * bare lines rotate over the same addresses so no single address pair runs out of ports. Every
 * kind runs ROUNDS times, interleaved, and the closing lines give the median of each with the
 * 1-minute load average. A count of 0 skips that kind.
 * For comparison, "bare net" is node:net connect-and-reset with no checker around it (the floor
 * for any TCP checker built on node:net), and "node:http" is one agent-less http.request per
 * check (what the status-only HTTP path avoids). "listen overflows" counts SYNs the servers'
 * full accept queue dropped meanwhile (TcpExt ListenOverflows, proc(5), machine-wide): a starved servers
 * process, not the checker, is what makes those attempts time out. On loopback the kernel runs both ends of each
 * handshake in this process's context, so system time counts the server's half too.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { request } from 'node:http';
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { CheckOutcome } from '../../src/health/check-result.js';
import type { HealthCheck } from '../../src/config/types.js';
import { systemMonotonicClock } from '../../src/election-runtime/monotonic-clock.js';
import { CheckScheduler } from '../../src/health/check-scheduler.js';
import { checkerFor } from '../../src/health/checker-for.js';
import { probeKey, type Probe } from '../../src/health/probe-set.js';
import { checkOf } from '../../test/unit/health/check-fixtures.js';
import { startLoopbackServers } from './servers-process.js';
import { median } from '../order-statistics.js';
import { relaunchWithLauncherFlags } from '../launcher-flags.js';

// Measured under the daemon's node options (bench/launcher-flags.ts).
relaunchWithLauncherFlags();

const [tcpCount = 20_000, httpCount = 10_000, concurrency = 64, rounds = 5] = process.argv.slice(2).map(Number);

/** PROBES is how many loopback addresses the checks spread over: one probe each. */
const PROBES = 16 * 254;

/**
 * TCP_INTERVAL_MS is the shortest interval the config allows (schema-health.ts): PROBES probes
 * then offer ~40,000 TCP checks a second. HTTP_INTERVAL_MS offers ~16,000 HTTP checks a second
 * and leaves a loaded machine's HTTP server more time to answer (timeouts are 90 % of the interval).
 */
const TCP_INTERVAL_MS = 100;
const HTTP_INTERVAL_MS = 250;

/** targetAddress spreads attempts over PROBES loopback addresses, 127.0.0.1–127.0.15.254. */
function targetAddress(index: number): string {
  const host = index % PROBES;
  return `127.0.${Math.floor(host / 254)}.${(host % 254) + 1}`;
}

interface Figures {
  readonly checks: number;
  readonly listenOverflows: number;
  readonly failures: Map<string, number>;
  readonly userSeconds: number;
  readonly systemSeconds: number;
  readonly wallSeconds: number;
}

/** listenOverflows reads TcpExt ListenOverflows from /proc/net/netstat (a header line, then a values line). */
function listenOverflows(): number {
  const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n');
  const header = lines.findIndex((line) => line.startsWith('TcpExt:'));
  const names = lines[header]?.split(' ') ?? [];
  const values = lines[header + 1]?.split(' ') ?? [];
  return Number(values[names.indexOf('ListenOverflows')]);
}

/** Attempt runs check number `index` and resolves with its outcome. */
type Attempt = (index: number) => Promise<CheckOutcome>;

/** Measurement runs `count` checks, counting failed outcomes by reason in `failures`. */
type Measurement = (count: number, failures: Map<string, number>) => Promise<void>;

/** timed runs a measurement and times it on CPU and wall clocks. */
async function timed(count: number, measurement: Measurement): Promise<Figures> {
  const failures = new Map<string, number>();
  const overflowsBefore = listenOverflows();
  const cpuBefore = process.cpuUsage();
  const wallBefore = performance.now();
  await measurement(count, failures);
  const cpu = process.cpuUsage(cpuBefore);
  return { checks: count, listenOverflows: listenOverflows() - overflowsBefore, failures, userSeconds: cpu.user / 1e6, systemSeconds: cpu.system / 1e6, wallSeconds: (performance.now() - wallBefore) / 1000 };
}

/** countFailure adds a failed outcome to `failures`. */
function countFailure(outcome: CheckOutcome, failures: Map<string, number>): void {
  if (!outcome.ok) failures.set(outcome.reason, (failures.get(outcome.reason) ?? 0) + 1);
}

/** concurrently runs `count` attempts, `concurrency` at a time. */
function concurrently(attempt: Attempt): Measurement {
  return async (count, failures) => {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < count) countFailure(await attempt(next++), failures);
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  };
}

/**
 * scheduled runs checks as the daemon does: a CheckScheduler with `concurrency` slots over
 * PROBES probes of `check`, stopped after its `count`-th run.
 */
function scheduled(check: HealthCheck, intervalMs: number): Measurement {
  const paced = { ...check, intervalMs, timeoutMs: Math.round(intervalMs * 0.9) };
  const probes = Array.from({ length: PROBES }, (_, index): Probe => {
    const address = targetAddress(index);
    return { key: probeKey(address, paced), target: { address, check: paced }, realServers: [{ virtualServer: 'bench', address, port: check.port }] };
  });
  const checker = checkerFor();
  return (count, failures) =>
    new Promise((resolve) => {
      let runs = 0;
      const scheduler = new CheckScheduler({
        clock: systemMonotonicClock(),
        checker,
        maxConcurrent: concurrency,
        onVerdict: () => undefined,
        onRun: ({ result }) => {
          countFailure(result, failures);
          runs += 1;
          if (runs < count) return;
          scheduler.stop();
          resolve();
        },
      });
      scheduler.update(probes);
      scheduler.start();
    });
}

/** bareConnect is connect, then reset, nothing else. */
function bareConnect(port: number): Attempt {
  return (index) =>
    new Promise((resolve) => {
      const socket = connect({ host: targetAddress(index), port });
      socket.once('connect', () => {
        socket.resetAndDestroy();
        resolve({ ok: true });
      });
      socket.once('error', () => {
        resolve({ ok: false, reason: 'refused', detail: '' });
      });
    });
}

/** bareRequest is one agent-less node:http request, destroyed at the response head. */
function bareRequest(port: number): Attempt {
  return (index) =>
    new Promise((resolve) => {
      const req = request({ host: targetAddress(index), port, agent: false, headers: { Connection: 'close' } });
      req.once('response', () => {
        req.destroy();
        resolve({ ok: true });
      });
      req.once('error', () => {
        resolve({ ok: false, reason: 'refused', detail: '' });
      });
      req.end();
    });
}

/** perCpuSecond is the figure the goals are stated in. */
function perCpuSecond(figures: Figures): number {
  return figures.checks / (figures.userSeconds + figures.systemSeconds);
}

function report(name: string, figures: Figures): void {
  const failed = [...figures.failures].map(([reason, n]) => `${reason} ${n}`).join(', ') || 'none';
  console.log(
    `${name.padEnd(10)} ${String(figures.checks).padStart(6)} checks  user ${figures.userSeconds.toFixed(2)} + sys ${figures.systemSeconds.toFixed(2)} CPU-s  ` +
      `${figures.wallSeconds.toFixed(2)} wall-s  ${Math.round(perCpuSecond(figures)).toLocaleString('en')} checks/CPU-s  failures: ${failed}  listen overflows: ${figures.listenOverflows}`,
  );
}

/** Kind is one line of the benchmark: its measurement, how many checks per round and its goal, if any. */
interface Kind {
  readonly name: string;
  readonly count: number;
  readonly goal: number | null;
  readonly measurement: Measurement;
}

const servers = await startLoopbackServers();
try {
  const tcp = checkOf('tcp', servers.tcpPort);
  const http = checkOf('http', servers.httpPort);
  const kinds: Kind[] = [
    { name: 'tcp', count: tcpCount, goal: 20_000, measurement: scheduled(tcp, TCP_INTERVAL_MS) },
    { name: 'bare net', count: tcpCount, goal: null, measurement: concurrently(bareConnect(servers.tcpPort)) },
    { name: 'http', count: httpCount, goal: 5_000, measurement: scheduled(http, HTTP_INTERVAL_MS) },
    { name: 'node:http', count: httpCount, goal: null, measurement: concurrently(bareRequest(servers.httpPort)) },
  ].filter((kind) => kind.count > 0);
  const loadBefore = loadavg()[0] ?? 0;
  console.log(`node ${process.version}, concurrency ${concurrency}, ${rounds} rounds, servers: tcp accept loop pid ${servers.tcpPid}, http pid ${servers.httpPid}, load average ${loadBefore.toFixed(2)}`);
  // Warm-up: JIT and socket paths.
  for (const kind of kinds) await timed(Math.min(2000, kind.count), kind.measurement);
  const results = new Map<string, number[]>(kinds.map((kind) => [kind.name, []]));
  for (let round = 1; round <= rounds; round++) {
    for (const kind of kinds) {
      const figures = await timed(kind.count, kind.measurement);
      report(kind.name, figures);
      results.get(kind.name)?.push(perCpuSecond(figures));
    }
  }
  const loadAfter = loadavg()[0] ?? 0;
  console.log(`median of ${rounds} rounds, 1-min load average ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after:`);
  for (const kind of kinds) {
    const figure = median(results.get(kind.name) ?? []);
    const verdict = kind.goal === null ? '' : ` (goal ≥ ${kind.goal.toLocaleString('en')}: ${figure >= kind.goal ? 'met' : 'NOT met'})`;
    console.log(`  ${kind.name.padEnd(10)} ${Math.round(figure).toLocaleString('en').padStart(7)} checks/CPU-s${verdict}`);
  }
} finally {
  await servers.stop();
}
