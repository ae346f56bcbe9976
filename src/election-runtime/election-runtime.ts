/**
 * election-runtime: the main thread's handle on the election thread. The daemon's composition
 * root starts it, feeds it control events, carries out its notices, and shuts it down first in
 * the stop order (docs/protocol.md: priority-0 advert, then VIPs, then the sync daemon).
 *
 *   const election = await startElectionRuntime(options, { notice, failed });
 *   election.send({ kind: 'trackedCheck', name: 'uplink', ok: false });
 *   const status = await election.status();
 *   await election.shutdown(); // resolves once the election has stopped and its thread exited
 */
import { Worker } from 'node:worker_threads';
import { assertElectionOptions, assertKeySet, type ElectionOptions } from '../election/options.js';
import { DEFAULT_REJECT_LOG_WINDOW_MS } from './election-driver.js';
import type {
  ControlEvent,
  ElectionNotice,
  ElectionStatus,
  ElectionWorkerInit,
  FromElectionThread,
  SerializedError,
  ToElectionThread,
} from './messages.js';
import { ELECTION_THREAD_SCHEDULING, type ThreadPriority, type ThreadSchedulingRequest } from './thread-priority.js';
import type { ElectionTransportOptions, UdpEndpoint } from './udp-transport.js';

/** ElectionRuntimeOptions is the election and where it talks. */
export interface ElectionRuntimeOptions {
  readonly election: ElectionOptions;
  readonly transport: ElectionTransportOptions;
  /** rejectLogWindowMs: at most one `rejected` notice per reason per window; default one minute. */
  readonly rejectLogWindowMs?: number;
  /**
   * threadScheduling: the election thread's realtime priority and fallback nice value (default
   * ELECTION_THREAD_SCHEDULING: SCHED_RR 10, else nice −10); null leaves the thread as it is.
   */
  readonly threadScheduling?: ThreadSchedulingRequest | null;
}

/** ElectionRuntimeHandlers receive what the election thread reports, in order. */
export interface ElectionRuntimeHandlers {
  /** notice: carry it out (addVips, removeVips, announce) or log it; see ElectionNotice. */
  notice(notice: ElectionNotice): void;
  /**
   * failed: the election thread died. Nothing adverts for this node any more, so the daemon must
   * stop (systemd restarts it) rather than keep VIPs that no election guards.
   */
  failed(error: ElectionRuntimeError): void;
}

/** ElectionRuntimeError is a failure of the election thread; `code` is the original error's when known. */
export class ElectionRuntimeError extends Error {
  override readonly name = 'ElectionRuntimeError';
  /** code: the thread's error code (TANDEM_ELECTION_BIND, TANDEM_ELECTION_OPTIONS…), or TANDEM_ELECTION_THREAD. */
  readonly code: string;

  constructor(message: string, code = 'TANDEM_ELECTION_THREAD', options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }

  /** fromSerialized rebuilds an error the election thread posted. */
  static fromSerialized(error: SerializedError): ElectionRuntimeError {
    return new ElectionRuntimeError(error.message, error.code ?? 'TANDEM_ELECTION_THREAD');
  }
}

/** SHUTDOWN_SLACK_MS is added to the handover timeout before a shutdown is declared stuck. */
const SHUTDOWN_SLACK_MS = 2000;

/** ElectionRuntime is a started election thread; see the file comment. */
export class ElectionRuntime {
  readonly #worker: Worker;
  readonly #handoverTimeoutMs: number;
  readonly #statusWaiters = new Map<number, { resolve: (status: ElectionStatus) => void; reject: (error: Error) => void }>();
  #nextRequestId = 1;
  #stopped: Promise<ElectionStatus>;
  #resolveStopped: (status: ElectionStatus) => void = () => undefined;
  #rejectStopped: (error: Error) => void = () => undefined;
  #exited = false;
  /** ended: the thread stopped after a shutdown, or was terminated on purpose; exit is no failure. */
  #ended = false;
  /** boundEndpoints are where the election listens (port 0 resolved). */
  readonly boundEndpoints: readonly UdpEndpoint[];
  /** threadPriority is the election thread's policy and priority, with the reason for any part refused (log it). */
  readonly threadPriority: ThreadPriority | null;

  private constructor(
    worker: Worker,
    ready: { bound: readonly UdpEndpoint[]; priority: ThreadPriority | null },
    handoverTimeoutMs: number,
    handlers: ElectionRuntimeHandlers,
  ) {
    this.#worker = worker;
    this.boundEndpoints = ready.bound;
    this.threadPriority = ready.priority;
    this.#handoverTimeoutMs = handoverTimeoutMs;
    this.#stopped = new Promise((resolve, reject) => {
      this.#resolveStopped = resolve;
      this.#rejectStopped = reject;
    });
    // Nobody may be waiting for the stop yet; a crash must not become an unhandled rejection.
    this.#stopped.catch(() => undefined);
    worker.on('message', (message: FromElectionThread) => {
      switch (message.kind) {
        case 'notice':
          handlers.notice(message.notice);
          return;
        case 'status':
          this.#statusWaiters.get(message.requestId)?.resolve(message.status);
          this.#statusWaiters.delete(message.requestId);
          return;
        case 'stopped':
          this.#ended = true;
          this.#resolveStopped(message.status);
          return;
        default:
          return;
      }
    });
    // A crash raises 'error' and then 'exit'; the daemon hears about it once.
    let reportedFailure = false;
    const fail = (error: ElectionRuntimeError): void => {
      if (reportedFailure) return;
      reportedFailure = true;
      handlers.failed(error);
    };
    worker.on('error', (error) => {
      fail(new ElectionRuntimeError(`election thread crashed: ${error.message}`, 'TANDEM_ELECTION_THREAD', { cause: error }));
    });
    worker.on('exit', (exitCode) => {
      this.#exited = true;
      const error = new ElectionRuntimeError(`election thread exited (code ${exitCode}) without a shutdown`);
      for (const waiter of this.#statusWaiters.values()) waiter.reject(error);
      this.#statusWaiters.clear();
      this.#rejectStopped(error);
      if (!this.#ended) fail(error);
    });
  }

  /** start spawns the thread and resolves once its sockets are bound and startup was sent. */
  static async start(options: ElectionRuntimeOptions, handlers: ElectionRuntimeHandlers): Promise<ElectionRuntime> {
    // Refuse bad options here, where the caller gets a typed ElectionOptionsError.
    assertElectionOptions(options.election);
    const init: ElectionWorkerInit = {
      election: options.election,
      transport: options.transport,
      rejectLogWindowMs: options.rejectLogWindowMs ?? DEFAULT_REJECT_LOG_WINDOW_MS,
      threadScheduling: options.threadScheduling === undefined ? ELECTION_THREAD_SCHEDULING : options.threadScheduling,
    };
    const worker = spawnElectionWorker(init);
    const ready = await new Promise<{ bound: readonly UdpEndpoint[]; priority: ThreadPriority | null }>((resolve, reject) => {
      const settle = (): void => {
        worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      };
      const onMessage = (message: FromElectionThread): void => {
        if (message.kind === 'ready') resolve(message);
        else if (message.kind === 'failed') reject(ElectionRuntimeError.fromSerialized(message.error));
        else return;
        settle();
      };
      const onError = (error: Error): void => {
        settle();
        reject(new ElectionRuntimeError(`election thread failed to start: ${error.message}`, 'TANDEM_ELECTION_THREAD', { cause: error }));
      };
      const onExit = (exitCode: number): void => {
        settle();
        reject(new ElectionRuntimeError(`election thread exited (code ${exitCode}) before it was ready`));
      };
      worker.on('message', onMessage).on('error', onError).on('exit', onExit);
    });
    return new ElectionRuntime(worker, ready, options.election.handoverTimeoutMs, handlers);
  }

  /** send feeds a control event; a keysChanged with a short key throws ElectionOptionsError here. */
  send(event: ControlEvent): void {
    if (event.kind === 'keysChanged') assertKeySet(event.keys);
    this.#post({ kind: 'event', event });
  }

  /** status asks the election thread for a snapshot. */
  status(): Promise<ElectionStatus> {
    const requestId = this.#nextRequestId++;
    return new Promise((resolve, reject) => {
      if (this.#exited) {
        reject(new ElectionRuntimeError('election thread has exited; no status'));
        return;
      }
      this.#statusWaiters.set(requestId, { resolve, reject });
      this.#post({ kind: 'statusRequest', requestId });
    });
  }

  /**
   * shutdown stops the election gracefully: a master adverts priority 0 with the handover flag
   * and keeps its VIPs until its successor adverts or handoverTimeoutMs passes, then removes them
   * (a removeVips notice); a backup stops at once. It resolves with the final status once the
   * thread has exited. If the thread does not stop in time, it is terminated and this rejects.
   */
  async shutdown(): Promise<ElectionStatus> {
    this.#post({ kind: 'shutdown' });
    const deadlineMs = this.#handoverTimeoutMs + SHUTDOWN_SLACK_MS;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        this.#ended = true;
        void this.#worker.terminate();
        reject(new ElectionRuntimeError(`election did not stop within ${deadlineMs} ms; its thread was terminated`, 'TANDEM_ELECTION_SHUTDOWN_TIMEOUT'));
      }, deadlineMs);
    });
    try {
      const status = await Promise.race([this.#stopped, timedOut]);
      if (!this.#exited) await new Promise((resolve) => this.#worker.once('exit', resolve));
      return status;
    } finally {
      clearTimeout(timer);
    }
  }

  /** terminate kills the thread without a priority-0 advert: only for a daemon that is crashing. */
  async terminate(): Promise<void> {
    this.#ended = true;
    await this.#worker.terminate();
  }

  #post(message: ToElectionThread): void {
    this.#worker.postMessage(message);
  }
}

/** startElectionRuntime is ElectionRuntime.start. */
export function startElectionRuntime(options: ElectionRuntimeOptions, handlers: ElectionRuntimeHandlers): Promise<ElectionRuntime> {
  return ElectionRuntime.start(options, handlers);
}

/**
 * spawnElectionWorker starts election-worker next to this module. Built (dist/*.js), that is a
 * plain module. Run from source (vitest, `tsx`), this module's URL ends in .ts: then the worker
 * is a small bootstrap that registers tsx's loader in the new thread and imports the .ts entry,
 * because on Node 20 `execArgv: ['--import', 'tsx']` does not reach a worker's own entry module.
 */
function spawnElectionWorker(init: ElectionWorkerInit): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./election-worker.js', here), { workerData: init });
  const entry = new URL('./election-worker.ts', here).href;
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then(({ register }) => { register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: init });
}
