/**
 * launcher-flags: a bench that measures the daemon's threads must run under the node options the
 * daemon runs with (bin/tandem.js's `#!` line, src/election-runtime/node-flags.ts): without
 * `--single-threaded-gc` the election thread's collections wait for V8's normal-priority helper
 * threads, which the daemon never does. `npx tsx` starts node without those options, so such a
 * bench calls relaunchWithLauncherFlags() before it starts anything.
 */
import { spawnSync } from 'node:child_process';
import { launcherNodeFlags, missingNodeFlags } from '../src/election-runtime/node-flags.js';

/**
 * relaunchWithLauncherFlags returns at once when this process has every launcher flag. Otherwise
 * it runs the same script with the same arguments in a child node that has them (its output
 * straight to this process's), and exits with the child's status; it throws if bin/tandem.js
 * cannot be read.
 */
export function relaunchWithLauncherFlags(): void {
  const missing = missingNodeFlags(process.execArgv);
  if (missing === null) throw new Error('bin/tandem.js could not be read for the node flags the daemon runs with');
  if (missing.length === 0) return;
  // process.execArgv keeps tsx's loader options; process.argv[1] is the script.
  const child = spawnSync(process.execPath, [...launcherNodeFlags(), ...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit' });
  if (child.error !== undefined) throw child.error;
  process.exit(child.status ?? 1);
}
