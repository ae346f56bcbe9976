/**
 * ipvs-smoke: proves the guest harness against the real IPVS of a user-mode-linux guest.
 * One guest for the whole file; every test leaves the IPVS table empty (ipvsadm -C) behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GuestError, guestSkipReason, startGuest, type Guest } from './harness/guest.js';

const skipReason = guestSkipReason();
if (skipReason !== undefined) console.warn(`test/kernel skipped: ${skipReason}`);

/** Schedulers ipvsadm(8) lists that Debian's 6.1 UML kernel ships as modules (twos is 6.11+). */
const SCHEDULERS = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh'];

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

describe.skipIf(skipReason !== undefined)('guest kernel: harness against real IPVS', () => {
  let guest: Guest;

  beforeAll(async () => {
    guest = await startGuest({ timeoutMs: 120_000 });
  });

  afterAll(async () => {
    await guest.stop();
  });

  it('exposes the kernel IPVS table in /proc/net/ip_vs', async () => {
    const result = await guest.run(['cat', '/proc/net/ip_vs']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^IP Virtual Server version \d+\.\d+\.\d+ \(size=\d+\)/);
  });

  it('adds a virtual service and a real server that ipvsadm-save reads back exactly', async () => {
    const script = [
      'ipvsadm -A -t 192.0.2.1:80 -s rr',
      'ipvsadm -a -t 192.0.2.1:80 -r 192.0.2.10:80 -g -w 3',
      'ipvsadm-save -n',
      'ipvsadm -C',
    ].join(' && ');
    const result = await guest.run(script);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('-A -t 192.0.2.1:80 -s rr\n-a -t 192.0.2.1:80 -r 192.0.2.10:80 -g -w 3\n');
  });

  it('accepts every scheduler module loaded at boot', async () => {
    // One guest process per scheduler would cost a fork each; a single script is cheaper.
    const script = SCHEDULERS.map((s, i) => `ipvsadm -A -t 192.0.2.1:${8000 + i} -s ${s}`).join(' && ');
    const result = await guest.run(`${script} && ipvsadm-save -n; ipvsadm -C`);
    expect(result.stderr).toBe('');
    const saved = result.stdout.trim().split('\n').sort();
    const expected = SCHEDULERS.map((s, i) => `-A -t 192.0.2.1:${8000 + i} -s ${s}`).sort();
    expect(saved).toEqual(expected);
  });

  it('starts and lists a master sync daemon, then stops it', async () => {
    const started = await guest.run(['ipvsadm', '--start-daemon', 'master', '--mcast-interface', 'lo', '--syncid', '7']);
    expect(started).toMatchObject({ code: 0, stderr: '' });
    const listed = await guest.run(['ipvsadm', '-L', '--daemon']);
    expect(listed.stdout).toMatch(/^master sync daemon \(mcast=lo, syncid=7/);
    const stopped = await guest.run(['ipvsadm', '--stop-daemon', 'master']);
    expect(stopped.code).toBe(0);
    expect((await guest.run(['ipvsadm', '-L', '--daemon'])).stdout).toBe('');
  });

  it('reports a failing command with its exit status and stderr', async () => {
    const result = await guest.run(['ipvsadm', '-A', '-t', '192.0.2.1:80', '-s', 'no-such-scheduler']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/scheduler/i);
  });

  it('passes argv words through unchanged, quotes and spaces included', async () => {
    const words = ["it's", 'two words', '$HOME', '"q"', 'a\\b'];
    const result = await guest.run(['printf', '%s\\n', ...words], { env: { TANDEM_PROBE: 'x y' } });
    expect(result.stdout).toBe(`${words.join('\n')}\n`);
    expect((await guest.run('echo "$TANDEM_PROBE"', { env: { TANDEM_PROBE: 'x y' } })).stdout).toBe('x y\n');
  });

  it('kills a hung command at its timeout and stays usable', async () => {
    const started = performance.now();
    const hung = guest.run(['sleep', '100'], { timeoutMs: 2_000 });
    await expect(hung).rejects.toThrow(GuestError);
    await expect(hung).rejects.toMatchObject({ code: 'GUEST_COMMAND_TIMEOUT' });
    // The kill is confirmed by the agent, well before the command itself would have ended.
    expect(performance.now() - started).toBeLessThan(20_000);
    const after = await guest.run("pgrep -fx 'sleep 100' || echo none");
    expect(after.stdout).toBe('none\n');
  });

  it('runs commands concurrently', async () => {
    const slow = guest.run('sleep 1; echo slow');
    const fast = await guest.run(['echo', 'fast']);
    expect(fast.stdout).toBe('fast\n');
    expect((await slow).stdout).toBe('slow\n');
  });

  it('runs a Node program against the compiled checkout (dist/ and the addon)', async () => {
    const result = await guest.node('test/kernel/programs/if-index.mjs', ['lo'], { timeoutMs: 60_000 });
    // Compared together, so that a failure shows the program's whole stderr.
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(result.stdout)).toEqual({ lo: 1 });
  });

  it('reports its timings (boot, command round trip, node start)', async () => {
    const roundTripsMs: number[] = [];
    for (let i = 0; i < 20; i++) {
      const result = await guest.run(['true']);
      expect(result.code).toBe(0);
      roundTripsMs.push(result.durationMs);
    }
    const nodeStart = await guest.run([process.execPath, '-e', '1'], { timeoutMs: 60_000 });
    expect(nodeStart.code).toBe(0);
    console.info(
      `guest timings: boot ${guest.bootMs.toFixed(0)} ms, ` +
        `\`true\` round trip median ${median(roundTripsMs).toFixed(1)} ms (n=20), ` +
        `\`node -e 1\` ${nodeStart.durationMs.toFixed(0)} ms`,
    );
  });
});
