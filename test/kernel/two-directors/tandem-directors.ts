/**
 * tandem-directors: `tandem run` in each of the lab's guests (the host's node and the compiled
 * dist/, seen through hostfs), a config that fits them, and what the host observes of the
 * guests' kernels (VIP held, IPVS service programmed, sync daemons running).
 *
 * Guest processes are slow (node starts in ~1 s, allocation-heavy JavaScript runs ~50×
 * slower) and the host is often loaded, so the adverts are keepalived's 1 s apart:
 * master_down = 3 × 1000 + skew ≈ 3.2–3.6 s (RFC 5798 §6.1), long enough that a busy guest
 * does not look dead. The master re-announces the VIP every 2 s, so that if a stall does make
 * a false failover, the client's ARP entry comes back to the real master within one period.
 */
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { launcherNodeFlags } from '../../../src/election-runtime/node-flags.js';
import { REPO_ROOT, type RunResult } from '../harness/guest.js';
import { DIRECTOR_ADDRESSES, REAL_SERVER, VIP, type Director } from './lab.js';
import { SYNCID, sh, type SyncMode } from './ipvsadm-directors.js';

/** ADVERT_INTERVAL_MS suits a user-mode-linux guest; see the file comment. */
export const ADVERT_INTERVAL_MS = 1000;
/** REFRESH_INTERVAL_MS re-announces the VIP while master; see the file comment. */
const REFRESH_INTERVAL_MS = 2000;

/**
 * LabConfigOptions: the service port, the sync mode (undefined: the config's default), and for
 * the partition scenario a preempt delay and whether tandem leaves the sync sysctls to the
 * kernel (`syncSysctls: 'kernel'` writes `sysctls: null`; by default the config's defaults apply).
 */
export interface LabConfigOptions {
  readonly port: number;
  readonly mode: SyncMode | undefined;
  readonly preemptDelayMs?: number;
  readonly syncSysctls?: 'config-default' | 'kernel';
}

/**
 * labConfigYaml is the one config both directors run: alpha (priority 200) preempts beta
 * (100); one VIP; one DR service with the real server unchecked (healthCheck null), so that
 * only the election moves anything; the sync daemon on eth0.
 */
export function labConfigYaml(options: LabConfigOptions, authKeyFile: string): string {
  const [alpha, beta] = DIRECTOR_ADDRESSES;
  return [
    'nodes:',
    // eth0 carries everything, so losing it must hand the VIP over (fault).
    `  - { name: alpha, priority: 200, addresses: [${alpha}], trackInterfaces: [eth0] }`,
    `  - { name: beta, priority: 100, addresses: [${beta}], trackInterfaces: [eth0] }`,
    'election:',
    '  groupId: 9',
    `  advertIntervalMs: ${ADVERT_INTERVAL_MS}`,
    '  preempt: true',
    ...(options.preemptDelayMs === undefined ? [] : [`  preemptDelayMs: ${options.preemptDelayMs}`]),
    `  authKeyFile: ${authKeyFile}`,
    `  announce: { count: 3, intervalMs: 20, repeatAfterMs: 1000, refreshIntervalMs: ${REFRESH_INTERVAL_MS} }`,
    'vips:',
    `  - { address: ${VIP}/32, interface: eth0 }`,
    'virtualServers:',
    '  - name: echo',
    '    protocol: tcp',
    `    address: ${VIP}`,
    `    port: ${options.port}`,
    '    scheduler: rr',
    '    realServers:',
    `      - { address: ${REAL_SERVER}, healthCheck: null }`,
    'syncDaemon:',
    ...(options.mode === undefined ? [] : [`  mode: ${options.mode}`]),
    '  mcastInterface: eth0',
    `  syncid: ${SYNCID}`,
    ...(options.syncSysctls === 'kernel' ? ['  sysctls: null'] : []),
    'metrics: { listen: null }',
    '',
  ].join('\n');
}

/** writeLabConfig writes the key and the config into `dir` (a directory the guests can read). */
export async function writeLabConfig(dir: string, options: LabConfigOptions): Promise<string> {
  const keyFile = join(dir, 'auth.key');
  await writeFile(keyFile, 'two-directors-lab-key-'.repeat(3));
  await chmod(keyFile, 0o600);
  const configFile = join(dir, `tandem-${options.port}.yaml`);
  await writeFile(configFile, labConfigYaml(options, keyFile));
  return configFile;
}

/** TandemProcess is one `tandem run` in a guest. */
export interface TandemProcess {
  /** exited settles when tandem exits (its RunResult holds only the wrapper's output). */
  readonly exited: Promise<RunResult>;
  /** logFile is tandem's JSON log, on the host and in the guest. */
  readonly logFile: string;
  /** kill sends a signal to tandem's own process. */
  kill(signal: 'KILL' | 'TERM'): Promise<void>;
}

let runs = 0;

/** startTandem runs `tandem run --node NAME` in the director's guest with bin/tandem.js's node flags, its log in the guest's shareDir. */
export function startTandem(director: Director, configFile: string): TandemProcess {
  const base = join(director.guest.shareDir, `${director.name}-${++runs}`);
  const logFile = `${base}.log`;
  const pidFile = `${base}.pid`;
  const tandem = join(REPO_ROOT, 'bin/tandem.js');
  const exited = director.guest.run(
    `echo $BASHPID > ${pidFile}; exec ${process.execPath} ${launcherNodeFlags().join(' ')} ${tandem} run --config ${configFile} --node ${director.name} > ${logFile} 2>&1`,
    { timeoutMs: 900_000 },
  );
  // Waited for by the scenario; a guest stopped first must not become an unhandled rejection.
  exited.catch(() => undefined);
  return {
    exited,
    logFile,
    kill: async (signal) => {
      await sh(director, `kill -${signal} "$(cat ${pidFile})"`);
    },
  };
}

/** holdsVip says whether the VIP is on the director's eth0. */
export async function holdsVip(director: Director): Promise<boolean> {
  return (await sh(director, 'ip -o -4 addr show dev eth0')).includes(` ${VIP}/32 `);
}

/** syncDaemonStates lists the running sync daemons ("master", "backup"), sorted. */
export async function syncDaemonStates(director: Director): Promise<string[]> {
  const listing = await sh(director, 'ipvsadm -L --daemon');
  return [...listing.matchAll(/^(master|backup) sync daemon/gm)].map((match) => match[1]!).sort();
}

/** hasService says whether the director's kernel has VIP:port with the real server. */
export async function hasService(director: Director, port: number): Promise<boolean> {
  const listing = await sh(director, `ipvsadm -Ln -t ${VIP}:${port} 2>/dev/null; true`);
  return listing.includes(`${REAL_SERVER}:${port}`);
}

/** until polls `check` every 250 ms until it is true, or throws after `timeoutMs` saying `what`. */
export async function until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<number> {
  const started = performance.now();
  for (;;) {
    if (await check()) return performance.now() - started;
    if (performance.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolveSleep) => setTimeout(resolveSleep, 250));
  }
}
