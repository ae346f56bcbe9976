/**
 * bench/connection-survival: how many long-lived TCP connections through the VIP survive a
 * failover and a failback between two real-kernel directors (user-mode-linux guests), for
 * each sync-daemon mode, and which mode should be the default.
 *
 *   sudo npx tsx bench/connection-survival/run.ts [CONNECTIONS=100] [ipvsadm|tandem|tandem-link|ipvsadm-rejoin|tandem-partition|all=all]
 *
 * Root only; it builds and removes its own lab (test/kernel/two-directors/lab.ts) and needs
 * the compiled dist/ (`npm run build`) for the tandem rows. Two drivers per mode:
 *   ipvsadm  the directors moved by hand, following tandem's sync-daemon plan
 *            (ipvsadm-scenario.ts);
 *   tandem       `tandem run` in each guest: SIGKILL on alpha, then a restart that preempts
 *                (tandem-scenario.ts);
 *   tandem-link  `tandem run` in each guest: alpha's eth0 goes down, then up again.
 *   ipvsadm-rejoin  mode both, alpha cut off, then backup for ~6 s of traffic before it takes
 *                over, with the kernel's sync sysctls at their defaults and tuned
 *                (ipvsadm-rejoin-scenario.ts); not part of the mode score.
 *   tandem-partition  `tandem run`, mode both: alpha cut off (eth0 down), back as backup for a
 *                6 s preempt delay while the clients talk, then it takes over; with the sync
 *                sysctls tandem sets by default and with the kernel's (`sysctls: null`)
 *                (tandem-partition-scenario.ts); not part of the mode score.
 * Cohorts: "pre" opens through alpha before the failover, "mid" through beta before the
 * failback (in tandem-partition: while alpha is cut off). The score of a mode is every surviving connection over both cohorts and drivers.
 */
import { loadavg } from 'node:os';
import { runIpvsadmScenario } from '../../test/kernel/two-directors/ipvsadm-scenario.js';
import { runRejoinScenario } from '../../test/kernel/two-directors/ipvsadm-rejoin-scenario.js';
import { SYNC_MODES } from '../../test/kernel/two-directors/ipvsadm-directors.js';
import { startTwoDirectorLab, type CohortCount } from '../../test/kernel/two-directors/lab.js';
import { runPartitionScenario } from '../../test/kernel/two-directors/tandem-partition-scenario.js';
import { runTandemScenario } from '../../test/kernel/two-directors/tandem-scenario.js';

const count = Number(process.argv[2] ?? 100);
const DRIVERS = ['ipvsadm', 'tandem', 'tandem-link', 'ipvsadm-rejoin', 'tandem-partition'];
/** UNSCORED drivers compare sysctls, not modes. */
const UNSCORED = ['ipvsadm-rejoin', 'tandem-partition'];
const drivers = (process.argv[3] ?? 'all') === 'all' ? DRIVERS : [process.argv[3] ?? ''];
if (!drivers.every((driver) => DRIVERS.includes(driver))) throw new Error(`unknown driver: use ${DRIVERS.join(', ')} or all`);
const FIRST_PORT = 8001;

/** Row is what both scenario drivers report. */
interface Row {
  readonly driver: string;
  readonly mode: string;
  readonly count: number;
  readonly preOnBeta: number;
  readonly midOnAlpha: number;
  readonly failover: { readonly pre: CohortCount; readonly takeoverMs?: number };
  readonly failback: { readonly pre: CohortCount; readonly mid: CohortCount; readonly takeoverMs?: number };
  readonly durationMs: number;
}

function percent(alive: number, total: number): string {
  return `${((100 * alive) / total).toFixed(1).padStart(5)}%`;
}

function seconds(ms: number | undefined): string {
  return ms === undefined ? '   -  ' : `${(ms / 1000).toFixed(1).padStart(4)} s`;
}

function format(row: Row): string {
  const { failover, failback } = row;
  return [
    row.driver.padEnd(14),
    row.mode.padEnd(12),
    `failover pre ${percent(failover.pre.alive, row.count)}`,
    `failback pre ${percent(failback.pre.alive, row.count)}`,
    `failback mid ${percent(failback.mid.alive, row.count)}`,
    `synced pre→beta ${String(row.preOnBeta).padStart(3)}/${row.count}`,
    `mid→alpha ${String(row.midOnAlpha).padStart(3)}/${row.count}`,
    `takeover ${seconds(failover.takeoverMs)} / ${seconds(failback.takeoverMs)}`,
    `run ${seconds(row.durationMs)}`,
  ].join('  ');
}

/** rejoinRow runs the rejoin scenario; its two rows are the sysctl defaults and the tuned values. */
async function rejoinRow(tuned: boolean, port: number): Promise<Row & { readonly mode: string }> {
  const result = await runRejoinScenario(lab, tuned, port, count);
  return { ...result, driver: 'ipvsadm-rejoin', mode: tuned ? 'both+refresh' : 'both' };
}

/** partitionRow runs the partition scenario; its two rows are tandem's sync sysctls and the kernel's. */
async function partitionRow(tandemSysctls: boolean, port: number): Promise<Row & { readonly mode: string }> {
  const syncSysctls = tandemSysctls ? 'config-default' : 'kernel';
  const result = await runPartitionScenario(lab, port, count, { syncSysctls, progress: (line) => { console.error(`  tandem-partition ${syncSysctls}: ${line}`); } });
  return { ...result, driver: 'tandem-partition', mode: `both ${result.sysctls.alpha}` };
}

const started = performance.now();
const ports = drivers.flatMap((_, d) => SYNC_MODES.map((__, m) => FIRST_PORT + d * SYNC_MODES.length + m));
const lab = await startTwoDirectorLab({ name: `tcs${process.pid}`, realServerPorts: ports });
const rows: Row[] = [];
try {
  console.log(`lab up in ${seconds(performance.now() - started)}; ${count} connections per cohort; load average (1 min) ${loadavg()[0]?.toFixed(1) ?? '?'}`);
  console.log('pre: opened through alpha before the failover; mid: opened through beta before the failback');
  for (const [d, driver] of drivers.entries()) {
    for (const [m, mode] of SYNC_MODES.entries()) {
      const port = FIRST_PORT + d * SYNC_MODES.length + m;
      const result =
        driver === 'ipvsadm'
          ? await runIpvsadmScenario(lab, mode, port, count)
          : driver === 'ipvsadm-rejoin'
            ? await rejoinRow(m === 1, port)
            : driver === 'tandem-partition'
              ? await partitionRow(m === 0, port)
              : { ...(await runTandemScenario(lab, mode, port, count, { failure: driver === 'tandem' ? 'kill' : 'link-down', progress: (line) => { console.error(`  ${driver} ${mode}: ${line}`); } })), mode };
      const row = { driver, ...result };
      rows.push(row);
      console.log(format(row));
    }
  }
} finally {
  await lab.stop();
}
console.log(`load average (1 min) at the end: ${loadavg()[0]?.toFixed(1) ?? '?'}`);
// The mode score only means something when a scored driver ran.
if (rows.some((r) => !UNSCORED.includes(r.driver))) {
  const score = (mode: string): number =>
    rows.filter((r) => r.mode === mode && !UNSCORED.includes(r.driver)).reduce((sum, r) => sum + r.failover.pre.alive + r.failback.pre.alive + r.failback.mid.alive, 0);
  const ranked = [...SYNC_MODES].sort((a, b) => score(b) - score(a));
  const [best, second] = ranked;
  console.log(`score (surviving connections, all rows): ${ranked.map((mode) => `${mode} ${score(mode)}`).join(', ')}`);
  console.log(
    best !== undefined && second !== undefined && score(best) === score(second)
      ? 'recommended default: the modes scored alike; keep the current default'
      : `recommended default: ${String(best)}`,
  );
}
