/**
 * throughput: health checks per CPU-second of this process, against loopback servers running in
 * a separate process (so only the checker's CPU is counted). Goals (issue 5): ≥ 20,000 TCP and
 * ≥ 5,000 plain HTTP checks per CPU-second.
 *
 *   npx tsx bench/health/throughput.ts [TCP_CHECKS] [HTTP_CHECKS] [CONCURRENCY]
 *
 * Each attempt gets its own AbortController and timeout timer, as the scheduler gives it, and
 * targets rotate over 127.0.0.1–127.0.3.254 so no single address pair runs out of ports.
 */
import { performance } from 'node:perf_hooks';
import type { HealthCheck } from '../../src/config/types.js';
import { checkerFor } from '../../src/health/checker-for.js';
import { checkOf } from '../../test/unit/health/check-fixtures.js';
import { startLoopbackServers } from './servers-process.js';

const [tcpCount = 20_000, httpCount = 10_000, concurrency = 64] = process.argv.slice(2).map(Number);

/** targetAddress spreads attempts over 1,016 loopback addresses. */
function targetAddress(index: number): string {
  const host = index % 1016;
  return `127.0.${Math.floor(host / 254)}.${(host % 254) + 1}`;
}

interface Figures {
  readonly checks: number;
  readonly failures: Map<string, number>;
  readonly cpuSeconds: number;
  readonly wallSeconds: number;
}

/** measure runs `count` checks at `concurrency` in flight and times them on CPU and wall clocks. */
async function measure(check: HealthCheck, count: number): Promise<Figures> {
  const checker = checkerFor();
  const failures = new Map<string, number>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      const attempt = new AbortController();
      const timer = setTimeout(() => {
        attempt.abort();
      }, check.timeoutMs);
      const outcome = await checker.check({ address: targetAddress(index), check }, attempt.signal);
      clearTimeout(timer);
      if (!outcome.ok) failures.set(outcome.reason, (failures.get(outcome.reason) ?? 0) + 1);
    }
  };
  const cpuBefore = process.cpuUsage();
  const wallBefore = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const cpu = process.cpuUsage(cpuBefore);
  return { checks: count, failures, cpuSeconds: (cpu.user + cpu.system) / 1e6, wallSeconds: (performance.now() - wallBefore) / 1000 };
}

function report(name: string, goal: number, figures: Figures): void {
  const perCpuSecond = figures.checks / figures.cpuSeconds;
  const failed = [...figures.failures].map(([reason, n]) => `${reason} ${n}`).join(', ') || 'none';
  console.log(
    `${name.padEnd(5)} ${String(figures.checks).padStart(6)} checks  ${figures.cpuSeconds.toFixed(2)} CPU-s  ${figures.wallSeconds.toFixed(2)} wall-s  ` +
      `${Math.round(perCpuSecond).toLocaleString('en')} checks/CPU-s (goal ≥ ${goal.toLocaleString('en')}: ${perCpuSecond >= goal ? 'met' : 'NOT met'})  failures: ${failed}`,
  );
}

const servers = await startLoopbackServers();
try {
  const tcp = checkOf('tcp', servers.tcpPort);
  const http = checkOf('http', servers.httpPort);
  console.log(`node ${process.version}, concurrency ${concurrency}, servers in pid ${servers.pid}`);
  await measure(tcp, 2000); // warm-up: JIT and socket paths
  report('tcp', 20_000, await measure(tcp, tcpCount));
  await measure(http, 1000);
  report('http', 5_000, await measure(http, httpCount));
} finally {
  await servers.stop();
}
