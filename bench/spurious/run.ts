/**
 * bench/spurious: an idle pair must make no transitions while both cores are saturated and the
 * daemons allocate heavily (the keepalived "thread timer expired" false-failover class).
 *
 * Two `tandem run` daemons in the netns lab; once alpha is master and beta backup, it starts one
 * busy process per CPU (each also allocating), preloads alloc-pressure.mjs into both daemons
 * (NODE_OPTIONS, bench only), and counts election transitions and stalls for DURATION_S.
 *
 *   sudo npx tsx bench/spurious/run.ts [DURATION_S=600] [ADVERT_INTERVAL_MS=50]
 *
 * Prints: transitions (should be 0), stalls (late timers the election forgave), and the load.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { killAndWait, Lab, waitFor } from '../../test/netns/lab/lab.js';

const durationS = Number(process.argv[2] ?? 600);
const advertIntervalMs = Number(process.argv[3] ?? 50);
const PRELOAD = new URL('alloc-pressure.mjs', import.meta.url).href;
/** A busy loop that also allocates, so the host's own allocator and caches are under pressure too. */
const BURNER = 'let a=[];for(;;){a.push({x:Math.random()});if(a.length>1e5)a=[]}';

const lab = await Lab.create({ advertIntervalMs, preemptDelayMs: 2000 });
const burners: ChildProcess[] = [];
const loads: number[] = [];
/** Counted is what the measurement window saw. */
interface Counted {
  readonly transitions: readonly (Record<string, unknown> & { node: string })[];
  readonly stalls: number;
}
let counted: Counted;
try {
  const previous = process.env.NODE_OPTIONS;
  process.env.NODE_OPTIONS = `${previous ?? ''} --import ${PRELOAD}`.trim();
  lab.startDaemon('alpha');
  lab.startDaemon('beta');
  if (previous === undefined) delete process.env.NODE_OPTIONS;
  else process.env.NODE_OPTIONS = previous;
  const logged = (name: 'alpha' | 'beta'): Record<string, unknown>[] => lab.logs.get(name) ?? [];
  // Starting from source (tsx) while alloc-pressure.mjs already allocates takes minutes on a loaded host.
  await waitFor('alpha master and beta backup', () => lab.holdsVip('alpha') && logged('beta').some((line) => line.event === 'election.transition' && line.to === 'backup'), 300_000);
  // Let both daemons finish compiling and warming up before counting.
  await new Promise((resolve) => setTimeout(resolve, 10_000));
  const from = { alpha: logged('alpha').length, beta: logged('beta').length };
  for (let i = 0; i < availableParallelism(); i++) burners.push(spawn('node', ['-e', BURNER], { stdio: 'ignore' }));
  const startMs = performance.now();
  while (performance.now() - startMs < durationS * 1000) {
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    loads.push(loadavg()[0] ?? Number.NaN);
  }
  const window: (Record<string, unknown> & { node: string })[] = [...logged('alpha').slice(from.alpha).map((line) => ({ node: 'alpha', ...line })), ...logged('beta').slice(from.beta).map((line) => ({ node: 'beta', ...line }))];
  counted = { transitions: window.filter((line) => line.event === 'election.transition'), stalls: window.filter((line) => line.event === 'election.stall').length };
} finally {
  await Promise.all(burners.map((child) => killAndWait(child, 'SIGKILL')));
  await lab.destroy();
}
const sorted = [...loads].sort((a, b) => a - b);
process.stdout.write(`spurious: advert ${advertIntervalMs} ms, ${durationS} s idle with ${burners.length} busy allocating processes and allocation pressure in both daemons\n`);
const { transitions, stalls } = counted;
process.stdout.write(`transitions ${transitions.length}, stalls forgiven ${stalls}, 1-min load average min ${sorted[0]?.toFixed(2) ?? '?'} median ${sorted[Math.floor(sorted.length / 2)]?.toFixed(2) ?? '?'} max ${sorted.at(-1)?.toFixed(2) ?? '?'}\n`);
for (const line of transitions) process.stdout.write(`  ${line.node} ${String(line.time)} ${String(line.from)} -> ${String(line.to)} (${String(line.reason)})\n`);
