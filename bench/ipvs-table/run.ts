/**
 * run: the IPVS table benchmark. Boots one user-mode-linux guest through the kernel-tier
 * harness, runs guest-bench.mjs in it (1,000 virtual services × 20 real servers by default),
 * then, RUNS times each in a new node, first-call-phases.mjs (a fresh process's first read-back)
 * and first-call-floor.mjs (the same with no real server decoded), and prints the median of each
 * figure next to ipvsadm's for the same rules.
 *
 *   sudo npm run build:ts && sudo npx tsx bench/ipvs-table/run.ts [SERVICES] [SERVERS] [RUNS]
 */
import { loadavg } from 'node:os';
import { startGuest } from '../../test/kernel/harness/guest.js';
import { median } from '../order-statistics.js';

interface RunFigures {
  readonly buildMs: number;
  readonly applyMs: number;
  readonly refused: number;
  readonly sameAsIpvsadm: boolean;
  readonly rulesMs: number;
  readonly rulesWarmMs: number;
  /** rulesChangedWarmMs: a warm listRules() after a change to every service, so none is handed back unchanged. */
  readonly rulesChangedWarmMs: number;
  readonly rulesServices: number;
  readonly rulesServers: number;
  readonly rulesMatch: boolean;
  readonly listMs: number;
  readonly servicesMs: number;
  readonly destDumpsMs: number;
  /** destDumpsInTurnMs: the same dumps on a socket kept off io_uring. */
  readonly destDumpsInTurnMs: number;
  /** rulesInTurnWarmMs: a warm listRules() on that socket. */
  readonly rulesInTurnWarmMs: number;
  readonly listedServices: number;
  readonly listedServers: number;
  readonly weightMs: number;
  readonly weightRequests: number;
  readonly restoreMs: number;
  readonly saveMs: number;
  readonly editMs: number;
  /** ipvsadmStartMs: `ipvsadm --version` through /bin/sh, the start cost inside every ipvsadm figure. */
  readonly ipvsadmStartMs: number;
  /** nodeStartMs: an empty `node -e ''`, the start cost tandem's figures leave out. */
  readonly nodeStartMs: number;
}

/** CallPhases is what first-call-phases.mjs prints for one listRules() (see there). */
interface CallPhases {
  readonly ms: number;
  readonly faults: number;
  readonly exchanges: readonly { readonly dumps: number; readonly ms: number; readonly faults: number }[];
  readonly javascriptMs: number;
  readonly waitMs: number;
  readonly gcMs: number;
  readonly collections: number;
}

/** FirstCallFloor is what first-call-floor.mjs prints: a fresh process's first read-back with no real server decoded. */
interface FirstCallFloor {
  readonly ms: number;
  readonly servicesMs: number;
  readonly destDumpsMs: number;
  readonly faults: number;
}

const [services = '1000', servers = '20', runs = '3'] = process.argv.slice(2);
// The host is shared: the 1-minute load average goes next to the figures it weighed on.
const loadBefore = loadavg()[0] ?? 0;
const guest = await startGuest({ timeoutMs: 120_000, memMb: 1024 });
try {
  const result = await guest.node('bench/ipvs-table/guest-bench.mjs', [services, servers, runs], { timeoutMs: 1_800_000 });
  if (result.code !== 0) throw new Error(`guest-bench failed (${result.code}): ${result.stderr}`);
  const report = JSON.parse(result.stdout) as {
    services: number;
    servers: number;
    runs: RunFigures[];
    dumpPaths: { ring: number; inTurn: number; ringUnavailable?: string };
  };
  // The first listRules() of a fresh process, opened as the daemon opens its table-read port,
  // against the table guest-bench.mjs left programmed: once per run, each a new node. After each,
  // in another new node, the floor under that call: the same dumps with no real server decoded.
  const fresh: { first: CallPhases; warm: CallPhases[] }[] = [];
  const floors: FirstCallFloor[] = [];
  for (let run = 0; run < Number(runs); run++) {
    const phases = await guest.node('bench/ipvs-table/first-call-phases.mjs', [], { timeoutMs: 600_000 });
    if (phases.code !== 0) throw new Error(`first-call-phases failed (${phases.code}): ${phases.stderr}`);
    fresh.push(JSON.parse(phases.stdout) as { first: CallPhases; warm: CallPhases[] });
    const floor = await guest.node('bench/ipvs-table/first-call-floor.mjs', [], { timeoutMs: 600_000 });
    if (floor.code !== 0) throw new Error(`first-call-floor failed (${floor.code}): ${floor.stderr}`);
    floors.push(JSON.parse(floor.stdout) as FirstCallFloor);
  }
  const of = (pick: (run: RunFigures) => number): number => median(report.runs.map(pick));
  const rows: [string, number, number][] = [
    ['program the table', of((r) => r.applyMs), of((r) => r.restoreMs)],
    ['read the rules back, first call (listRules() vs ipvsadm-save -n)', of((r) => r.rulesMs), of((r) => r.saveMs)],
    ['read the rules back, warm (median of 5 listRules() in a row vs ipvsadm-save -n)', of((r) => r.rulesWarmMs), of((r) => r.saveMs)],
    ['read the rules back, warm, every service changed since the last read (median of 5)', of((r) => r.rulesChangedWarmMs), of((r) => r.saveMs)],
    ['read it all back with counters (list() vs ipvsadm-save -n)', of((r) => r.listMs), of((r) => r.saveMs)],
    ['change one weight', of((r) => r.weightMs), of((r) => r.editMs)],
  ];
  console.log(`IPVS table: ${report.services} services × ${report.servers} real servers, median of ${report.runs.length} runs in a UML guest (Linux 6.1)`);
  console.log('| step | tandem (ms) | ipvsadm (ms) | speed-up |');
  console.log('|---|---:|---:|---:|');
  for (const [step, tandem, ipvsadm] of rows) console.log(`| ${step} | ${tandem.toFixed(0)} | ${ipvsadm.toFixed(0)} | ${(ipvsadm / tandem).toFixed(1)}× |`);
  console.log(`building the ${report.services * (report.servers + 1)} operations in JS: ${of((r) => r.buildMs).toFixed(0)} ms (not in the figures above)`);
  const servicesMs = of((r) => r.servicesMs);
  const destDumpsMs = of((r) => r.destDumpsMs);
  console.log(
    `read-back split (medians, timed apart): service dump and decode ${servicesMs.toFixed(0)} ms; ` +
      `${report.services} GET_DEST dumps without decoding (system calls, thread hop, framing) ${destDumpsMs.toFixed(0)} ms; ` +
      `the rest, decoding ${report.services * report.servers} real servers: listRules() first ~${(of((r) => r.rulesMs) - servicesMs - destDumpsMs).toFixed(0)} ms, ` +
      `warm ~${(of((r) => r.rulesWarmMs) - servicesMs - destDumpsMs).toFixed(0)} ms, ` +
      `list() ~${(of((r) => r.listMs) - servicesMs - destDumpsMs).toFixed(0)} ms`,
  );
  const { ring, inTurn, ringUnavailable } = report.dumpPaths;
  console.log(
    `io_uring: ${report.services} GET_DEST dumps ${destDumpsMs.toFixed(0)} ms through it vs ${of((r) => r.destDumpsInTurnMs).toFixed(0)} ms in turn; ` +
      `listRules() warm ${of((r) => r.rulesWarmMs).toFixed(0)} ms vs ${of((r) => r.rulesInTurnWarmMs).toFixed(0)} ms without it; ` +
      `the main socket's dumps: ${ring} through the ring, ${inTurn} in turn${ringUnavailable === undefined ? '' : ` (io_uring unavailable: ${ringUnavailable})`}`,
  );
  console.log(
    `read-back per run (listRules() first / list() / listRules() warm / ipvsadm-save ms): ` +
      report.runs.map((r) => `${r.rulesMs.toFixed(0)} / ${r.listMs.toFixed(0)} / ${r.rulesWarmMs.toFixed(0)} / ${r.saveMs.toFixed(0)}`).join(', '),
  );
  console.log(`netlink requests for the weight change: ${report.runs.map((r) => r.weightRequests).join(', ')}`);
  console.log(`refused operations: ${report.runs.map((r) => r.refused).join(', ')}; ipvsadm-save after tandem equals the ipvsadm -R rules: ${report.runs.map((r) => r.sameAsIpvsadm).join(', ')}`);
  console.log(`listed: ${report.runs.map((r) => `${r.listedServices}/${r.listedServers}`).join(', ')} services/real servers (list()); ${report.runs.map((r) => `${r.rulesServices}/${r.rulesServers}`).join(', ')} (listRules()); same addresses and weights: ${report.runs.map((r) => r.rulesMatch).join(', ')}`);
  const firstOf = (pick: (call: CallPhases) => number): string => median(fresh.map(({ first }) => pick(first))).toFixed(0);
  const exchangesMs = (call: CallPhases): number => call.exchanges.reduce((sum, exchange) => sum + exchange.ms, 0);
  console.log(
    `first listRules() of a fresh process (first-call-phases.mjs, median of ${fresh.length}): ${firstOf((c) => c.ms)} ms vs ipvsadm-save ${of((r) => r.saveMs).toFixed(0)} ms; ` +
      `the JS thread busy ${firstOf((c) => c.javascriptMs)} ms (gc ${firstOf((c) => c.gcMs)} ms) and waiting for the addon ${firstOf((c) => c.waitMs)} ms; ` +
      `${fresh[0]?.first.exchanges.length ?? 0} addon exchanges in flight ${firstOf(exchangesMs)} ms (overlapping the decoding); ${firstOf((c) => c.faults)} page faults; the calls after it: ` +
      fresh.map(({ warm }) => warm.map((call) => call.ms.toFixed(0)).join(' / ')).join(', ') +
      ' ms',
  );
  const floorOf = (pick: (floor: FirstCallFloor) => number): number => median(floors.map(pick));
  console.log(
    `its floor, the first read-back of a fresh process with no real server decoded (first-call-floor.mjs, median of ${floors.length}): ` +
      `${floorOf((f) => f.ms).toFixed(0)} ms (services dumped and decoded ${floorOf((f) => f.servicesMs).toFixed(0)} ms, ${report.services} GET_DEST dumps framed ${floorOf((f) => f.destDumpsMs).toFixed(0)} ms), ` +
      `${floorOf((f) => f.faults).toFixed(0)} page faults; ipvsadm-save -n is ${(of((r) => r.saveMs) / floorOf((f) => f.ms)).toFixed(1)}× that; per run ${floors.map((f) => f.ms.toFixed(0)).join(' / ')} ms`,
  );
  console.log(`(ipvsadm figures include its start through /bin/sh, ${of((r) => r.ipvsadmStartMs).toFixed(0)} ms measured here; tandem's exclude node's start-up, ${of((r) => r.nodeStartMs).toFixed(0)} ms for an empty node -e)`);
  console.log(`host 1-minute load average: ${loadBefore.toFixed(2)} before, ${(loadavg()[0] ?? 0).toFixed(2)} after`);
} finally {
  await guest.stop();
}
