import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ELECTION_THREAD_RT_PRIORITY } from '../../../src/election-runtime/thread-priority.js';

const unitPath = new URL('../../../systemd/tandem@.service', import.meta.url);
const hasSystemdAnalyze = (() => {
  try {
    execFileSync('systemd-analyze', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('systemd/tandem@.service', () => {
  const text = readFileSync(unitPath, 'utf8');

  it('is a notify service that validates the config before start and reload', () => {
    expect(text).toMatch(/^Type=notify$/m);
    expect(text).toMatch(/^ExecStartPre=\/usr\/bin\/tandem check-config \$\{TANDEM_CONFIG\} --node %i$/m);
    expect(text).toMatch(/^ExecStart=\/usr\/bin\/tandem run --config \$\{TANDEM_CONFIG\} --node %i$/m);
    // The check runs before the HUP, so an invalid file never reaches the running daemon.
    expect(text.indexOf('ExecReload=/usr/bin/tandem check-config')).toBeLessThan(text.indexOf('ExecReload=/bin/kill -HUP'));
  });

  it('lets the election thread run realtime: no RestrictRealtime, RLIMIT_RTPRIO up to its priority', () => {
    expect(text).not.toMatch(/^RestrictRealtime=(yes|true|on|1)$/m);
    const limit = /^LimitRTPRIO=(\d+)$/m.exec(text)?.[1];
    expect(Number(limit)).toBeGreaterThanOrEqual(ELECTION_THREAD_RT_PRIORITY);
    // Realtime for the election thread only: no capability that would let it renice other processes.
    expect(/^CapabilityBoundingSet=(.*)$/m.exec(text)?.[1]).not.toContain('CAP_SYS_NICE');
  });

  it.skipIf(!hasSystemdAnalyze)('has no key or section systemd does not know', () => {
    // systemd-analyze prints unknown keys but exits 0, so read its output. The only accepted
    // complaint is that /usr/bin/tandem is not installed on the test machine.
    const dir = mkdtempSync(join(tmpdir(), 'tandem-unit-'));
    try {
      const instance = join(dir, 'tandem@alpha.service');
      copyFileSync(unitPath, instance);
      let output: string;
      try {
        output = execFileSync('systemd-analyze', ['verify', '--man=no', instance], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      } catch (error) {
        output = String((error as { stderr?: unknown }).stderr ?? error);
      }
      const complaints = output.split('\n').filter((line) => line.trim() !== '' && !line.includes('is not executable'));
      expect(complaints).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
