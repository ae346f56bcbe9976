/**
 * guest: the host-side handle on a throwaway user-mode-linux guest with real IPVS.
 *
 * The host kernel has no IPVS, so the guest-kernel tier boots Debian's UML kernel
 * (scripts/guest/uml-guest.sh) once per test file and runs many small commands in it. Tests
 * stay on the host: guest processes are slow to start (a fork costs ~45 ms, `node -e 1` ~1 s),
 * so the guest only runs ipvsadm and small compiled programs whose output the test asserts on.
 *
 * The channel is the guest console: the host writes "run ID" lines to the kernel's stdin and
 * reads "tandem-guest done ID RC" lines from its stdout, while the command, its stdout and
 * its stderr travel as files in a run directory that both sides see (hostfs). Closing stdin
 * powers the guest off, so a crashed test process leaves no guest behind.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** REPO_ROOT is the checkout this harness lives in; the guest sees it at the same path. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

const RUNNER = join(REPO_ROOT, 'scripts/guest/uml-guest.sh');
const UML_KERNEL = '/usr/bin/linux.uml';
/** How long a killed job may take to be confirmed before the guest counts as wedged. */
const KILL_GRACE_MS = 5_000;
/** How long stop() waits for a clean power-off before it kills the guest's process group. */
const HALT_GRACE_MS = 5_000;
/** Console lines kept for error messages. */
const CONSOLE_TAIL_LINES = 40;

/** GuestErrorCode names every way the harness can fail, for tests to match on. */
export type GuestErrorCode =
  | 'GUEST_UNAVAILABLE'
  | 'GUEST_BOOT_FAILED'
  | 'GUEST_DEAD'
  | 'GUEST_COMMAND_TIMEOUT';

/** GuestError is raised by the harness; `code` is stable, the message says what to do. */
export class GuestError extends Error {
  /** code classifies the failure. */
  readonly code: GuestErrorCode;

  constructor(code: GuestErrorCode, message: string) {
    super(message);
    this.name = 'GuestError';
    this.code = code;
  }
}

/** GuestOptions configures one guest boot. */
export interface GuestOptions {
  /** How long the boot may take until the agent is ready (default 60 s). */
  readonly timeoutMs?: number;
  /** Guest memory in MiB (default 512). */
  readonly memMb?: number;
  /** Host directories mounted read-write at the same path (default: the checkout). */
  readonly rw?: readonly string[];
  /** Host interfaces (tap devices or veth ends) wired to guest eth0, eth1, ... in order. */
  readonly nics?: readonly string[];
  /** Host network namespace that holds `nics` (default: the test's own namespace). */
  readonly netns?: string;
  /** Guest host name (default "tandem-guest"). */
  readonly hostname?: string;
}

/** RunOptions bounds and shapes one command in the guest. */
export interface RunOptions {
  /** The command is killed (with its process group) after this long (default 30 s). */
  readonly timeoutMs?: number;
  /** Working directory in the guest (default: the checkout). */
  readonly cwd?: string;
  /** Extra environment variables. */
  readonly env?: Readonly<Record<string, string>>;
}

/** RunResult is what a finished command left behind. */
export interface RunResult {
  /** code is the exit status; 128 + N when signal N ended it. */
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** durationMs is the host-side round trip, request to result. */
  readonly durationMs: number;
}

/** Guest is one running guest kernel with IPVS loaded. */
export interface Guest {
  /** bootMs is how long startGuest waited for the agent to be ready. */
  readonly bootMs: number;
  /** shareDir is a host directory the guest may write, at the same path on both sides. */
  readonly shareDir: string;
  /**
   * run executes a command as root in the guest: an argv array is executed as is, a string is
   * a bash script. Commands may run concurrently. Rejects with GUEST_COMMAND_TIMEOUT (the
   * command was killed, the guest remains usable) or GUEST_DEAD.
   */
  run(command: readonly string[] | string, options?: RunOptions): Promise<RunResult>;
  /** node runs a Node program of the checkout (path relative to it) with the host's node. */
  node(program: string, args?: readonly string[], options?: RunOptions): Promise<RunResult>;
  /** stop powers the guest off and removes its run directory. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * guestSkipReason says why this process cannot boot a guest, or undefined when it can.
 * Test files use it with describe.skipIf so that a non-root run skips with a hint.
 */
export function guestSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) {
    return 'guest-kernel tests need root: run `sudo npm run test:kernel`';
  }
  if (!existsSync(UML_KERNEL)) {
    return `${UML_KERNEL} is missing: run \`npm run test:kernel\`, which installs user-mode-linux`;
  }
  return undefined;
}

/** shellQuote makes one word safe for bash. */
function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** jobScript is the file the guest agent sources in a subshell for one command. */
function jobScript(command: readonly string[] | string, cwd: string, env: Readonly<Record<string, string>>): string {
  const lines = ['export HOME=/root', `cd ${shellQuote(cwd)} || exit 126`];
  for (const [name, value] of Object.entries(env)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new TypeError(`invalid environment name: ${name}`);
    lines.push(`export ${name}=${shellQuote(value)}`);
  }
  lines.push(typeof command === 'string' ? command : `exec ${command.map(shellQuote).join(' ')}`);
  return `${lines.join('\n')}\n`;
}

/** A job the host waits for: settled by the agent's "done" line or by the guest's death. */
interface PendingJob {
  readonly onDone: (code: number) => void;
  readonly onDead: (error: GuestError) => void;
}

const AGENT_LINE = /tandem-guest (ready|done)\b ?(.*)$/;

/** UmlGuest is the Guest behind startGuest: one UML kernel process and its console. */
class UmlGuest implements Guest {
  bootMs = 0;
  readonly shareDir: string;
  readonly #runDir: string;
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #pending = new Map<number, PendingJob>();
  readonly #consoleTail: string[] = [];
  readonly #exited: Promise<void>;
  #dead: GuestError | undefined;
  #nextJobId = 1;
  #stopping = false;
  #bootWaiter: { resolve: () => void; reject: (error: GuestError) => void } | undefined;

  constructor(runDir: string, child: ChildProcessWithoutNullStreams) {
    this.#runDir = runDir;
    this.shareDir = join(runDir, 'share');
    this.#child = child;
    createInterface({ input: child.stdout }).on('line', (line) => {
      this.#onLine(line);
    });
    createInterface({ input: child.stderr }).on('line', (line) => {
      this.#remember(line);
    });
    // A write to a guest that died fails with EPIPE; the exit handler reports it.
    child.stdin.on('error', () => undefined);
    this.#exited = new Promise((resolveExit) => {
      child.on('exit', (code, signal) => {
        const how = signal === null ? `exit status ${String(code)}` : `signal ${signal}`;
        this.#die(`the guest kernel exited (${how})`);
        resolveExit();
      });
    });
  }

  /** ready resolves when the agent reports in, or rejects when the guest dies first. */
  ready(): Promise<void> {
    return new Promise((resolveReady, rejectReady) => {
      if (this.#dead !== undefined) rejectReady(this.#dead);
      else this.#bootWaiter = { resolve: resolveReady, reject: rejectReady };
    });
  }

  /** consoleTail is the console's last lines (boot messages, agent lines), for error messages. */
  consoleTail(): string {
    return this.#consoleTail.join('\n');
  }

  async run(command: readonly string[] | string, options: RunOptions = {}): Promise<RunResult> {
    if (this.#dead !== undefined) throw this.#dead;
    const id = this.#nextJobId++;
    const jobDir = join(this.#runDir, 'jobs', String(id));
    await mkdir(jobDir, { recursive: true });
    await writeFile(join(jobDir, 'cmd.sh'), jobScript(command, options.cwd ?? REPO_ROOT, options.env ?? {}));
    const timeoutMs = options.timeoutMs ?? 30_000;
    const started = performance.now();
    try {
      const code = await this.#await(id, timeoutMs, command);
      const [stdout, stderr] = await Promise.all([
        readFile(join(jobDir, 'stdout'), 'utf8'),
        readFile(join(jobDir, 'stderr'), 'utf8'),
      ]);
      return { code, stdout, stderr, durationMs: performance.now() - started };
    } finally {
      await rm(jobDir, { recursive: true, force: true });
    }
  }

  node(program: string, args: readonly string[] = [], options: RunOptions = {}): Promise<RunResult> {
    return this.run([process.execPath, resolve(REPO_ROOT, program), ...args], options);
  }

  async stop(): Promise<void> {
    if (!this.#stopping) {
      this.#stopping = true;
      if (this.#dead === undefined) {
        this.#child.stdin.end('halt\n');
        const halted = await Promise.race([this.#exited.then(() => true), delay(HALT_GRACE_MS, false)]);
        if (!halted) this.#killGroup();
      }
      await this.#exited;
    }
    await rm(this.#runDir, { recursive: true, force: true });
  }

  /** #await sends the job and settles on its result, its timeout, or the guest's death. */
  #await(id: number, timeoutMs: number, command: readonly string[] | string): Promise<number> {
    const label = typeof command === 'string' ? command : command.join(' ');
    return new Promise((resolveJob, rejectJob) => {
      // The guest may have died while the job's files were being written.
      if (this.#dead !== undefined) {
        rejectJob(this.#dead);
        return;
      }
      const timer = setTimeout(() => {
        // Keep listening: the agent reports the killed job as done (or the command beat the
        // kill). An agent that reports nothing is wedged: the whole guest goes, and says so.
        const wedged = setTimeout(() => {
          this.#killGroup();
        }, KILL_GRACE_MS);
        const confirm = (): void => {
          clearTimeout(wedged);
          this.#pending.delete(id);
          const fate = this.#dead === undefined ? 'was killed' : 'could not be killed, so the guest was stopped';
          const message = `guest command timed out after ${timeoutMs} ms and ${fate}: ${label}`;
          rejectJob(new GuestError('GUEST_COMMAND_TIMEOUT', message));
        };
        this.#pending.set(id, { onDone: confirm, onDead: confirm });
        this.#child.stdin.write(`kill ${id}\n`);
      }, timeoutMs);
      const settle = (): void => {
        clearTimeout(timer);
        this.#pending.delete(id);
      };
      this.#pending.set(id, {
        onDone: (code) => {
          settle();
          resolveJob(code);
        },
        onDead: (error) => {
          settle();
          rejectJob(error);
        },
      });
      this.#child.stdin.write(`run ${id}\n`);
    });
  }

  /** #onLine records a console line and acts on the agent's "ready" and "done" lines. */
  #onLine(line: string): void {
    this.#remember(line);
    const match = AGENT_LINE.exec(line);
    if (match === null) return;
    const [, verb = '', rest = ''] = match;
    const [idText = '', codeText = ''] = rest.split(' ');
    if (verb === 'ready') {
      this.#bootWaiter?.resolve();
      this.#bootWaiter = undefined;
    } else if (verb === 'done') {
      this.#pending.get(Number(idText))?.onDone(Number(codeText));
    }
  }

  #remember(line: string): void {
    this.#consoleTail.push(line);
    if (this.#consoleTail.length > CONSOLE_TAIL_LINES) this.#consoleTail.shift();
  }

  /** #die marks the guest dead, once, and fails the boot and every pending job with it. */
  #die(why: string): void {
    if (this.#dead !== undefined) return;
    const detail = this.#stopping ? 'stop() was called' : `last console lines:\n${this.consoleTail()}`;
    this.#dead = new GuestError('GUEST_DEAD', `${why}; ${detail}`);
    this.#bootWaiter?.reject(new GuestError('GUEST_BOOT_FAILED', why));
    this.#bootWaiter = undefined;
    for (const job of [...this.#pending.values()]) job.onDead(this.#dead);
    this.#pending.clear();
  }

  /** #killGroup stops the kernel and its helper processes: the runner started a new session. */
  #killGroup(): void {
    const pid = this.#child.pid;
    if (pid === undefined || this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Already gone between the check and the kill.
    }
  }

  /** kill is the last resort of startGuest when the boot does not finish. */
  kill(): void {
    this.#stopping = true;
    this.#killGroup();
  }

  /** exited resolves once the kernel process has exited. */
  exited(): Promise<void> {
    return this.#exited;
  }
}

/** delay resolves to `value` after `ms`: a timer, so only shells like this one use it. */
function delay<T>(ms: number, value: T): Promise<T> {
  return new Promise((resolveDelay) => setTimeout(resolveDelay, ms, value));
}

/**
 * startGuest boots a guest with ip_vs and every IPVS scheduler module loaded, and resolves
 * when it accepts commands. Rejects with GUEST_UNAVAILABLE (not root, no UML) or
 * GUEST_BOOT_FAILED (with the console's last lines); never leaves a guest running.
 */
export async function startGuest(options: GuestOptions = {}): Promise<Guest> {
  const unavailable = guestSkipReason();
  if (unavailable !== undefined) throw new GuestError('GUEST_UNAVAILABLE', unavailable);
  const runDir = await mkdtemp(join(tmpdir(), 'tandem-guest-'));
  await mkdir(join(runDir, 'jobs'));
  await mkdir(join(runDir, 'share'));
  const bootArgs = ['boot', '--run-dir', runDir, '--mem', String(options.memMb ?? 512)];
  for (const dir of options.rw ?? [REPO_ROOT]) bootArgs.push('--rw', dir);
  for (const nic of options.nics ?? []) bootArgs.push('--net', nic);
  if (options.hostname !== undefined) bootArgs.push('--hostname', options.hostname);
  const [file, args] =
    options.netns === undefined
      ? [RUNNER, bootArgs]
      : ['ip', ['netns', 'exec', options.netns, RUNNER, ...bootArgs]];
  // detached: a new session, so that one signal to the group reaches UML's helper processes.
  const child = spawn(file, args, { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  const guest = new UmlGuest(runDir, child);
  const timeoutMs = options.timeoutMs ?? 60_000;
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      guest.ready(),
      new Promise<never>((_, rejectBoot) => {
        timer = setTimeout(() => {
          rejectBoot(new GuestError('GUEST_BOOT_FAILED', `the guest did not boot within ${timeoutMs} ms`));
        }, timeoutMs);
      }),
    ]);
  } catch (error) {
    guest.kill();
    await guest.exited();
    await rm(runDir, { recursive: true, force: true });
    const why = error instanceof Error ? error.message : String(error);
    throw new GuestError(
      'GUEST_BOOT_FAILED',
      `${why}\nguest console:\n${guest.consoleTail()}\n(check scripts/guest/uml-guest.sh prepare as root)`,
    );
  } finally {
    clearTimeout(timer);
  }
  guest.bootMs = performance.now() - started;
  return guest;
}
