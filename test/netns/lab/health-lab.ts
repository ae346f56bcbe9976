/**
 * health-lab: a director namespace running the health component (health-driver.ts) and two real
 * servers, each in its own namespace running real TCP and HTTP services (real-server.mjs), on one
 * bridge. TEST-NET-2 addresses only (RFC 5737): director 198.51.100.1, real servers .11 and .12.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { TestNamespace, vethPair } from '../helpers/netns.js';

/** REAL_SERVERS are the lab's real servers by name. */
export const REAL_SERVERS = { rs1: '198.51.100.11', rs2: '198.51.100.12' } as const;
/** RealServerName is rs1 or rs2. */
export type RealServerName = keyof typeof REAL_SERVERS;

/** Checks are the timing of every check in the lab. */
export interface Checks {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly rise: number;
  readonly fall: number;
}

/** VerdictLine is one verdict the driver handed to its (printing) IPVS owner. */
export interface VerdictLine {
  readonly rs: string;
  readonly verdict: 'up' | 'down';
  readonly atMs: number;
}

const here = fileURLToPath(new URL('.', import.meta.url));
const repoRoot = join(here, '../../..');

/** refOf is the IPVS owner's name for a real server of the lab's tcp (80) or http (8080) service. */
export function refOf(name: RealServerName, port: 80 | 8080): string {
  return `tcp:198.51.100.100:${port} -> ${REAL_SERVERS[name]}:${port}`;
}

/** HealthLab is one running lab; create() builds it, destroy() removes everything. */
export class HealthLab {
  readonly verdicts: VerdictLine[] = [];
  readonly #namespaces: TestNamespace[];
  readonly #director: TestNamespace;
  readonly #realServers: Record<RealServerName, TestNamespace>;
  readonly #servers = new Map<RealServerName, { child: ChildProcess; lines: string[] }>();
  readonly #dir: string;
  #driver: ChildProcess | undefined;

  private constructor(dir: string, bridge: TestNamespace, director: TestNamespace, realServers: Record<RealServerName, TestNamespace>) {
    this.#dir = dir;
    this.#director = director;
    this.#realServers = realServers;
    this.#namespaces = [bridge, director, realServers.rs1, realServers.rs2];
  }

  /** create builds the namespaces, starts both real servers and the health driver, and waits until all are ready. */
  static async create(checks: Checks): Promise<HealthLab> {
    const dir = await mkdtemp(join(tmpdir(), 'tandem-health-lab-'));
    const bridge = TestNamespace.create('hbr');
    const lab = new HealthLab(dir, bridge, TestNamespace.create('hdir'), { rs1: TestNamespace.create('hrs1'), rs2: TestNamespace.create('hrs2') });
    try {
      await lab.#build(checks, bridge);
    } catch (error) {
      await lab.destroy();
      throw error;
    }
    return lab;
  }

  async #build(checks: Checks, bridge: TestNamespace): Promise<void> {
    bridge.ip('link', 'add', 'br0', 'type', 'bridge');
    bridge.ip('link', 'set', 'br0', 'up');
    const hosts: [TestNamespace, string, string][] = [
      [this.#director, 'pdir', '198.51.100.1'],
      [this.#realServers.rs1, 'prs1', REAL_SERVERS.rs1],
      [this.#realServers.rs2, 'prs2', REAL_SERVERS.rs2],
    ];
    for (const [namespace, port, address] of hosts) {
      vethPair(bridge, port, namespace, 'eth0');
      bridge.ip('link', 'set', port, 'master', 'br0');
      namespace.ip('address', 'add', `${address}/24`, 'dev', 'eth0');
    }
    await Promise.all((['rs1', 'rs2'] as const).map((name) => this.startServer(name)));
    await this.#startDriver(checks);
  }

  /** startServer (re)starts a real server's process and waits until it listens. */
  async startServer(name: RealServerName): Promise<void> {
    const child = this.#exec(this.#realServers[name], ['node', join(here, 'real-server.mjs')], 'pipe');
    const lines: string[] = [];
    this.#servers.set(name, { child, lines });
    await new Promise<void>((resolve, reject) => {
      child.once('exit', (code) => { reject(new Error(`${name} exited with ${String(code)}`)); });
      createInterface({ input: child.stdout! }).on('line', (line) => {
        lines.push(line);
        if (line === 'listening') resolve();
      });
    });
  }

  /** kill ends a real server's process at once (SIGKILL): its address then refuses connections. */
  async kill(name: RealServerName): Promise<void> {
    const server = this.#servers.get(name);
    if (server === undefined) return;
    this.#servers.delete(name);
    const exited = new Promise((resolve) => server.child.once('exit', resolve));
    server.child.kill('SIGKILL');
    await exited;
  }

  /** setListening closes (false) or reopens (true) a running real server's listeners, for a quick flap. */
  async setListening(name: RealServerName, listening: boolean): Promise<void> {
    const server = this.#servers.get(name);
    if (server === undefined) throw new Error(`${name} is not running`);
    const want = listening ? 'listening' : 'closed';
    const before = server.lines.filter((line) => line === want).length;
    server.child.stdin!.write(listening ? 'open\n' : 'close\n');
    const deadline = Date.now() + 5000;
    while (server.lines.filter((line) => line === want).length === before) {
      if (Date.now() > deadline) throw new Error(`${name} did not report ${want}`);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  /** setLink takes a real server's link down (its packets are dropped, nothing refuses) or up again. */
  setLink(name: RealServerName, up: boolean): void {
    this.#realServers[name].ip('link', 'set', 'eth0', up ? 'up' : 'down');
  }

  /** verdictsFor lists the verdicts handed over for one real-server ref, oldest first. */
  verdictsFor(ref: string): VerdictLine[] {
    return this.verdicts.filter((line) => line.rs === ref);
  }

  /** destroy stops every process and removes the namespaces. */
  async destroy(): Promise<void> {
    const children = [this.#driver, ...[...this.#servers.values()].map((server) => server.child)];
    await Promise.all(children.map(async (child) => {
      if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }));
    for (const namespace of this.#namespaces) namespace.destroy();
    await rm(this.#dir, { recursive: true, force: true });
  }

  async #startDriver(checks: Checks): Promise<void> {
    const configFile = join(this.#dir, 'tandem.yaml');
    const check = `{ intervalMs: ${checks.intervalMs}, timeoutMs: ${checks.timeoutMs}, rise: ${checks.rise}, fall: ${checks.fall}, jitterPercent: 0`;
    await writeFile(configFile, [
      'nodes:',
      '  - { name: alpha, priority: 200, addresses: [198.51.100.1] }',
      '  - { name: beta, priority: 100, addresses: [198.51.100.2] }',
      'election: { groupId: 1, authKeyFile: /nonexistent/auth.key }',
      'vips: [{ address: 198.51.100.100/24, interface: eth0 }]',
      'virtualServers:',
      '  - protocol: tcp',
      '    address: 198.51.100.100',
      '    port: 80',
      `    healthCheck: ${check}, kind: tcp }`,
      `    realServers: [{ address: ${REAL_SERVERS.rs1} }, { address: ${REAL_SERVERS.rs2} }]`,
      '  - protocol: tcp',
      '    address: 198.51.100.100',
      '    port: 8080',
      `    healthCheck: ${check}, kind: http, path: /health }`,
      `    realServers: [{ address: ${REAL_SERVERS.rs1} }, { address: ${REAL_SERVERS.rs2} }]`,
      '',
    ].join('\n'));
    const driver = this.#exec(this.#director, ['node', '--import', 'tsx', join(here, 'health-driver.ts'), configFile]);
    this.#driver = driver;
    let stderr = '';
    driver.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    await new Promise<void>((resolve, reject) => {
      driver.once('exit', (code) => { reject(new Error(`health driver exited with ${String(code)}: ${stderr}`)); });
      createInterface({ input: driver.stdout! }).on('line', (line) => {
        const parsed = JSON.parse(line) as VerdictLine | { ready: true };
        if ('ready' in parsed) resolve();
        else this.verdicts.push(parsed);
      });
    });
  }

  /** #exec runs a command in a namespace; `stdin` 'pipe' lets the lab send it lines. */
  #exec(namespace: TestNamespace, command: string[], stdin: 'ignore' | 'pipe' = 'ignore'): ChildProcess {
    return spawn('ip', ['netns', 'exec', namespace.name, ...command], { stdio: [stdin, 'pipe', 'pipe'], cwd: repoRoot });
  }
}
