/**
 * guest-lifecycle: the harness never leaves a guest behind and reports a dead one clearly;
 * two guests on a host bridge reach each other (the shape of a two-director failover test).
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createGuestLan } from './harness/guest-lan.js';
import { REPO_ROOT, guestSkipReason, startGuest } from './harness/guest.js';

const execFileAsync = promisify(execFile);
const skipReason = guestSkipReason();

/** guestProcessCount counts host processes of the guest booted in runDir (UML forks helpers). */
async function guestProcessCount(runDir: string): Promise<number> {
  const found = await execFileAsync('pgrep', ['-f', `uml_dir=${runDir} `]).catch(() => ({ stdout: '' }));
  return found.stdout.split('\n').filter((line) => line !== '').length;
}

/** waitForNoGuest polls until the guest's processes are gone, returning how many remain. */
async function waitForNoGuest(runDir: string, attempts: number): Promise<number> {
  let count = await guestProcessCount(runDir);
  for (let i = 0; i < attempts && count > 0; i++) {
    await sleep(250);
    count = await guestProcessCount(runDir);
  }
  return count;
}

describe.skipIf(skipReason !== undefined)('guest kernel: harness lifecycle', () => {
  it('stops cleanly: no guest process and no run directory remain', async () => {
    const guest = await startGuest();
    const runDir = dirname(guest.shareDir);
    expect(await guestProcessCount(runDir)).toBeGreaterThan(0);
    await guest.stop();
    expect(await guestProcessCount(runDir)).toBe(0);
    expect(existsSync(runDir)).toBe(false);
    await guest.stop();
  });

  it('reports a guest that powered off as dead, for the running and every later command', async () => {
    const guest = await startGuest();
    await expect(guest.run(['busybox', 'poweroff', '-f'])).rejects.toMatchObject({ code: 'GUEST_DEAD' });
    await expect(guest.run(['true'])).rejects.toMatchObject({
      code: 'GUEST_DEAD',
      message: expect.stringMatching(/guest kernel exited/) as unknown,
    });
    await guest.stop();
    expect(existsSync(dirname(guest.shareDir))).toBe(false);
  });

  it('powers the guest off when the process that started it is killed', async () => {
    // A separate Node process boots a guest and is then killed without any cleanup: the
    // guest sees EOF on its console and must go away by itself.
    const holder = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        "import { startGuest } from './test/kernel/harness/guest.js';" +
          'const guest = await startGuest(); console.log(guest.shareDir); setInterval(() => {}, 1000);',
      ],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const [shareDir] = (await once(createInterface({ input: holder.stdout }), 'line')) as [string];
      const runDir = dirname(shareDir);
      expect(await guestProcessCount(runDir)).toBeGreaterThan(0);
      holder.kill('SIGKILL');
      expect(await waitForNoGuest(runDir, 60)).toBe(0);
      await rm(runDir, { recursive: true, force: true });
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('wires two guests to one host bridge, where they reach each other', async () => {
    const lan = await createGuestLan(`tandem-lan-${process.pid}`, 2);
    const [tapA = '', tapB = ''] = lan.taps;
    try {
      const [a, b] = await Promise.all([
        startGuest({ netns: lan.netns, nics: [tapA], hostname: 'director-a' }),
        startGuest({ netns: lan.netns, nics: [tapB], hostname: 'director-b' }),
      ]);
      try {
        await Promise.all([
          a.run('ip addr add 192.0.2.11/24 dev eth0 && ip link set eth0 up'),
          b.run('ip addr add 192.0.2.12/24 dev eth0 && ip link set eth0 up'),
        ]);
        const ping = await a.run(['busybox', 'ping', '-c', '1', '-W', '5', '192.0.2.12'], { timeoutMs: 20_000 });
        expect(ping.stdout).toMatch(/1 packets received/);
        expect((await b.run(['hostname'])).stdout).toBe('director-b\n');
      } finally {
        await Promise.all([a.stop(), b.stop()]);
      }
    } finally {
      await lan.remove();
    }
  });
});
