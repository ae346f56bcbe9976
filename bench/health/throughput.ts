/**
 * throughput: health checks per CPU-second of this process, against loopback servers running in
 * a separate process (so only the checker's CPU is counted). Goals (issue 5): ≥ 20,000 TCP and
 * ≥ 5,000 plain HTTP checks per CPU-second.
 *
 *   npx tsx bench/health/throughput.ts [TCP_CHECKS] [HTTP_CHECKS] [CONCURRENCY] [ROUNDS]
 *
 * CPU is process.cpuUsage(): this process's user + system time, nothing else. Each attempt gets
 * its own AbortController and timeout timer, as the scheduler gives it, and targets rotate over
 * 127.0.0.1–127.0.3.254 so no single address pair runs out of ports. Every kind runs ROUNDS
 * times, interleaved, and the closing lines give the median of each with the 1-minute load
 * average. A count of 0 skips that kind.
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
import { checkerFor } from '../../src/health/checker-for.js';
import { checkOf } from '../../test/unit/health/check-fixtures.js';
import { startLoopbackServers } from './servers-process.js';
import { median } from '../order-statistics.js';

const [tcpCount = 20_000, httpCount = 10_000, concurrency = 64, rounds = 5] = process.argv.slice(2).map(Number);

/** targetAddress spreads attempts over 1,016 loopback addresses. */
function targetAddress(index: number): string {
  const host = index % 1016;
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

/** measure runs `count` attempts at `concurrency` in flight and times them on CPU and wall clocks. */
async function measure(count: number, attempt: Attempt): Promise<Figures> {
  const failures = new Map<string, number>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const outcome = await attempt(next++);
      if (!outcome.ok) failures.set(outcome.reason, (failures.get(outcome.reason) ?? 0) + 1);
    }
  };
  const overflowsBefore = listenOverflows();
  const cpuBefore = process.cpuUsage();
  const wallBefore = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const cpu = process.cpuUsage(cpuBefore);
  return { checks: count, listenOverflows: listenOverflows() - overflowsBefore, failures, userSeconds: cpu.user / 1e6, systemSeconds: cpu.system / 1e6, wallSeconds: (performance.now() - wallBefore) / 1000 };
}

/** viaChecker is an attempt the way the scheduler makes it: an AbortController and a deadline timer. */
function viaChecker(check: HealthCheck): Attempt {
  const checker = checkerFor();
  return async (index) => {
    const attempt = new AbortController();
    const timer = setTimeout(() => {
      attempt.abort();
    }, check.timeoutMs);
    const outcome = await checker.check({ address: targetAddress(index), check }, attempt.signal);
    clearTimeout(timer);
    return outcome;
  };
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

/** Kind is one line of the benchmark: its attempt, how many per round and its goal, if any. */
interface Kind {
  readonly name: string;
  readonly count: number;
  readonly goal: number | null;
  readonly attempt: Attempt;
}

const servers = await startLoopbackServers();
try {
  const tcp = checkOf('tcp', servers.tcpPort);
  const http = checkOf('http', servers.httpPort);
  const kinds: Kind[] = [
    { name: 'tcp', count: tcpCount, goal: 20_000, attempt: viaChecker(tcp) },
    { name: 'bare net', count: tcpCount, goal: null, attempt: bareConnect(servers.tcpPort) },
    { name: 'http', count: httpCount, goal: 5_000, attempt: viaChecker(http) },
    { name: 'node:http', count: httpCount, goal: null, attempt: bareRequest(servers.httpPort) },
  ].filter((kind) => kind.count > 0);
  const loadBefore = loadavg()[0] ?? 0;
  console.log(`node ${process.version}, concurrency ${concurrency}, ${rounds} rounds, servers: tcp accept loop pid ${servers.tcpPid}, http pid ${servers.httpPid}, load average ${loadBefore.toFixed(2)}`);
  // Warm-up: JIT and socket paths.
  for (const kind of kinds) await measure(Math.min(2000, kind.count), kind.attempt);
  const results = new Map<string, number[]>(kinds.map((kind) => [kind.name, []]));
  for (let round = 1; round <= rounds; round++) {
    for (const kind of kinds) {
      const figures = await measure(kind.count, kind.attempt);
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
