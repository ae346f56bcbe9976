/**
 * notify: the sd_notify(3) protocol, so systemd knows when tandem is ready, reloading or
 * stopping, what its VRRP state is, and that its event loop is alive (the watchdog).
 *
 * Without NOTIFY_SOCKET in the environment (not started by systemd, or Type= is not notify)
 * every method does nothing, as sd_notify does.
 */
import { loadNative } from './native.js';

/** DatagramSender sends one unix datagram; the addon's sendUnixDatagram by default. */
export type DatagramSender = (path: string, data: Buffer) => void;

/** NotifierOptions lets tests and the composition root supply the environment and the clock. */
export interface NotifierOptions {
  /** env defaults to process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** pid is this process's id, compared with WATCHDOG_PID; defaults to process.pid. */
  readonly pid?: number;
  readonly send?: DatagramSender;
  /**
   * monotonicUsec reads CLOCK_MONOTONIC in microseconds, for RELOADING=1. The default is
   * process.hrtime.bigint(), which libuv reads from CLOCK_MONOTONIC on Linux.
   */
  readonly monotonicUsec?: () => bigint;
}

/**
 * Notifier sends state changes to the service manager. Each method sends one datagram and
 * throws the addon's errno error if that fails (e.g. ECONNREFUSED when systemd is gone);
 * the caller decides whether that matters.
 */
export class Notifier {
  /** socketPath is NOTIFY_SOCKET, or undefined when notifications are off. */
  readonly socketPath: string | undefined;
  /**
   * watchdogIntervalMs is how often to call watchdog(): half of WATCHDOG_USEC, as
   * sd_watchdog_enabled(3) advises, or undefined when systemd set no watchdog for this process.
   */
  readonly watchdogIntervalMs: number | undefined;
  private readonly send: DatagramSender;
  private readonly monotonicUsec: () => bigint;

  constructor(options: NotifierOptions = {}) {
    const env = options.env ?? process.env;
    this.socketPath = env.NOTIFY_SOCKET === '' ? undefined : env.NOTIFY_SOCKET;
    this.watchdogIntervalMs = watchdogInterval(env, options.pid ?? process.pid);
    this.send = options.send ?? ((path, data) => { loadNative().sendUnixDatagram(path, data); });
    this.monotonicUsec = options.monotonicUsec ?? (() => process.hrtime.bigint() / 1000n);
  }

  /** ready says start-up (or a reload) is complete: READY=1, with an optional STATUS=. */
  ready(status?: string): void {
    this.notify(['READY=1', ...statusLine(status)]);
  }

  /**
   * reloading says a configuration reload has begun. systemd 253 wants MONOTONIC_USEC= with
   * it (sd_notify(3), Type=notify-reload); older versions ignore the extra field.
   */
  reloading(status?: string): void {
    this.notify(['RELOADING=1', `MONOTONIC_USEC=${this.monotonicUsec()}`, ...statusLine(status)]);
  }

  /** stopping says an orderly shutdown has begun: STOPPING=1. */
  stopping(status?: string): void {
    this.notify(['STOPPING=1', ...statusLine(status)]);
  }

  /** watchdog pings the service manager's watchdog: WATCHDOG=1. Call it from the main loop only. */
  watchdog(): void {
    this.notify(['WATCHDOG=1']);
  }

  /** status sets the one-line text `systemctl status` shows: STATUS=. */
  status(text: string): void {
    this.notify(statusLine(text));
  }

  private notify(lines: readonly string[]): void {
    if (this.socketPath === undefined) return;
    this.send(this.socketPath, Buffer.from(lines.join('\n'), 'utf8'));
  }
}

/** A newline would start a new assignment, so status text is kept to one line. */
function statusLine(text: string | undefined): string[] {
  return text === undefined ? [] : [`STATUS=${text.replace(/[\r\n]+/g, ' ')}`];
}

function watchdogInterval(env: Readonly<Record<string, string | undefined>>, pid: number): number | undefined {
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isInteger(usec) || usec <= 0) return undefined;
  // WATCHDOG_PID names the process the watchdog is meant for; a child that inherited the
  // variable must not ping (sd_watchdog_enabled(3)).
  if (env.WATCHDOG_PID !== undefined && Number(env.WATCHDOG_PID) !== pid) return undefined;
  return usec / 2 / 1000;
}
