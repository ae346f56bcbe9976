/**
 * cadence: 10,000 real servers checked every 2 s (tcp, default jitter and maxConcurrent) by the
 * real scheduler on the real clock, against loopback servers in a separate process. Reports the
 * share of runs that started more than 10 % of their interval late (goal < 5 %), the lateness
 * distribution, the event loop's own delay, and the CPU this process used.
 *
 *   npx tsx bench/health/cadence.ts [REAL_SERVERS] [SECONDS] [MAX_CONCURRENT]
 *
 * Each real server is a distinct address in 127/8, so every probe is its own (no dedupe).
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { systemMonotonicClock } from '../../src/election-runtime/monotonic-clock.js';
import { CheckScheduler, LATE_SHARE_OF_INTERVAL } from '../../src/health/check-scheduler.js';
import { checkerFor } from '../../src/health/checker-for.js';
import { probeKey, type Probe } from '../../src/health/probe-set.js';
import { checkOf } from '../../test/unit/health/check-fixtures.js';
import { startLoopbackServers } from './servers-process.js';

const [realServers = 10_000, seconds = 30, maxConcurrent = 64] = process.argv.slice(2).map(Number);

/** percentile reads the p-th percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;
}

const servers = await startLoopbackServers();
try {
  const check = checkOf('tcp', servers.tcpPort);
  const probes: Probe[] = Array.from({ length: realServers }, (_, i) => {
    const address = `127.${Math.floor(i / 64_516) + 1}.${Math.floor(i / 254) % 254}.${(i % 254) + 1}`;
    return { key: probeKey(address, check), target: { address, check }, realServers: [{ virtualServer: 'bench', address, port: check.port }] };
  });
  const lateness: number[] = [];
  const latency: number[] = [];
  const failures = new Map<string, number>();
  let verdictChanges = 0;
  const scheduler = new CheckScheduler({
    clock: systemMonotonicClock(),
    checker: checkerFor(),
    maxConcurrent,
    onVerdict: () => {
      verdictChanges += 1;
    },
    onRun: (run) => {
      lateness.push(run.latenessMs);
      latency.push(run.result.latencyMs);
      if (!run.result.ok) failures.set(run.result.reason, (failures.get(run.result.reason) ?? 0) + 1);
    },
  });
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const cpuBefore = process.cpuUsage();
  const wallBefore = performance.now();
  scheduler.update(probes);
  scheduler.start();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  scheduler.stop();
  const cpu = process.cpuUsage(cpuBefore);
  const wallSeconds = (performance.now() - wallBefore) / 1000;
  loopDelay.disable();

  const stats = scheduler.stats();
  const sorted = lateness.sort((a, b) => a - b);
  const lateMs = check.intervalMs * LATE_SHARE_OF_INTERVAL;
  const lateShare = (100 * stats.late) / stats.started;
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  console.log(`node ${process.version}; ${realServers} real servers, tcp every ${check.intervalMs} ms ± ${check.jitterPercent} %, maxConcurrent ${maxConcurrent}, ${wallSeconds.toFixed(1)} s`);
  console.log(`runs started ${stats.started}, finished ${sorted.length} (${(sorted.length / wallSeconds).toFixed(0)}/s), skipped intervals ${stats.skipped}`);
  console.log(`late by > ${lateMs} ms: ${stats.late} = ${lateShare.toFixed(2)} % (goal < 5 %: ${lateShare < 5 ? 'met' : 'NOT met'})`);
  console.log(`lateness ms: p50 ${percentile(sorted, 50).toFixed(1)}  p90 ${percentile(sorted, 90).toFixed(1)}  p99 ${percentile(sorted, 99).toFixed(1)}  max ${stats.maxLatenessMs.toFixed(1)}`);
  const latencySorted = latency.sort((a, b) => a - b);
  console.log(`check latency ms: p50 ${percentile(latencySorted, 50).toFixed(1)}  p99 ${percentile(latencySorted, 99).toFixed(1)}  max ${(latencySorted.at(-1) ?? 0).toFixed(1)}`);
  console.log(`event loop delay ms: p50 ${(loopDelay.percentile(50) / 1e6).toFixed(1)}  p99 ${(loopDelay.percentile(99) / 1e6).toFixed(1)}  max ${(loopDelay.max / 1e6).toFixed(1)}`);
  console.log(`CPU ${cpuSeconds.toFixed(1)} s (${((100 * cpuSeconds) / wallSeconds).toFixed(0)} % of one core); failures: ${[...failures].map(([reason, n]) => `${reason} ${n}`).join(', ') || 'none'}; verdict changes ${verdictChanges}`);
} finally {
  await servers.stop();
}
