/**
 * The exec checker with scripts in a temp dir: exit codes, signals, environment, a missing
 * command, and the timeout, after which the script's whole process group must be gone.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { errorCode } from '../../../src/health/socket-failure.js';
import { execChecker } from '../../../src/health/exec-checker.js';
import { checkOf } from '../../unit/health/check-fixtures.js';
import { eventually } from './loopback.js';

const dir = mkdtempSync(join(tmpdir(), 'tandem-exec-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** script writes an executable /bin/sh script and returns its path. */
function script(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

/** alive says whether a process exists (kill(pid, 0), kill(2)). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    if (errorCode(error) === 'ESRCH') return false;
    throw error;
  }
}

const run = (command: string, fields: Record<string, unknown> = {}) => {
  const check = checkOf('exec', 8080, { command, timeoutMs: 1000, intervalMs: 2000, ...fields });
  return execChecker.check({ address: '10.0.0.7', check }, AbortSignal.timeout(check.timeoutMs));
};

describe('exec checker', () => {
  it('passes on exit 0 and hands the arguments over', async () => {
    const out = join(dir, 'args.txt');
    expect(await run(script('ok.sh', `echo "$@" > ${out}`), { args: ['--vs', 'web'] })).toEqual({ ok: true });
    expect(readFileSync(out, 'utf8')).toBe('--vs web\n');
  });

  it('fails with exit-code and quotes the first line of output', async () => {
    expect(await run(script('fail.sh', 'echo "db replica lagging" >&2\necho second line\nexit 2'))).toEqual({ ok: false, reason: 'exit-code', detail: 'exit code 2: db replica lagging' });
  });

  it('fails with signal when the script is killed', async () => {
    expect(await run(script('killed.sh', 'kill -TERM $$'))).toEqual({ ok: false, reason: 'signal', detail: 'killed by SIGTERM' });
  });

  it('gives the script a minimal environment naming the real server', async () => {
    const out = join(dir, 'env.txt');
    process.env.TANDEM_TEST_SECRET = 'do not leak';
    try {
      await run(script('env.sh', `env | sort > ${out}`), { sourceAddress: '10.0.0.1' });
    } finally {
      delete process.env.TANDEM_TEST_SECRET;
    }
    const env = readFileSync(out, 'utf8');
    expect(env).toContain('TANDEM_RS_ADDRESS=10.0.0.7\n');
    expect(env).toContain('TANDEM_RS_PORT=8080\n');
    expect(env).toContain('TANDEM_SOURCE_ADDRESS=10.0.0.1\n');
    expect(env).toContain('TANDEM_CHECK_TIMEOUT_MS=1000\n');
    expect(env).not.toContain('TANDEM_TEST_SECRET');
  });

  it('fails with spawn when the command cannot run', async () => {
    expect(await run(join(dir, 'missing.sh'))).toMatchObject({ ok: false, reason: 'spawn' });
  });

  it('kills the whole process group at the timeout, background children included', async () => {
    const pids = join(dir, 'pids.txt');
    const hang = script('hang.sh', `sleep 60 &\necho $! > ${pids}\necho $$ >> ${pids}\nsleep 60`);
    const startedAt = Date.now();
    expect(await run(hang, { timeoutMs: 300 })).toEqual({ ok: false, reason: 'timeout', detail: 'no verdict within 300 ms' });
    expect(Date.now() - startedAt).toBeLessThan(2000);
    const [child, leader] = readFileSync(pids, 'utf8').trim().split('\n').map(Number);
    await eventually(() => {
      expect([alive(child!), alive(leader!)]).toEqual([false, false]);
    });
  });

  it('kills what a script left running in the background when it exits', async () => {
    const pids = join(dir, 'left.txt');
    expect(await run(script('leave.sh', `sleep 60 &\necho $! > ${pids}\nexit 0`))).toEqual({ ok: true });
    const child = Number(readFileSync(pids, 'utf8').trim());
    await eventually(() => {
      expect(alive(child)).toBe(false);
    });
  });
});
