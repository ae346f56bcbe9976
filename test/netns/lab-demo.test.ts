/**
 * lab-demo: `npm run lab` (scripts/lab/run.ts) end to end. It must tell the story in order, exit
 * 0, and leave none of its namespaces and not its temp dir behind.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);

/** STORY is the narrative's milestones, in the order the script must print them. */
const STORY = [
  /alpha holds both VIPs after [\d.]+ s/,
  /client → 192\.0\.2\.100:8080 answered by alpha; client → \[2001:db8::100\] reached alpha/,
  /beta took the VIP \d+ ms after the kill/,
  /client answered by beta \d+ ms after the kill/,
  /alpha preempted: it alone holds the VIPs/,
  /alpha exited 0; the VIPs are on beta \/ beta; client answered by beta \d+ ms after SIGTERM/,
  /client-visible outage of the handover: \d+ ms/,
  /lab removed\. every step held\./,
];

it('npm run lab: alpha elected, beta takes over on SIGKILL, alpha preempts back, SIGTERM hands over; exit 0, nothing left', async () => {
  const demo = run('node', ['--import', 'tsx', 'scripts/lab/run.ts'], { timeout: 150_000 });
  const pid = demo.child.pid;
  // A non-zero exit rejects with the output attached, so a failed step shows in the test's error.
  const { stdout } = await demo;
  let from = 0;
  for (const milestone of STORY) {
    const at = stdout.slice(from).search(milestone);
    expect(at, `${String(milestone)}, in order, in:\n${stdout}`).toBeGreaterThanOrEqual(0);
    from += at;
  }
  // The lab names its namespaces tandem-<label>-<pid>-<n> after the process that made them.
  expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain(`-${String(pid)}-`);
  const dir = /config: (\S+)\/tandem\.yaml/.exec(stdout)?.[1];
  expect(dir).toMatch(/tandem-lab-/);
  expect(existsSync(dir ?? '')).toBe(false);
}, 180_000);
