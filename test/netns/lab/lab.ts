/**
 * lab: two `tandem run` daemons and a client on one bridge, each in its own network namespace,
 * for the netns tests and bench/failover. TEST-NET-1 addresses only (RFC 5737): directors
 * 192.0.2.11 and .12, client .50, VIP .100. Each director also runs a TCP responder on
 * RESPONDER_PORT that answers with its node name, so the client sees who holds the VIP.
 * alpha tracks a second interface, up0 (one end of a veth pair inside its namespace).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { launcherNodeFlags } from '../../../src/election-runtime/node-flags.js';
import { TestNamespace, vethPair } from '../helpers/netns.js';

/** VIP is the floating address the lab's directors share. */
export const VIP = '192.0.2.100';
/** RESPONDER_PORT is where each director's TCP responder listens. */
export const RESPONDER_PORT = 8080;
/** DIRECTORS are the two nodes: name, priority, address. */
export const DIRECTORS = [
  { name: 'alpha', priority: 200, address: '192.0.2.11' },
  { name: 'beta', priority: 100, address: '192.0.2.12' },
] as const;
/** DirectorName is alpha or beta. */
export type DirectorName = (typeof DIRECTORS)[number]['name'];

const here = fileURLToPath(new URL('.', import.meta.url));
const repoRoot = join(here, '../../..');

/**
 * LabOptions: the advert interval sets the failover time (about 3 intervals plus skew).
 * preemptDelayMs lets a restarted alpha warm up (a daemon run from source compiles for a second
 * or two) before it takes the VIP back: a stall right after preempting looks like a dead master.
 */
export interface LabOptions {
  readonly advertIntervalMs: number;
  readonly preemptDelayMs: number;
}

/** Lab is one running set of namespaces; create() builds it, destroy() removes everything. */
export class Lab {
  readonly namespaces: Record<DirectorName | 'client' | 'bridge', TestNamespace>;
  readonly dir: string;
  readonly configFile: string;
  readonly daemons = new Map<DirectorName, ChildProcess>();
  /** logs holds each daemon's parsed JSON log lines (journald prefix removed). */
  readonly logs = new Map<DirectorName, Record<string, unknown>[]>();
  readonly #helpers: ChildProcess[] = [];

  private constructor(namespaces: Lab['namespaces'], dir: string) {
    this.namespaces = namespaces;
    this.dir = dir;
    this.configFile = join(dir, 'tandem.yaml');
  }

  /** create builds the bridge, the three hosts and the config; call destroy() even if this throws later. */
  static async create(options: LabOptions): Promise<Lab> {
    const dir = await mkdtemp(join(tmpdir(), 'tandem-lab-'));
    const bridge = TestNamespace.create('br');
    const made: TestNamespace[] = [bridge];
    try {
      bridge.ip('link', 'add', 'br0', 'type', 'bridge');
      bridge.ip('link', 'set', 'br0', 'up');
      const host = (label: string, address: string): TestNamespace => {
        const ns = TestNamespace.create(label);
        made.push(ns);
        vethPair(ns, 'eth0', bridge, `p-${label}`);
        bridge.ip('link', 'set', `p-${label}`, 'master', 'br0');
        ns.ip('addr', 'add', `${address}/24`, 'dev', 'eth0');
        return ns;
      };
      const [first, second] = DIRECTORS;
      const lab = new Lab({ bridge, alpha: host('a', first.address), beta: host('b', second.address), client: host('c', '192.0.2.50') }, dir);
      // alpha's second tracked interface: setting its peer down takes its carrier away (setUplink).
      lab.namespaces.alpha.ip('link', 'add', 'up0', 'type', 'veth', 'peer', 'name', 'up0p');
      lab.namespaces.alpha.ip('link', 'set', 'up0', 'up');
      lab.namespaces.alpha.ip('link', 'set', 'up0p', 'up');
      await lab.#writeConfig(options);
      for (const director of DIRECTORS) await lab.#startResponder(director.name);
      return lab;
    } catch (error) {
      for (const ns of made) ns.destroy();
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }

  async #writeConfig(options: LabOptions): Promise<void> {
    const keyFile = join(this.dir, 'auth.key');
    await writeFile(keyFile, 'lab-key-'.repeat(8));
    await chmod(keyFile, 0o600);
    const tracked = (name: DirectorName): string => (name === 'alpha' ? 'eth0, up0' : 'eth0');
    const nodes = DIRECTORS.map((d) => `  - { name: ${d.name}, priority: ${d.priority}, addresses: [${d.address}], trackInterfaces: [${tracked(d.name)}] }`);
    await writeFile(
      this.configFile,
      ['nodes:', ...nodes, 'election:', '  groupId: 9', `  advertIntervalMs: ${options.advertIntervalMs}`, `  preemptDelayMs: ${options.preemptDelayMs}`, `  authKeyFile: ${keyFile}`,
        '  announce: { count: 3, intervalMs: 10, repeatAfterMs: 1000 }', 'vips:', `  - { address: ${VIP}/24, interface: eth0 }`, ''].join('\n'),
    );
  }

  async #startResponder(name: DirectorName): Promise<void> {
    const child = this.#exec(name, ['node', join(here, 'responder.mjs'), name, String(RESPONDER_PORT)]);
    await firstLine(child, (line) => line === 'listening');
  }

  #exec(where: keyof Lab['namespaces'], command: string[]): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', this.namespaces[where].name, ...command], { stdio: ['ignore', 'pipe', 'pipe'], cwd: repoRoot });
    this.#helpers.push(child);
    return child;
  }

  /**
   * startDaemon runs `tandem run --node NAME` from source in the director's namespace, with the
   * node options bin/tandem.js's `#!` line gives the installed daemon (node-flags.ts).
   */
  startDaemon(name: DirectorName): ChildProcess {
    const child = this.#exec(name, ['node', ...launcherNodeFlags(), '--import', 'tsx', join(here, 'tandem-from-source.ts'), 'run', '--config', this.configFile, '--node', name]);
    const lines: Record<string, unknown>[] = [];
    this.logs.set(name, lines);
    const stdout = child.stdout;
    if (stdout !== null) {
      createInterface({ input: stdout }).on('line', (line) => {
        try {
          lines.push(JSON.parse(line.replace(/^<\d>/, '')) as Record<string, unknown>);
        } catch {
          lines.push({ unparsed: line });
        }
      });
    }
    this.daemons.set(name, child);
    return child;
  }

  /** logMark is how many lines `name` has logged so far: the start point for waitForLog. */
  logMark(name: DirectorName): number {
    return this.logs.get(name)?.length ?? 0;
  }

  /**
   * waitForLog waits until `name` logs a line at or after index `fromIndex` whose fields include
   * every one of `fields`, and returns it with its index. Waiting on the line itself, rather
   * than on an effect and then a snapshot of the log, cannot race a line still in the pipe.
   */
  async waitForLog(name: DirectorName, fields: Readonly<Record<string, unknown>>, fromIndex: number, timeoutMs: number): Promise<{ line: Record<string, unknown>; index: number }> {
    const matches = (line: Record<string, unknown>): boolean => Object.entries(fields).every(([key, value]) => line[key] === value);
    const find = (): number => (this.logs.get(name) ?? []).findIndex((line, index) => index >= fromIndex && matches(line));
    try {
      await waitFor(`${name} to log ${JSON.stringify(fields)}`, () => find() >= 0, timeoutMs);
    } catch (error) {
      // Say what it did log instead, so a failure can be diagnosed from the test output alone.
      const seen = (this.logs.get(name) ?? []).slice(fromIndex).map((line) => [line['event'], line['from'], line['to'], line['reason'], line['interface']].filter((field) => field !== undefined).map(String).join(' '));
      throw new Error(`${String(error)}; ${name} logged since: ${seen.join(', ') || 'nothing'}`, { cause: error });
    }
    const index = find();
    const line = this.logs.get(name)?.[index];
    if (line === undefined) throw new Error(`${name}'s log lost line ${index}`);
    return { line, index };
  }

  /** setUplink takes the carrier of alpha's tracked `up0` away (false) or gives it back (true). */
  setUplink(up: boolean): void {
    this.namespaces.alpha.ip('link', 'set', 'up0p', up ? 'up' : 'down');
  }

  /** holdsVip says whether the VIP is on the director's eth0 right now. */
  holdsVip(name: DirectorName): boolean {
    return this.namespaces[name].ip('-o', 'addr', 'show', 'dev', 'eth0').includes(` ${VIP}/`);
  }

  /** startProbe runs probe.mjs in the client namespace, connecting to the VIP every intervalMs. */
  startProbe(intervalMs: number, onAnswer: (answer: { atMs: number; from: string }) => void): ChildProcess {
    const child = this.#exec('client', ['node', join(here, 'probe.mjs'), VIP, String(RESPONDER_PORT), String(intervalMs)]);
    const stdout = child.stdout;
    if (stdout !== null) createInterface({ input: stdout }).on('line', (line) => { onAnswer(JSON.parse(line) as { atMs: number; from: string }); });
    return child;
  }

  /** destroy kills every process the lab started (SIGKILL), deletes the namespaces and the temp dir. */
  async destroy(): Promise<void> {
    await Promise.all(this.#helpers.map((child) => killAndWait(child, 'SIGKILL')));
    for (const ns of Object.values(this.namespaces)) {
      try {
        ns.destroy();
      } catch {
        // Already gone: destroy() must finish the rest anyway.
      }
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** killAndWait signals a child and resolves once it has exited. */
export function killAndWait(child: ChildProcess, signal: NodeJS.Signals): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    child.once('exit', (code) => { resolve(code); });
    child.kill(signal);
  });
}

/** firstLine resolves on the first stdout line that matches, or rejects if the child exits first. */
function firstLine(child: ChildProcess, match: (line: string) => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const stdout = child.stdout;
    if (stdout === null) {
      reject(new Error('no stdout'));
      return;
    }
    createInterface({ input: stdout }).on('line', (line) => { if (match(line)) resolve(); });
    child.once('exit', (code) => { reject(new Error(`exited with ${code} before it was ready`)); });
  });
}

/** waitFor polls until predicate holds, or throws naming what it waited for. */
export async function waitFor(what: string, predicate: () => boolean, timeoutMs: number): Promise<number> {
  const startMs = performance.now();
  while (!predicate()) {
    if (performance.now() - startMs > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return performance.now() - startMs;
}
