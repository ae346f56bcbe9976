/**
 * tandem-scenario: the connection-survival scenario of ipvsadm-scenario.ts, with `tandem run`
 * deciding everything. Alpha fails in one of two ways:
 *   kill       alpha's tandem is killed (SIGKILL); beta's takes over; alpha's is started again
 *              and preempts. Alpha's kernel keeps its sync daemons running meanwhile.
 *   link-down  alpha's eth0 goes down; beta takes over (and alpha's tandem goes to fault); eth0
 *              comes back and alpha preempts. Alpha's kernel hears no sync traffic meanwhile.
 * The host only opens and probes connections and watches the guests' kernels. A probe counts only once the client's ARP entry for the VIP names the
 * director that took over, so the old director's still-working kernel cannot answer for it.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { establishedEntries, sh, waitForEntries, type SyncMode } from './ipvsadm-directors.js';
import { VIP, type CohortCount, type Director, type TwoDirectorLab } from './lab.js';
import { hasService, holdsVip, startTandem, syncDaemonStates, until, writeLabConfig, type TandemProcess } from './tandem-directors.js';

const execFileAsync = promisify(execFile);

/** START_TIMEOUT_MS covers node's start in a guest and the first election. */
export const START_TIMEOUT_MS = 60_000;
/** TAKEOVER_TIMEOUT_MS covers master_down (≈3.6 s) and a slow guest. */
const TAKEOVER_TIMEOUT_MS = 30_000;
/** SYNC_WAIT_MS: the master's sync thread flushes every 2 s (IPVS_SYNC_FLUSH_TIME). */
const SYNC_WAIT_MS = 8_000;

/** AlphaFailure is how alpha fails; see the file comment. */
export type AlphaFailure = 'kill' | 'link-down';

/** TandemScenarioOptions: how alpha fails, and a sink for progress lines (bench output). */
export interface TandemScenarioOptions {
  readonly failure?: AlphaFailure;
  readonly progress?: (step: string) => void;
}

/** TandemScenarioResult: survival per cohort and direction, and the observed timings. */
export interface TandemScenarioResult {
  readonly mode: SyncMode | 'default';
  readonly count: number;
  readonly preOnBeta: number;
  readonly midOnAlpha: number;
  readonly failover: { readonly pre: CohortCount; readonly takeoverMs: number };
  readonly failback: { readonly pre: CohortCount; readonly mid: CohortCount; readonly takeoverMs: number };
  readonly durationMs: number;
}

/** macOf reads a director's eth0 MAC address. */
export async function macOf(director: Director): Promise<string> {
  return (await sh(director, 'cat /sys/class/net/eth0/address')).trim();
}

/** clientSeesVipAt says whether the client's neighbour entry for the VIP is `mac`. */
async function clientSeesVipAt(lab: TwoDirectorLab, mac: string): Promise<boolean> {
  const { stdout } = await execFileAsync('ip', ['-n', lab.clientNetns, 'neigh', 'show', VIP]);
  return stdout.includes(`lladdr ${mac}`);
}

/** tandemLog is a director's log for an error message. */
async function tandemLog(process_: TandemProcess): Promise<string> {
  return readFile(process_.logFile, 'utf8').catch(() => '(no log)');
}

/** takeover waits until `winner` alone holds the VIP and the client's ARP entry points at it. */
export async function takeover(lab: TwoDirectorLab, winner: Director, loser: Director | undefined, logs: () => Promise<string>): Promise<number> {
  const mac = await macOf(winner);
  try {
    return await until(`${winner.name} to hold the VIP alone`, TAKEOVER_TIMEOUT_MS, async () =>
      (await holdsVip(winner)) && (loser === undefined || !(await holdsVip(loser))) && (await clientSeesVipAt(lab, mac)),
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${await logs()}`, { cause: error });
  }
}

/** TandemRun is what a scenario keeps while its tandems run (see withTandemRun). */
export interface TandemRun {
  /** dir holds the run's config file; it is removed afterwards. */
  readonly dir: string;
  /** running lists every tandem started, so that the run can kill what is left and show their logs. */
  readonly running: TandemProcess[];
  /** startedMs is performance.now() when the run began. */
  readonly startedMs: number;
  /** step reports progress with the seconds since the run began. */
  readonly step: (what: string) => void;
  /** logs are the tails of every started tandem's log, for an error message. */
  readonly logs: () => Promise<string>;
}

/**
 * withTandemRun runs `body` with a fresh TandemRun, then, whatever happened, kills the tandems
 * still running, puts both directors' eth0 up and drops the VIP (a tandem killed hard leaves
 * it: the next scenario starts from none), runs `resetCommand` on both, and removes the dir.
 */
export async function withTandemRun<T>(
  lab: TwoDirectorLab,
  progress: (step: string) => void,
  resetCommand: string,
  body: (run: TandemRun) => Promise<T>,
): Promise<T> {
  const startedMs = performance.now();
  const running: TandemProcess[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'tandem-two-directors-'));
  const run: TandemRun = {
    dir,
    running,
    startedMs,
    step: (what) => {
      progress(`${((performance.now() - startedMs) / 1000).toFixed(1)} s ${what}`);
    },
    logs: async () => (await Promise.all(running.map(async (p) => `--- ${p.logFile}\n${(await tandemLog(p)).slice(-4000)}`))).join('\n'),
  };
  try {
    return await body(run);
  } finally {
    for (const p of running) await p.kill('KILL').catch(() => undefined);
    await Promise.allSettled(running.map((p) => p.exited));
    await Promise.all(lab.directors.map((d) => sh(d, `ip link set eth0 up; ip addr del ${VIP}/32 dev eth0 2>/dev/null; ${resetCommand}; true`)));
    await rm(dir, { recursive: true, force: true });
  }
}

/** runTandemScenario runs the scenario on VIP:port with `mode` (undefined: the config default). */
export async function runTandemScenario(
  lab: TwoDirectorLab,
  mode: SyncMode | undefined,
  port: number,
  count: number,
  options: TandemScenarioOptions = {},
): Promise<TandemScenarioResult> {
  const { failure = 'kill', progress = () => undefined } = options;
  const [alpha, beta] = lab.directors;
  const pre = `tandem-${port}-pre`;
  const mid = `tandem-${port}-mid`;
  return withTandemRun(lab, progress, ':', async ({ dir, running, startedMs, step, logs }) => {
    const configFile = await writeLabConfig(dir, { port, mode });
    const alphaFirst = startTandem(alpha, configFile);
    const betaTandem = startTandem(beta, configFile);
    running.push(alphaFirst, betaTandem);
    await until('both directors to program the service', START_TIMEOUT_MS, async () => (await hasService(alpha, port)) && (await hasService(beta, port))).catch(async (error: unknown) => {
      throw new Error(`${(error as Error).message}\n${await logs()}`, { cause: error });
    });
    // The client's first ARP request finds the master; no entry is needed beforehand.
    await until('alpha to hold the VIP alone', START_TIMEOUT_MS, async () => (await holdsVip(alpha)) && !(await holdsVip(beta)));

    step('alpha holds the VIP; opening pre');
    const openedPre = await lab.client.open(pre, count, port);
    if (openedPre.opened !== count) throw new Error(`only ${openedPre.opened} of ${count} connections opened through alpha`);
    const preOnBeta = await waitForEntries(beta, port, count, SYNC_WAIT_MS);

    const daemons = await Promise.all(lab.directors.map(async (d) => `${d.name} [${(await syncDaemonStates(d)).join(',')}]`));
    step(`beta holds ${preOnBeta} entries; sync daemons ${daemons.join(' ')}; alpha fails (${failure})`);
    if (failure === 'kill') {
      await alphaFirst.kill('KILL');
      await alphaFirst.exited;
    } else {
      await sh(alpha, 'ip link set eth0 down');
    }
    // Alpha may still hold the VIP (a killed tandem leaves it); beta's gratuitous ARP moves the client.
    const failoverMs = await takeover(lab, beta, undefined, logs);
    step('beta took over; probing');
    const afterFailover = await lab.client.probe([pre]);

    const openedMid = await lab.client.open(mid, count, port);
    if (openedMid.opened !== count) throw new Error(`only ${openedMid.opened} of ${count} connections opened through beta`);
    await new Promise((resolveSleep) => setTimeout(resolveSleep, SYNC_WAIT_MS / 2));
    const alphaBefore = await establishedEntries(alpha, port);

    step(`alpha holds ${alphaBefore} entries; alpha comes back`);
    const alphaAgain = failure === 'kill' ? startTandem(alpha, configFile) : alphaFirst;
    if (failure === 'kill') running.push(alphaAgain);
    else await sh(alpha, 'ip link set eth0 up');
    const failbackMs = await takeover(lab, alpha, beta, logs);
    step('alpha took over; probing');
    const afterFailback = await lab.client.probe([pre, mid]);

    await Promise.all([alphaAgain.kill('TERM'), betaTandem.kill('TERM')]);
    await Promise.all([alphaAgain.exited, betaTandem.exited]);
    step('both tandems stopped');
    return {
      mode: mode ?? 'default',
      count,
      preOnBeta,
      midOnAlpha: Math.max(0, alphaBefore - count),
      failover: { pre: afterFailover[pre]!, takeoverMs: failoverMs },
      failback: { pre: afterFailback[pre]!, mid: afterFailback[mid]!, takeoverMs: failbackMs },
      durationMs: performance.now() - startedMs,
    };
  });
}
