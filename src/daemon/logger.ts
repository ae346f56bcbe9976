/**
 * logger: the daemon's pino logger, writing JSON lines that journald files at the right priority.
 *
 * systemd reads a leading "<N>" on each stdout line as the syslog priority (SyslogLevelPrefix=,
 * on by default, systemd.exec(5)), so `journalctl -p warning` works on plain JSON logs.
 * Components log through child loggers bound with the fixed vocabulary: component, vs, rs, event.
 */
import { pino, type DestinationStream, type Level, type Logger } from 'pino';

/** LOG_COMPONENTS are the values of the `component` binding; one per part of the data flow. */
export type LogComponent = 'daemon' | 'config' | 'election' | 'vip' | 'health' | 'ipvs' | 'sync-daemon' | 'control' | 'metrics' | 'kernel';

// syslog(3) priorities for pino's numeric levels.
const SYSLOG_PRIORITY: Readonly<Record<number, number>> = { 10: 7, 20: 7, 30: 6, 40: 4, 50: 3, 60: 2 };

/** journaldLine prefixes one pino JSON line with its syslog priority, e.g. `<4>{"level":40,...}`. */
export function journaldLine(line: string): string {
  const match = /"level":(\d+)/.exec(line);
  const priority = match === null ? 6 : (SYSLOG_PRIORITY[Number(match[1])] ?? 6);
  return `<${priority}>${line}`;
}

/** journaldDestination wraps a stream so each line carries its priority prefix. */
export function journaldDestination(out: { write(chunk: string): unknown }): DestinationStream {
  return { write: (line: string) => out.write(journaldLine(line)) };
}

/** LoggerOptions choose the level and where lines go; the default is stdout with prefixes. */
export interface LoggerOptions {
  readonly level: Level;
  readonly destination?: DestinationStream;
}

/** createLogger builds the root logger. Pass it down; there is no global logger. */
export function createLogger(options: LoggerOptions): Logger {
  const destination = options.destination ?? journaldDestination(pino.destination({ dest: 1, sync: true }));
  return pino({ level: options.level, base: { service: 'tandem' }, timestamp: pino.stdTimeFunctions.isoTime }, destination);
}

/** componentLogger returns a child logger bound to one component. */
export function componentLogger(root: Logger, component: LogComponent): Logger {
  return root.child({ component });
}
