/**
 * Health verdicts against real servers in their own network namespaces (root): real TCP and HTTP
 * services are killed, restored, cut off and flapped; the health component's verdicts must
 * follow within interval × fall (plus the attempt's own timeout when packets are dropped) and
 * interval × rise, and a flap shorter than `fall` runs must not pull a server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HealthLab, refOf } from './lab/health-lab.js';

const CHECKS = { intervalMs: 200, timeoutMs: 100, rise: 2, fall: 3 };
/** SLACK_MS covers process scheduling on a shared 2-core machine; the windows themselves are the checks' own. */
const SLACK_MS = 150;

async function waitFor(subject: HealthLab, ref: string, verdict: 'up' | 'down', sinceMs: number, timeoutMs = 5000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const line = subject.verdictsFor(ref).find((entry) => entry.atMs >= sinceMs && entry.verdict === verdict);
    if (line !== undefined) return line.atMs - sinceMs;
    if (Date.now() > deadline) throw new Error(`no ${verdict} verdict for ${ref} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

let running: HealthLab | undefined;

/** lab is the lab beforeAll built. */
function lab(): HealthLab {
  if (running === undefined) throw new Error('the health lab did not start');
  return running;
}

beforeAll(async () => {
  running = await HealthLab.create(CHECKS);
}, 60_000);

afterAll(async () => {
  await running?.destroy();
});

describe('health verdicts against real servers in namespaces', () => {
  it('takes a killed real server down on both its TCP and HTTP services within interval × fall, and back within interval × rise', async () => {
    const killedAt = Date.now();
    await lab().kill('rs1');
    const tcpDownMs = await waitFor(lab(), refOf('rs1', 80), 'down', killedAt);
    const httpDownMs = await waitFor(lab(), refOf('rs1', 8080), 'down', killedAt);
    for (const ms of [tcpDownMs, httpDownMs]) {
      expect(ms).toBeGreaterThanOrEqual((CHECKS.fall - 1) * CHECKS.intervalMs);
      expect(ms).toBeLessThanOrEqual(CHECKS.fall * CHECKS.intervalMs + SLACK_MS);
    }
    expect(lab().verdictsFor(refOf('rs2', 80))).toEqual([]);
    expect(lab().verdictsFor(refOf('rs2', 8080))).toEqual([]);

    await lab().startServer('rs1');
    const restoredAt = Date.now();
    for (const port of [80, 8080] as const) {
      const upMs = await waitFor(lab(), refOf('rs1', port), 'up', restoredAt);
      expect(upMs).toBeGreaterThanOrEqual((CHECKS.rise - 1) * CHECKS.intervalMs);
      expect(upMs).toBeLessThanOrEqual(CHECKS.rise * CHECKS.intervalMs + SLACK_MS);
    }
  });

  it('keeps a real server up through a flap shorter than `fall` runs, and takes it down when the outage lasts', async () => {
    const before = lab().verdicts.length;
    // Closed for 1.5 intervals: at most two runs fail, one short of fall = 3.
    await lab().setListening('rs2', false);
    await new Promise((resolve) => setTimeout(resolve, 1.5 * CHECKS.intervalMs));
    await lab().setListening('rs2', true);
    await new Promise((resolve) => setTimeout(resolve, 3 * CHECKS.intervalMs));
    expect(lab().verdicts.slice(before).filter((line) => line.rs.includes('198.51.100.12'))).toEqual([]);

    const closedAt = Date.now();
    await lab().setListening('rs2', false);
    const downMs = await waitFor(lab(), refOf('rs2', 80), 'down', closedAt);
    expect(downMs).toBeLessThanOrEqual(CHECKS.fall * CHECKS.intervalMs + SLACK_MS);
    const reopenedAt = Date.now();
    await lab().setListening('rs2', true);
    const upMs = await waitFor(lab(), refOf('rs2', 80), 'up', reopenedAt);
    expect(upMs).toBeLessThanOrEqual(CHECKS.rise * CHECKS.intervalMs + SLACK_MS);
    expect(lab().verdictsFor(refOf('rs1', 80)).slice(-1)).toEqual([expect.objectContaining({ verdict: 'up' })]);
  });

  it('times a silent real server out (link down: packets dropped, no refusal) within interval × fall + timeout', async () => {
    const cutAt = Date.now();
    lab().setLink('rs1', false);
    const downMs = await waitFor(lab(), refOf('rs1', 80), 'down', cutAt);
    expect(downMs).toBeLessThanOrEqual(CHECKS.fall * CHECKS.intervalMs + CHECKS.timeoutMs + SLACK_MS);
    const restoredAt = Date.now();
    lab().setLink('rs1', true);
    const upMs = await waitFor(lab(), refOf('rs1', 80), 'up', restoredAt);
    expect(upMs).toBeLessThanOrEqual(CHECKS.rise * CHECKS.intervalMs + CHECKS.timeoutMs + SLACK_MS);
  });
});
