/**
 * cadence: issue 5's benchmark. 10,000 real servers checked every 2 s (tcp, the config's default
 * check timing, jitter and maxConcurrent) by the real scheduler on the real clock, against
 * loopback servers in a separate process, while the real election runs in the same process and
 * adverts (the default 50 ms) to a receiver in another process that timestamps each arrival.
 *
 *   npx tsx bench/health/cadence.ts [REAL_SERVERS] [SECONDS] [MAX_CONCURRENT|auto]
 *
 * The director is set up from a config file and key file through the daemon's loader
 * (bench-config.ts), and the election started as the daemon starts it (election-setup.ts), so it
 * runs on its own thread with its default scheduling. First the election adverts alone for
 * BASELINE_SECONDS, then the checks run for SECONDS. Reported:
 * - the share of runs that started more than 10 % of their interval late (goal < 5 %), the
 *   lateness distribution, and how much of it was queueing for a slot (maxConcurrent reached);
 * - Little's law: the check rate the probes need, and maxConcurrent / mean check latency, the
 *   most that many slots can start per second;
 * - the advert delay (inter-arrival − advertIntervalMs) at the receiver, alone and during the
 *   checks (goal: max < 20 ms), and the election thread's own count of late timers;
 * - the event loop's delay and its longest stalls (on or off the CPU), this process's CPU, the TCP servers process's CPU, the whole machine's
 *   busy share, kernel listen drops, and the 1-minute load average before and after.
 */
import { loadavg } from 'node:os';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { Config } from '../../src/config/types.js';
import { electionRuntimeOptions } from '../../src/daemon/election-setup.js';
import { startElectionRuntime, type ElectionRuntime } from '../../src/election-runtime/election-runtime.js';
import { systemMonotonicClock } from '../../src/election-runtime/monotonic-clock.js';
import { CheckScheduler, LATE_SHARE_OF_INTERVAL, type MaxConcurrent } from '../../src/health/check-scheduler.js';
import { checkerFor } from '../../src/health/checker-for.js';
import { probesFor } from '../../src/health/probe-set.js';
import { startAdvertPeer, type AdvertPeer } from './advert-peer.js';
import { PEER_ADDRESS, writeBenchConfig } from './bench-config.js';
import { busyShare, listenDrops, machineCpuTicks, processCpuSeconds, type CpuTicks } from './machine-load.js';
import { startLoopbackServers, type LoopbackServers } from './servers-process.js';
import { percentile } from '../order-statistics.js';
import { relaunchWithLauncherFlags } from '../launcher-flags.js';

// Measured under the daemon's node options (bench/launcher-flags.ts).
relaunchWithLauncherFlags();

const [realServers = 10_000, seconds = 30] = process.argv.slice(2, 4).map(Number);
/** maxConcurrentArgument: a number or 'auto' (check-scheduler.ts autoMaxConcurrent); absent, the config's default. */
const maxConcurrentArgument: MaxConcurrent | undefined = process.argv[4] === undefined || process.argv[4] === 'auto' ? process.argv[4] : Number(process.argv[4]);
/** BASELINE_SECONDS of adverts with no checks running, to compare the delay against. */
const BASELINE_SECONDS = 5;
/** SAMPLE_MS is how often in-flight and queued runs are sampled. */
const SAMPLE_MS = 100;

/** WINDOW_SECONDS: the late share is also given per window of this length, to tell a start-up transient from the steady state. */
const WINDOW_SECONDS = 5;

/** lateSharePerWindow is the share of runs (by finish time) late by more than lateMs in each WINDOW_SECONDS window, as percentages. */
function lateSharePerWindow(finishedAtMs: readonly number[], latenessMs: readonly number[], startMs: number, lateMs: number): string[] {
  const windows: { runs: number; late: number }[] = [];
  finishedAtMs.forEach((atMs, index) => {
    const window = Math.floor((atMs - startMs) / (WINDOW_SECONDS * 1000));
    const counts = (windows[window] ??= { runs: 0, late: 0 });
    counts.runs += 1;
    if ((latenessMs[index] ?? 0) > lateMs) counts.late += 1;
  });
  return Array.from({ length: windows.length }, (_, window) => windows[window]).map((counts) => (counts === undefined ? '-' : `${((100 * counts.late) / counts.runs).toFixed(1)}%`));
}

/** STALLS_REPORTED: how many of the longest gaps between samples to describe. */
const STALLS_REPORTED = 3;

/** Sample is one reading of the sampler: when it ran, and the CPU used so far. */
interface Sample {
  readonly atMs: number;
  readonly cpuMs: number;
  readonly serversCpuMs: number;
  readonly machine: CpuTicks;
}

/**
 * longestStalls describes the longest gaps between the sampler's SAMPLE_MS ticks: how much CPU
 * this process and the servers used meanwhile, and how busy the machine was. A gap this process
 * spent on the CPU is its own work (a backlog of timers and completions); a gap it spent off the
 * CPU while the machine was busy is other processes' work (it was runnable, not run).
 */
function longestStalls(samples: readonly Sample[], count: number): string[] {
  const gaps = samples.slice(1).map((after, index) => ({ before: samples[index] ?? after, after }));
  gaps.sort((a, b) => b.after.atMs - b.before.atMs - (a.after.atMs - a.before.atMs));
  return gaps.slice(0, count).map(({ before, after }) => {
    const gapMs = after.atMs - before.atMs;
    return `loop stall: ${gapMs.toFixed(0)} ms between samples at +${(before.atMs - (samples[0]?.atMs ?? 0)).toFixed(0)} ms; this process on CPU ${(after.cpuMs - before.cpuMs).toFixed(0)} ms, tcp servers ${(after.serversCpuMs - before.serversCpuMs).toFixed(0)} ms, machine ${(100 * busyShare(before.machine, after.machine)).toFixed(0)} % busy`;
  });
}


function ascending(values: number[]): number[] {
  return values.sort((a, b) => a - b);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** advertDelays turns arrival times into delays beyond the interval (gap − intervalMs), ascending. */
function advertDelays(arrivalsMs: readonly number[], intervalMs: number): number[] {
  return ascending(arrivalsMs.slice(1).map((atMs, index) => atMs - (arrivalsMs[index] ?? atMs) - intervalMs));
}

function formatDelays(label: string, delays: readonly number[], intervalMs: number): string {
  const stuck = delays.filter((delay) => delay >= 2 * intervalMs).length;
  return `${label}: ${delays.length} gaps, delay beyond ${intervalMs} ms: p50 ${percentile(delays, 0.5).toFixed(2)}  p99 ${percentile(delays, 0.99).toFixed(2)}  max ${(delays.at(-1) ?? Number.NaN).toFixed(2)} ms; gaps ≥ 3 intervals ${stuck}`;
}

async function waitForMaster(election: ElectionRuntime, timeoutMs: number): Promise<void> {
  const giveUpAtMs = performance.now() + timeoutMs;
  while ((await election.status()).state !== 'master') {
    if (performance.now() > giveUpAtMs) throw new Error(`the election did not become master within ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** run measures with the election already master; see the file comment. */
async function run(config: Config, election: ElectionRuntime, servers: LoopbackServers, peer: AdvertPeer): Promise<void> {
  const loadAverageBefore = loadavg()[0] ?? Number.NaN;
  const intervalMs = config.election.advertIntervalMs;
  await waitForMaster(election, 5000);
  await peer.take();
  await sleep(BASELINE_SECONDS * 1000);
  const baseline = advertDelays(await peer.take(), intervalMs);
  const timersBefore = (await election.status()).timers;

  const probes = probesFor(config.virtualServers);
  const check = probes[0]?.target.check;
  if (check === undefined) throw new Error('no probes: REAL_SERVERS must be at least 1');
  const lateness: number[] = [];
  const finishedAtMs: number[] = [];
  const queued: number[] = [];
  const latency: number[] = [];
  const reasons = new Map<string, number>();
  const scheduler = new CheckScheduler({
    clock: systemMonotonicClock(),
    checker: checkerFor(),
    maxConcurrent: maxConcurrentArgument ?? config.health.maxConcurrent,
    onVerdict: () => undefined,
    onRun: (run) => {
      lateness.push(run.latenessMs);
      finishedAtMs.push(performance.now());
      queued.push(run.queuedMs);
      latency.push(run.result.latencyMs);
      if (!run.result.ok) reasons.set(run.result.reason, (reasons.get(run.result.reason) ?? 0) + 1);
    },
  });
  const inFlight: number[] = [];
  const samples: Sample[] = [];
  const sampler = setInterval(() => {
    inFlight.push(scheduler.stats().inFlight);
    const cpu = process.cpuUsage();
    samples.push({ atMs: performance.now(), cpuMs: (cpu.user + cpu.system) / 1000, serversCpuMs: 1000 * processCpuSeconds(servers.tcpPid), machine: machineCpuTicks() });
  }, SAMPLE_MS);
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const cpuBefore = process.cpuUsage();
  const serversCpuBefore = processCpuSeconds(servers.tcpPid);
  const machineBefore = machineCpuTicks();
  const dropsBefore = listenDrops();
  const wallBefore = performance.now();
  scheduler.update(probes);
  scheduler.start();
  await sleep(seconds * 1000);
  scheduler.stop();
  const wallSeconds = (performance.now() - wallBefore) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const serversCpuSeconds = processCpuSeconds(servers.tcpPid) - serversCpuBefore;
  const machineBusy = busyShare(machineBefore, machineCpuTicks());
  const drops = listenDrops() - dropsBefore;
  clearInterval(sampler);
  loopDelay.disable();
  const loaded = advertDelays(await peer.take(), intervalMs);
  const timersAfter = (await election.status()).timers;

  const stats = scheduler.stats();
  const lateMs = check.intervalMs * LATE_SHARE_OF_INTERVAL;
  const lateShare = (100 * stats.late) / stats.started;
  const sortedLateness = ascending([...lateness]);
  const lateByQueue = queued.filter((ms) => ms > lateMs).length;
  const meanLatencyMs = latency.reduce((sum, ms) => sum + ms, 0) / latency.length;
  const neededPerSecond = (1000 * probes.length) / check.intervalMs;
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const share = (cpuSeconds: number): string => `${((100 * cpuSeconds) / wallSeconds).toFixed(0)} % of one core`;
  const worstAdvertDelay = loaded.at(-1) ?? Number.NaN;
  const latencySorted = ascending(latency);
  console.log(`node ${process.version}; ${probes.length} real servers, tcp every ${check.intervalMs} ms ± ${check.jitterPercent} %, timeout ${check.timeoutMs} ms, maxConcurrent ${maxConcurrentArgument ?? config.health.maxConcurrent} (${stats.maxConcurrent}), ${wallSeconds.toFixed(1)} s; load average (1 min) ${loadAverageBefore.toFixed(2)} before, ${(loadavg()[0] ?? Number.NaN).toFixed(2)} after`);
  console.log(`runs started ${stats.started}, finished ${lateness.length} (${(lateness.length / wallSeconds).toFixed(0)}/s of ${neededPerSecond.toFixed(0)}/s needed), skipped intervals ${stats.skipped}`);
  console.log(`late by > ${lateMs} ms: ${stats.late} = ${lateShare.toFixed(2)} % (goal < 5 %: ${lateShare < 5 ? 'met' : 'NOT met'}); ${lateByQueue} of them waited > ${lateMs} ms for a slot; ${stats.waited} runs waited at all`);
  console.log(`lateness ms: p50 ${percentile(sortedLateness, 0.5).toFixed(1)}  p90 ${percentile(sortedLateness, 0.9).toFixed(1)}  p99 ${percentile(sortedLateness, 0.99).toFixed(1)}  max ${stats.maxLatenessMs.toFixed(1)}`);
  console.log(`check latency ms: p50 ${percentile(latencySorted, 0.5).toFixed(1)}  p99 ${percentile(latencySorted, 0.99).toFixed(1)}  max ${(latencySorted.at(-1) ?? 0).toFixed(1)}; mean in flight ${(inFlight.reduce((sum, n) => sum + n, 0) / inFlight.length).toFixed(1)}`);
  console.log(`Little's law: ${stats.maxConcurrent} slots / mean latency ${meanLatencyMs.toFixed(2)} ms = at most ${((1000 * stats.maxConcurrent) / meanLatencyMs).toFixed(0)} starts/s`);
  console.log(`event loop delay ms: p50 ${(loopDelay.percentile(50) / 1e6).toFixed(1)}  p99 ${(loopDelay.percentile(99) / 1e6).toFixed(1)}  max ${(loopDelay.max / 1e6).toFixed(1)} (histogram of ${loopDelay.count} 10 ms ticks, tick period included)`);
  console.log(`CPU: this process ${cpuSeconds.toFixed(1)} s (${share(cpuSeconds)}), tcp servers (accept-loop.py) ${serversCpuSeconds.toFixed(1)} s (${share(serversCpuSeconds)}), machine ${(100 * machineBusy).toFixed(0)} % busy; listen drops ${drops}`);
  console.log(`late share per ${WINDOW_SECONDS} s window: ${lateSharePerWindow(finishedAtMs, lateness, wallBefore, lateMs).join(' ')}`);
  for (const stall of longestStalls(samples, STALLS_REPORTED)) console.log(stall);
  console.log(`failures: ${[...reasons].map(([reason, n]) => `${reason} ${n}`).join(', ') || 'none'}`);
  console.log(formatDelays(`adverts alone (${BASELINE_SECONDS} s)`, baseline, intervalMs));
  console.log(`${formatDelays('adverts during checks', loaded, intervalMs)} (goal max < 20 ms: ${worstAdvertDelay < 20 ? 'met' : 'NOT met'})`);
  console.log(`election thread: ${JSON.stringify(election.threadPriority)}; its timers late during checks ${timersAfter.late - timersBefore.late} of ${timersAfter.fired - timersBefore.fired}, worst since start ${timersAfter.maxLateByMs.toFixed(1)} ms`);
}

const servers = await startLoopbackServers();
const peer = await startAdvertPeer(PEER_ADDRESS).catch(async (error: unknown) => {
  await servers.stop();
  throw error;
});
const failures: Error[] = [];
try {
  const director = await writeBenchConfig({ realServers, checkPort: servers.tcpPort, electionPort: peer.port });
  try {
    const election = await startElectionRuntime(electionRuntimeOptions(director.config, director.node, director.keys), {
      // The bench holds no VIPs: addVips/removeVips/announce notices are only heard.
      notice: () => undefined,
      failed: (error) => failures.push(error),
    });
    try {
      await run(director.config, election, servers, peer);
    } finally {
      await election.shutdown().catch((error: unknown) => failures.push(error instanceof Error ? error : new Error(String(error))));
    }
  } finally {
    await director.remove();
  }
} finally {
  await peer.stop();
  await servers.stop();
  for (const failure of failures) console.error(`election: ${failure.message}`);
}
