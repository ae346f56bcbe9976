/** node-flags: the launcher's `#!` line is the one place the daemon's node flags are written. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { launcherNodeFlags, missingNodeFlags } from '../../../src/election-runtime/node-flags.js';

describe('launcherNodeFlags', () => {
  it('reads the options after `node` on bin/tandem.js\'s #! line, which env(1) -S splits', () => {
    const shebang = readFileSync(new URL('../../../bin/tandem.js', import.meta.url), 'utf8').split('\n', 1)[0];
    expect(shebang).toMatch(/^#!\/usr\/bin\/env -S node /);
    expect(launcherNodeFlags()).toEqual(shebang?.split(/\s+/).slice(3));
    // The election thread's guard against GC-helper priority inversion (bench/spurious).
    expect(launcherNodeFlags()).toContain('--single-threaded-gc');
  });
});

describe('missingNodeFlags', () => {
  it('lists the launcher flags a process was started without', () => {
    expect(missingNodeFlags([])).toEqual(launcherNodeFlags());
    expect(missingNodeFlags([...launcherNodeFlags(), '--import', 'tsx'])).toEqual([]);
  });
});
