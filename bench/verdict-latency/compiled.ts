/**
 * compiled: the guest side of this bench runs as compiled JavaScript, not through tsx. tsx's
 * loader thread and its transpiling took a tenth of the guest's one CPU away from the
 * measurement, and the daemon runs compiled code too.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

/** compiled compiles `checkout`'s sources and this bench to JavaScript in its dist-bench/, and returns the path of `file` (e.g. run.js) there. */
export function compiled(checkout: string, file = 'run.js'): string {
  execFileSync(process.execPath, [join(checkout, 'node_modules/typescript/bin/tsc'), '-p', join(checkout, 'bench/verdict-latency/tsconfig.json')], { stdio: 'inherit' });
  // src/kernel/native.ts finds the addon two levels up from itself.
  const native = join(checkout, 'dist-bench/native');
  if (!existsSync(native)) symlinkSync('../native', native);
  return join(checkout, 'dist-bench/bench/verdict-latency', file);
}
