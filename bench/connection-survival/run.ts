/**
 * bench/connection-survival: how many long-lived TCP connections through the VIP survive a
 * failover and a failback between two real-kernel directors (user-mode-linux guests), for
 * each sync-daemon mode, and which mode should be the default.
 *
 *   sudo npx tsx bench/connection-survival/run.ts [CONNECTIONS=100]
 *
 * Root only; it builds and removes its own lab (test/kernel/two-directors/lab.ts). Directors
 * are driven with ipvsadm following tandem's sync-daemon plan (ipvsadm-scenario.ts).
 */
import { runIpvsadmScenario, type ScenarioResult } from '../../test/kernel/two-directors/ipvsadm-scenario.js';
import { SYNC_MODES } from '../../test/kernel/two-directors/ipvsadm-directors.js';
import { startTwoDirectorLab } from '../../test/kernel/two-directors/lab.js';

const count = Number(process.argv[2] ?? 100);
const FIRST_PORT = 8001;

function percent(alive: number, total: number): string {
  return `${((100 * alive) / total).toFixed(1).padStart(5)}%`;
}

function row(result: ScenarioResult): string {
  const { failover, failback } = result;
  return [
    result.mode.padEnd(12),
    `failover pre ${percent(failover.pre.alive, result.count)}`,
    `failback pre ${percent(failback.pre.alive, result.count)}`,
    `failback mid ${percent(failback.mid.alive, result.count)}`,
    `synced pre→beta ${result.preOnBeta}/${result.count}`,
    `mid→alpha ${result.midOnAlpha}/${result.count}`,
    `${(result.durationMs / 1000).toFixed(1)} s`,
  ].join('  ');
}

const started = performance.now();
const lab = await startTwoDirectorLab({
  name: `tcs${process.pid}`,
  realServerPorts: SYNC_MODES.map((_, i) => FIRST_PORT + i),
});
const results: ScenarioResult[] = [];
try {
  console.log(`lab up in ${((performance.now() - started) / 1000).toFixed(1)} s; ${count} connections per cohort`);
  console.log('pre: opened through alpha before the failover; mid: opened through beta before the failback');
  for (const [i, mode] of SYNC_MODES.entries()) {
    const result = await runIpvsadmScenario(lab, mode, FIRST_PORT + i, count);
    results.push(result);
    console.log(row(result));
  }
} finally {
  await lab.stop();
}
const score = (r: ScenarioResult): number => r.failover.pre.alive + r.failback.pre.alive + r.failback.mid.alive;
const best = [...results].sort((a, b) => score(b) - score(a))[0]!;
const tie = results.every((r) => score(r) === score(best));
console.log(tie ? `recommended default: both modes scored alike (${score(best)}); keep the current default` : `recommended default: ${best.mode}`);
