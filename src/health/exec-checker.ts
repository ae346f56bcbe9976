/**
 * exec-checker: runs an operator's script; exit status 0 means up (keepalived's MISC_CHECK).
 *
 * The script runs as the leader of its own process group (detached: setsid(2)), so when the
 * attempt ends, by timeout or normally, one kill(-pgid, SIGKILL) (kill(2)) also removes whatever
 * it started in the background: spawn's own `timeout` signals only the direct child.
 */
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { runAttempt, timedOut } from './attempt.js';
import { PASSED, failed, type CheckOutcome } from './check-result.js';
import type { CheckOf, Checker } from './checker.js';
import { errorCode } from './socket-failure.js';

/** OUTPUT_LIMIT_BYTES caps what is kept of each output stream for the failure detail; the rest is drained. */
export const OUTPUT_LIMIT_BYTES = 512;

/** captureCapped keeps the first OUTPUT_LIMIT_BYTES of a stream and reads (drops) the rest, so the script never blocks on a full pipe. */
function captureCapped(stream: Readable): () => string {
  const kept: Buffer[] = [];
  let keptBytes = 0;
  stream.on('data', (chunk: Buffer) => {
    if (keptBytes >= OUTPUT_LIMIT_BYTES) return;
    kept.push(chunk.subarray(0, OUTPUT_LIMIT_BYTES - keptBytes));
    keptBytes += chunk.length;
  });
  return () => Buffer.concat(kept).toString('utf8');
}

/** SEARCH_PATH is the PATH a script gets: the system directories, nothing from the daemon's environment. */
const SEARCH_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * execEnvironment is a script's whole environment. The daemon's own variables (which may hold
 * secrets) are not passed; the real server is, so one script serves many servers.
 */
export function execEnvironment(address: string, check: CheckOf<'exec'>): Record<string, string> {
  return {
    PATH: SEARCH_PATH,
    LANG: 'C',
    TANDEM_RS_ADDRESS: address,
    TANDEM_RS_PORT: String(check.port),
    TANDEM_CHECK_TIMEOUT_MS: String(check.timeoutMs),
    ...(check.sourceAddress === null ? {} : { TANDEM_SOURCE_ADDRESS: check.sourceAddress }),
  };
}

/**
 * killGroup SIGKILLs a process group. It runs in event handlers, so it must not throw: ESRCH is
 * the goal reached (the group is gone), and EPERM (a setuid member we may not signal) is all
 * that can be done from here.
 */
function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch (error) {
    const code = errorCode(error);
    if (code !== 'ESRCH' && code !== 'EPERM') throw error;
  }
}

/** exitVerdict turns an exit status into an outcome, quoting the first line the script wrote (stderr first, else stdout). */
function exitVerdict(code: number | null, signal: NodeJS.Signals | null, output: string): CheckOutcome {
  if (code === 0) return PASSED;
  const said = output.trim().split('\n', 1)[0] ?? '';
  const suffix = said === '' ? '' : `: ${said}`;
  return code === null ? failed('signal', `killed by ${signal ?? 'a signal'}${suffix}`) : failed('exit-code', `exit code ${code}${suffix}`);
}

/** execChecker spawns the check's command with its args and judges its exit status. */
export const execChecker: Checker<CheckOf<'exec'>> = {
  check({ address, check }, signal) {
    return runAttempt(signal, () => timedOut(check.timeoutMs), (finish) => {
      const child = spawn(check.command, check.args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: execEnvironment(address, check) });
      const stdout = captureCapped(child.stdout);
      const stderr = captureCapped(child.stderr);
      child.once('error', (error) => {
        finish(failed('spawn', `cannot run ${check.command}: ${error.message}`));
      });
      // 'exit' comes before the pipes drain; kill what the script left behind (its pipes close
      // with it), then judge on 'close', when all output has been read.
      child.once('exit', (code, exitSignal) => {
        if (child.pid !== undefined) killGroup(child.pid);
        child.once('close', () => {
          finish(exitVerdict(code, exitSignal, stderr().trim() === '' ? stdout() : stderr()));
        });
      });
      return () => {
        if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) killGroup(child.pid);
        child.stdout.destroy();
        child.stderr.destroy();
      };
    });
  },
};
