/**
 * node-flags: the options `node` must be started with for the election thread to keep its
 * deadlines, read from the one place they are written: the `#!` line of bin/tandem.js.
 *
 * Why a flag at all: V8 runs a worker isolate's collections with the process's shared GC helper
 * threads (parallel scavenge, concurrent marking and sweeping) and makes the collecting thread
 * wait for them. Those helpers run at normal priority, so on a saturated host the realtime
 * election thread (thread-priority.ts) sleeps in a scavenge until they get a CPU: bench/spurious
 * measured scavenges of 25–360 ms of wall time in which the election thread ran under 2 ms and
 * never waited for a CPU, and adverts went out that late. `--single-threaded-gc` makes every
 * collection run on the thread that needs it, at that thread's priority. V8 flags are per process
 * and must be set before the first isolate exists (setting this one at run time aborts a later
 * collection), and NODE_OPTIONS refuses it, so only the node command line can carry it.
 *
 * Launchers: bin/tandem.js (also /usr/bin/tandem in systemd/tandem@.service) carries the flags on
 * its `#!/usr/bin/env -S node ...` line; the netns lab starts from source with launcherNodeFlags(),
 * so both run the same flags. Anything that starts `node bin/tandem.js` itself bypasses the `#!`
 * line: the election thread reports missing flags (ThreadPriority.missingNodeFlags).
 */
import { readFileSync } from 'node:fs';

/** LAUNCHER is bin/tandem.js, two levels up from this module both in src/ and in dist/. */
const LAUNCHER = new URL('../../bin/tandem.js', import.meta.url);

/** launcherNodeFlags returns the node options on bin/tandem.js's `#!` line; it throws if the file cannot be read. */
export function launcherNodeFlags(): readonly string[] {
  const shebang = readFileSync(LAUNCHER, 'utf8').split('\n', 1)[0] ?? '';
  // "#!/usr/bin/env -S node --flag ..." (env(1) -S splits the rest into arguments).
  const words = shebang.replace(/^#!/, '').trim().split(/\s+/);
  return words.slice(words.indexOf('node') + 1);
}

/**
 * missingNodeFlags lists the launcher's node options absent from `execArgv` (process.execArgv,
 * which a worker inherits), or null when bin/tandem.js cannot be read; it never throws.
 */
export function missingNodeFlags(execArgv: readonly string[]): readonly string[] | null {
  try {
    return launcherNodeFlags().filter((flag) => !execArgv.includes(flag));
  } catch {
    return null;
  }
}
