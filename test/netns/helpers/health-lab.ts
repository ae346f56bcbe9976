/**
 * health-lab: a director namespace running the health component (lab/health-driver.ts) and two
 * real servers, each in its own namespace running a real server process (lab/real-server.mjs for
 * TCP and HTTP, helpers/datagram-server.mjs for UDP echo and DNS), on one bridge. TEST-NET-2
 * addresses only (RFC 5737): director 198.51.100.1, real servers .11 and .12.
 *
 * Every virtual server of the lab has both real servers and one health check: the lab's timing
 * (Checks) plus the service's own check fields.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { CheckOutcome } from '../../../src/health/check-result.js';
import { TestNamespace, vethPair } from './netns.js';
import { pollUntil } from './poll-until.js';

/** REAL_SERVERS are the lab's real servers by name. */
export const REAL_SERVERS = { rs1: '198.51.100.11', rs2: '198.51.100.12' } as const;
/** REAL_SERVERS6 are the same real servers' IPv6 addresses (RFC 3849 documentation prefix), for one-off probes. */
export const REAL_SERVERS6 = { rs1: '2001:db8:5::11', rs2: '2001:db8:5::12' } as const;
/** RealServerName is rs1 or rs2. */
export type RealServerName = keyof typeof REAL_SERVERS;

/** VIP is the address every virtual server of the lab is declared on. */
const VIP = '198.51.100.100';

const here = fileURLToPath(new URL('.', import.meta.url));
const repoRoot = join(here, '../../..');

/** TCP_HTTP_SERVER is the real server for tcp and http checks: TCP on 80, HTTP on 8080 (GET /health). */
export const TCP_HTTP_SERVER = join(here, '../lab/real-server.mjs');
/** DATAGRAM_SERVER is the real server for udp and dns checks: UDP echo on 7, DNS on 53 (see the script). */
export const DATAGRAM_SERVER = join(here, 'datagram-server.mjs');

/** Checks are the timing of every check in the lab. */
export interface Checks {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly rise: number;
  readonly fall: number;
}

/** LabService is one virtual server on the VIP, checked on each real server at the same port. */
export interface LabService {
  readonly protocol: 'tcp' | 'udp';
  readonly port: number;
  /** check is the healthCheck's fields beyond the lab's timing, as YAML flow: `kind: http, path: /health`. */
  readonly check: string;
}

/** HealthLabOptions: the checks' timing, the virtual servers, and the process each real server runs. */
export interface HealthLabOptions {
  readonly checks: Checks;
  readonly services: readonly LabService[];
  /** serverScript prints "listening" once it serves, and obeys lines on stdin (close, open, ...). */
  readonly serverScript: string;
}

/** VerdictLine is one verdict the driver handed to its (printing) IPVS owner. */
export interface VerdictLine {
  readonly rs: string;
  readonly verdict: 'up' | 'down';
  readonly atMs: number;
}

/** DownLine is why a real server went down: the driver's health.down log line. */
export interface DownLine {
  readonly rs: string;
  readonly reason: string;
  readonly detail: string;
}

/** OnceResult is one attempt probeOnce ran from the director, timed there. */
export type OnceResult = CheckOutcome & { readonly latencyMs: number };

/** HealthLab is one running lab; create() builds it, destroy() removes everything. */
export class HealthLab {
  readonly verdicts: VerdictLine[] = [];
  /** downs are the driver's health.down log lines, oldest first. */
  readonly downs: DownLine[] = [];
  readonly #options: HealthLabOptions;
  readonly #namespaces: TestNamespace[];
  readonly #director: TestNamespace;
  readonly #realServers: Record<RealServerName, TestNamespace>;
  readonly #servers = new Map<RealServerName, { child: ChildProcess; lines: string[] }>();
  readonly #dir: string;
  #driver: ChildProcess | undefined;
  /** #driverExit says how the driver ended, once it has: no verdict can come after that. */
  #driverExit: string | undefined;

  private constructor(options: HealthLabOptions, dir: string, bridge: TestNamespace, director: TestNamespace, realServers: Record<RealServerName, TestNamespace>) {
    this.#options = options;
    this.#dir = dir;
    this.#director = director;
    this.#realServers = realServers;
    this.#namespaces = [bridge, director, realServers.rs1, realServers.rs2];
  }

  /** create builds the namespaces, starts both real servers and the health driver, and waits until all are ready. */
  static async create(options: HealthLabOptions): Promise<HealthLab> {
    const dir = await mkdtemp(join(tmpdir(), 'tandem-health-lab-'));
    const bridge = TestNamespace.create('hbr');
    const lab = new HealthLab(options, dir, bridge, TestNamespace.create('hdir'), { rs1: TestNamespace.create('hrs1'), rs2: TestNamespace.create('hrs2') });
    try {
      await lab.#build(bridge);
    } catch (error) {
      await lab.destroy();
      throw error;
    }
    return lab;
  }

  async #build(bridge: TestNamespace): Promise<void> {
    bridge.ip('link', 'add', 'br0', 'type', 'bridge');
    bridge.ip('link', 'set', 'br0', 'up');
    const hosts: [TestNamespace, string, string, string][] = [
      [this.#director, 'pdir', '198.51.100.1', '2001:db8:5::1'],
      [this.#realServers.rs1, 'prs1', REAL_SERVERS.rs1, REAL_SERVERS6.rs1],
      [this.#realServers.rs2, 'prs2', REAL_SERVERS.rs2, REAL_SERVERS6.rs2],
    ];
    for (const [namespace, port, address, address6] of hosts) {
      vethPair(bridge, port, namespace, 'eth0');
      bridge.ip('link', 'set', port, 'master', 'br0');
      namespace.ip('address', 'add', `${address}/24`, 'dev', 'eth0');
      // nodad: usable at once, without waiting out duplicate address detection (RFC 4862 §5.4).
      namespace.ip('address', 'add', `${address6}/64`, 'dev', 'eth0', 'nodad');
    }
    for (const name of ['rs1', 'rs2'] as const) {
      // Linux sends at most one ICMP error per peer per second after a burst of 6 (icmp(7),
      // icmp_ratelimit); the lab probes a killed server's UDP ports several times a second, and
      // each probe must meet its port unreachable, as one probe every 2 s would in production.
      execFileSync('ip', ['netns', 'exec', this.#realServers[name].name, 'sysctl', '-qw', 'net.ipv4.icmp_ratelimit=0']);
    }
    await Promise.all((['rs1', 'rs2'] as const).map((name) => this.startServer(name)));
    await this.#startDriver();
  }

  /** checks is the timing every check of the lab runs with. */
  get checks(): Checks {
    return this.#options.checks;
  }

  /** ref is the IPVS owner's name for a real server of the lab's service on `port`. */
  ref(name: RealServerName, port: number): string {
    const service = this.#options.services.find((candidate) => candidate.port === port);
    if (service === undefined) throw new Error(`the lab has no service on port ${port}`);
    return `${service.protocol}:${VIP}:${port} -> ${REAL_SERVERS[name]}:${port}`;
  }

  /** startServer (re)starts a real server's process and waits until it listens. */
  async startServer(name: RealServerName): Promise<void> {
    const child = this.#exec(this.#realServers[name], ['node', this.#options.serverScript], 'pipe');
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

  /** kill ends a real server's process at once (SIGKILL): its address then refuses connections and datagrams. */
  async kill(name: RealServerName): Promise<void> {
    const server = this.#servers.get(name);
    if (server === undefined) return;
    this.#servers.delete(name);
    const exited = new Promise((resolve) => server.child.once('exit', resolve));
    server.child.kill('SIGKILL');
    await exited;
  }

  /**
   * tell writes one command line to a running real server and returns the first line it prints
   * afterwards that satisfies `isAnswer` (see awaitLine).
   */
  async tell(name: RealServerName, command: string, isAnswer: (line: string) => boolean): Promise<string> {
    const server = this.#servers.get(name);
    if (server === undefined) throw new Error(`${name} is not running`);
    const mark = server.lines.length;
    server.child.stdin!.write(`${command}\n`);
    return this.awaitLine(name, mark, isAnswer);
  }

  /** awaitLine waits up to `timeoutMs` for a line from a real server, printed after its first `mark` lines, that satisfies `matches`. */
  awaitLine(name: RealServerName, mark: number, matches: (line: string) => boolean, timeoutMs = 10_000): Promise<string> {
    return pollUntil(() => this.linesOf(name).slice(mark).find(matches), `a line from ${name}`, timeoutMs);
  }

  /** linesOf is everything a running real server printed so far. */
  linesOf(name: RealServerName): readonly string[] {
    const server = this.#servers.get(name);
    if (server === undefined) throw new Error(`${name} is not running`);
    return server.lines;
  }

  /** setListening closes (false) or reopens (true) a running real server's listeners, for a quick flap. */
  async setListening(name: RealServerName, listening: boolean): Promise<void> {
    const want = listening ? 'listening' : 'closed';
    await this.tell(name, listening ? 'open' : 'close', (line) => line === want);
  }

  /** addDirectorAddress gives the director one more address on its eth0, for checks with a sourceAddress. */
  addDirectorAddress(prefix: string): void {
    this.#director.ip('address', 'add', prefix, 'dev', 'eth0', 'nodad');
  }

  /** setLink takes a real server's link down (its packets are dropped, nothing refuses) or up again. */
  setLink(name: RealServerName, up: boolean): void {
    this.#realServers[name].ip('link', 'set', 'eth0', up ? 'up' : 'down');
  }

  /** assertDriverRunning throws, with the driver's stderr, once the driver has exited. */
  assertDriverRunning(): void {
    if (this.#driverExit !== undefined) throw new Error(this.#driverExit);
  }

  /**
   * driverSockets counts the sockets the driver's checks hold open now: its /proc/PID/fd links to
   * socket:[inode] (`ip netns exec` execs the driver, so the child's pid is the driver's), less
   * fds 0–2, the stdio socket pairs the lab gave it.
   */
  async driverSockets(): Promise<number> {
    const pid = this.#driver?.pid;
    if (pid === undefined) throw new Error('the health driver is not running');
    const fds = `/proc/${pid}/fd`;
    const checkFds = (await readdir(fds)).filter((fd) => Number(fd) > 2);
    // An fd may close between readdir and readlink: it is then no longer open, so not counted.
    const targets = await Promise.all(checkFds.map((fd) => readlink(join(fds, fd)).catch(() => '')));
    return targets.filter((target) => target.startsWith('socket:')).length;
  }

  /** sampleDriverSockets takes `count` driverSockets samples, a tenth of a check interval apart. */
  async sampleDriverSockets(count: number): Promise<number[]> {
    const samples: number[] = [];
    for (let i = 0; i < count; i += 1) {
      samples.push(await this.driverSockets());
      await new Promise((resolve) => setTimeout(resolve, this.#options.checks.intervalMs / 10));
    }
    return samples;
  }

  /** verdictsFor lists the verdicts handed over for one real-server ref, oldest first. */
  verdictsFor(ref: string): VerdictLine[] {
    return this.verdicts.filter((line) => line.rs === ref);
  }

  /** downsFor lists why one real-server ref went down, oldest first. */
  downsFor(ref: string): DownLine[] {
    return this.downs.filter((line) => line.rs === ref);
  }

  /**
   * probeOnce runs one attempt of each check from the director namespace (helpers/check-once.ts),
   * each `fields` a healthCheck as the config writes it, aborted at its timeoutMs as the
   * scheduler does. The latency is measured in that process, so its start-up is not in it.
   */
  async probeOnce(probes: readonly { readonly address: string; readonly fields: Record<string, unknown> }[]): Promise<OnceResult[]> {
    const args = ['netns', 'exec', this.#director.name, 'node', '--import', 'tsx', join(here, 'check-once.ts'), JSON.stringify(probes)];
    const { stdout } = await promisify(execFile)('ip', args, { cwd: repoRoot, encoding: 'utf8' });
    return JSON.parse(stdout) as OnceResult[];
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

  async #startDriver(): Promise<void> {
    const configFile = join(this.#dir, 'tandem.yaml');
    const { intervalMs, timeoutMs, rise, fall } = this.#options.checks;
    const timing = `intervalMs: ${intervalMs}, timeoutMs: ${timeoutMs}, rise: ${rise}, fall: ${fall}, jitterPercent: 0`;
    await writeFile(configFile, [
      'nodes:',
      '  - { name: alpha, priority: 200, addresses: [198.51.100.1] }',
      '  - { name: beta, priority: 100, addresses: [198.51.100.2] }',
      'election: { groupId: 1, authKeyFile: /nonexistent/auth.key }',
      `vips: [{ address: ${VIP}/24, interface: eth0 }]`,
      'virtualServers:',
      ...this.#options.services.flatMap((service) => [
        `  - protocol: ${service.protocol}`,
        `    address: ${VIP}`,
        `    port: ${service.port}`,
        `    healthCheck: { ${timing}, ${service.check} }`,
        `    realServers: [{ address: ${REAL_SERVERS.rs1} }, { address: ${REAL_SERVERS.rs2} }]`,
      ]),
      '',
    ].join('\n'));
    const driver = this.#exec(this.#director, ['node', '--import', 'tsx', join(here, '../lab/health-driver.ts'), configFile]);
    this.#driver = driver;
    let stderr = '';
    createInterface({ input: driver.stderr! }).on('line', (line) => {
      stderr += `${line}\n`;
      this.#readLog(line);
    });
    await new Promise<void>((resolve, reject) => {
      driver.once('exit', (code, signal) => {
        this.#driverExit = `health driver exited with ${String(code ?? signal)}: ${stderr}`;
        reject(new Error(this.#driverExit));
      });
      createInterface({ input: driver.stdout! }).on('line', (line) => {
        const parsed = JSON.parse(line) as VerdictLine | { ready: true };
        if ('ready' in parsed) resolve();
        else this.verdicts.push(parsed);
      });
    });
  }

  /** #readLog keeps the driver's health.down lines (pino JSON on stderr, level warn and up). */
  #readLog(line: string): void {
    if (!line.startsWith('{')) return;
    const entry = JSON.parse(line) as { event?: string; rs?: string; reason?: string; detail?: string };
    if (entry.event === 'health.down' && entry.rs !== undefined) this.downs.push({ rs: entry.rs, reason: entry.reason ?? '', detail: entry.detail ?? '' });
  }

  /** #exec runs a command in a namespace; `stdin` 'pipe' lets the lab send it lines. */
  #exec(namespace: TestNamespace, command: string[], stdin: 'ignore' | 'pipe' = 'ignore'): ChildProcess {
    return spawn('ip', ['netns', 'exec', namespace.name, ...command], { stdio: [stdin, 'pipe', 'pipe'], cwd: repoRoot });
  }
}
