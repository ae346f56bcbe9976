/**
 * lab: two user-mode-linux guests as LVS directors on one host bridge, with a client and a
 * real server in host network namespaces, for connection-survival tests and benchmarks.
 *
 *   <lab>-lan  br0 + tap0 (guest alpha, eth0 192.0.2.11) + tap1 (guest beta, eth0 192.0.2.12)
 *   <lab>-cl   client 192.0.2.30, runs client-pool.mjs (host node)
 *   <lab>-rs   real server 192.0.2.20, runs echo-server.mjs (host node)
 *
 * Forwarding is direct routing (ipvsadm -g), the simplest to get right on one L2 segment: the
 * real server holds the VIP on lo and must not answer ARP for it (arp_ignore=1, arp_announce=2,
 * ip-sysctl.rst), and it answers the client directly, so a director only ever sees the
 * client's packets: the only state that has to move on a failover is the IPVS connection entry.
 * Addresses are TEST-NET-1 (RFC 5737); no traffic leaves the lab's namespaces.
 */
import { spawn, execFile, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';
import { promisify } from 'node:util';
import { createGuestLan, type GuestLan } from '../harness/guest-lan.js';
import { REPO_ROOT, startGuest, type Guest } from '../harness/guest.js';

const execFileAsync = promisify(execFile);

/** VIP is the virtual IP the directors float between them. */
export const VIP = '192.0.2.100';
/** REAL_SERVER is the real server's own address. */
export const REAL_SERVER = '192.0.2.20';
/** CLIENT is the client's address. */
export const CLIENT = '192.0.2.30';
/** DIRECTOR_ADDRESSES are alpha's and beta's eth0 addresses. */
export const DIRECTOR_ADDRESSES = ['192.0.2.11', '192.0.2.12'] as const;
/** PREFIX_LENGTH of the lab's one subnet. */
const PREFIX_LENGTH = 24;

/** Director is one guest with its name and address. */
export interface Director {
  readonly name: 'alpha' | 'beta';
  readonly address: string;
  readonly guest: Guest;
}

/** CohortCount is how many connections of a cohort answered a probe. */
export interface CohortCount {
  readonly alive: number;
  readonly lost: number;
}

/** ClientPool drives client-pool.mjs: cohorts of long-lived connections through the VIP. */
export interface ClientPool {
  /** open makes `count` connections to VIP:port under `cohort`; resolves with how many work. */
  open(cohort: string, count: number, port: number): Promise<{ opened: number; failed: number }>;
  /** probe sends a line on every connection of the cohorts and counts the echoes. */
  probe(cohorts: readonly string[], timeoutMs?: number): Promise<Record<string, CohortCount>>;
}

/** TwoDirectorLab is the running lab; stop() removes all of it. */
export interface TwoDirectorLab {
  readonly directors: readonly [Director, Director];
  readonly lan: GuestLan;
  readonly client: ClientPool;
  /** clientNetns is where a test may run extra commands on the client side. */
  readonly clientNetns: string;
  /** realServerPorts are the ports the real server echoes on (one service per scenario). */
  readonly realServerPorts: readonly number[];
  stop(): Promise<void>;
}

/** LabOptions: a name prefix (unique per process) and the real server's ports. */
export interface LabOptions {
  readonly name: string;
  readonly realServerPorts: readonly number[];
  /** Host directories the guests may write (default: none besides their run directory). */
  readonly rw?: readonly string[];
}

async function ip(...args: string[]): Promise<void> {
  await execFileAsync('ip', args);
}

/** LineProcess is a host program in a namespace that speaks one line per request. */
class LineProcess {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #lines: Interface;
  readonly #waiting: ((line: string) => void)[] = [];
  readonly #early: string[] = [];
  #stderr = '';

  constructor(netns: string, program: string, args: readonly string[]) {
    this.#child = spawn('ip', ['netns', 'exec', netns, process.execPath, `${REPO_ROOT}/${program}`, ...args]);
    this.#child.stderr.on('data', (data: Buffer) => {
      this.#stderr += data.toString();
    });
    this.#lines = createInterface({ input: this.#child.stdout });
    this.#lines.on('line', (line) => {
      const waiter = this.#waiting.shift();
      if (waiter === undefined) this.#early.push(line);
      else waiter(line);
    });
  }

  /** next resolves with the program's next output line, or rejects when it exits first. */
  next(timeoutMs: number): Promise<string> {
    const early = this.#early.shift();
    if (early !== undefined) return Promise.resolve(early);
    return new Promise((resolveLine, rejectLine) => {
      const onExit = (): void => {
        rejectLine(new Error(`program exited: ${this.#stderr}`));
      };
      const timer = setTimeout(() => {
        rejectLine(new Error(`no answer within ${timeoutMs} ms; stderr: ${this.#stderr}`));
      }, timeoutMs);
      this.#child.once('exit', onExit);
      this.#waiting.push((line) => {
        clearTimeout(timer);
        this.#child.off('exit', onExit);
        resolveLine(line);
      });
    });
  }

  send(line: string): void {
    this.#child.stdin.write(`${line}\n`);
  }

  /** stop kills the program and resolves once it has exited. */
  stop(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return Promise.resolve();
    const exited = new Promise<void>((resolveExit) => this.#child.once('exit', () => { resolveExit(); }));
    this.#child.kill('SIGKILL');
    return exited;
  }
}

/** jsonPool wraps client-pool.mjs in the ClientPool interface. */
function jsonPool(process_: LineProcess): ClientPool {
  const ask = async <T>(request: object, timeoutMs: number): Promise<T> => {
    process_.send(JSON.stringify(request));
    const answer = JSON.parse(await process_.next(timeoutMs)) as T & { error?: string };
    if (answer.error !== undefined) throw new Error(`client-pool: ${answer.error}`);
    return answer;
  };
  return {
    open: (cohort, count, port) =>
      ask({ cmd: 'open', cohort, count, host: VIP, port, timeoutMs: 10_000 }, 30_000),
    probe: (cohorts, timeoutMs = 10_000) => ask({ cmd: 'probe', cohorts, timeoutMs }, timeoutMs + 20_000),
  };
}

/** attach puts a new namespace on the lan's bridge with a veth pair and gives it `address`. */
async function attach(lan: GuestLan, netns: string, address: string): Promise<void> {
  await ip('netns', 'add', netns);
  await ip('-n', netns, 'link', 'set', 'lo', 'up');
  await ip('-n', lan.netns, 'link', 'add', 'host0', 'netns', netns, 'type', 'veth', 'peer', 'name', `${netns.slice(-2)}0p`);
  await ip('-n', lan.netns, 'link', 'set', `${netns.slice(-2)}0p`, 'master', lan.bridge, 'up');
  await ip('-n', netns, 'addr', 'add', `${address}/${PREFIX_LENGTH}`, 'dev', 'host0');
  await ip('-n', netns, 'link', 'set', 'host0', 'up');
}

/**
 * startTwoDirectorLab builds the lab: namespaces, the real server, the client, and two guests
 * with their eth0 addressed and up. Nothing is left behind when it fails.
 */
export async function startTwoDirectorLab(options: LabOptions): Promise<TwoDirectorLab> {
  const clientNetns = `${options.name}-cl`;
  const serverNetns = `${options.name}-rs`;
  const cleanups: (() => Promise<void>)[] = [];
  const stop = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  };
  try {
    const lan = await createGuestLan(`${options.name}-lan`, 2);
    cleanups.push(() => lan.remove());
    for (const netns of [clientNetns, serverNetns]) cleanups.push(() => ip('netns', 'del', netns));
    await attach(lan, clientNetns, CLIENT);
    await attach(lan, serverNetns, REAL_SERVER);
    await ip('-n', serverNetns, 'addr', 'add', `${VIP}/32`, 'dev', 'lo');
    await execFileAsync('ip', ['netns', 'exec', serverNetns, 'sysctl', '-qw', 'net.ipv4.conf.all.arp_ignore=1', 'net.ipv4.conf.all.arp_announce=2']);

    const server = new LineProcess(serverNetns, 'test/kernel/two-directors/echo-server.mjs', options.realServerPorts.map(String));
    cleanups.push(() => server.stop());
    const pool = new LineProcess(clientNetns, 'test/kernel/two-directors/client-pool.mjs', []);
    cleanups.push(() => pool.stop());
    if ((await server.next(30_000)) !== 'listening') throw new Error('the real server did not start');
    await pool.next(30_000);

    const names = ['alpha', 'beta'] as const;
    const guests = await Promise.allSettled(
      names.map((hostname, i) =>
        startGuest({ timeoutMs: 180_000, nics: [lan.taps[i]!], netns: lan.netns, hostname, rw: options.rw ?? [] }),
      ),
    );
    for (const result of guests) if (result.status === 'fulfilled') cleanups.push(() => result.value.stop());
    for (const result of guests) if (result.status === 'rejected') throw result.reason;
    const directors = names.map((name, i) => {
      const result = guests[i] as PromiseFulfilledResult<Guest>;
      return { name, address: DIRECTOR_ADDRESSES[i]!, guest: result.value };
    }) as unknown as readonly [Director, Director];
    for (const director of directors) {
      const up = await director.guest.run(`ip addr add ${director.address}/${PREFIX_LENGTH} dev eth0 && ip link set eth0 up`);
      if (up.code !== 0) throw new Error(`${director.name}: eth0 setup failed: ${up.stderr}`);
    }
    return { directors, lan, client: jsonPool(pool), clientNetns, realServerPorts: options.realServerPorts, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
