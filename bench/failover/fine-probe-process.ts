/**
 * fine-probe-process: runs fine-probe.mjs in the lab's client namespace and collects its attempts
 * between start() and stop(), so bench/failover can probe finely only around a planned handover
 * (1000 connects a second all the time would load the shared machine the daemons run on).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { killAndWait } from '../../test/netns/lab/lab.js';
import type { ProbeAttempt } from './probe-figures.js';

const here = fileURLToPath(new URL('.', import.meta.url));

/** FineProbeOptions: where to connect, how often, and when an unanswered connect counts as failed. */
export interface FineProbeOptions {
  readonly namespace: string;
  readonly host: string;
  readonly port: number;
  readonly intervalMs: number;
  readonly timeoutMs: number;
}

/** FineProbe is one fine-probe.mjs process, idle until start(). */
export class FineProbe {
  readonly #child: ChildProcess;
  #attempts: ProbeAttempt[] = [];
  #onStopped: (() => void) | undefined;
  readonly #ready: Promise<void>;

  private constructor(child: ChildProcess) {
    this.#child = child;
    let resolveReady: () => void = () => undefined;
    this.#ready = new Promise((resolve) => { resolveReady = resolve; });
    const stdout = child.stdout;
    if (stdout === null) throw new Error('fine-probe has no stdout');
    createInterface({ input: stdout }).on('line', (text) => {
      const line = JSON.parse(text) as ProbeAttempt & { ready?: true; stopped?: true };
      if (line.ready === true) resolveReady();
      else if (line.stopped === true) this.#onStopped?.();
      else this.#attempts.push(line);
    });
  }

  /** spawn starts the process and resolves once it reads its commands. */
  static async spawn(options: FineProbeOptions): Promise<FineProbe> {
    const child = spawn('ip', ['netns', 'exec', options.namespace, 'node', join(here, 'fine-probe.mjs'), options.host, String(options.port), String(options.intervalMs), String(options.timeoutMs)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const probe = new FineProbe(child);
    await Promise.race([probe.#ready, new Promise((_, reject) => child.once('exit', (code) => { reject(new Error(`fine-probe exited with ${String(code)}`)); }))]);
    return probe;
  }

  /** start begins connecting every intervalMs; attempts from an earlier start() are dropped. */
  start(): void {
    this.#attempts = [];
    this.#child.stdin?.write('start\n');
  }

  /** stop ends the connects and resolves with every attempt since start(), once all have settled. */
  stop(): Promise<ProbeAttempt[]> {
    return new Promise((resolve) => {
      this.#onStopped = () => {
        this.#onStopped = undefined;
        resolve(this.#attempts);
      };
      this.#child.stdin?.write('stop\n');
    });
  }

  /** close kills the process. */
  async close(): Promise<void> {
    await killAndWait(this.#child, 'SIGKILL');
  }
}
