/**
 * Health verdicts against real servers in their own network namespaces (root): real TCP and HTTP
 * services are killed, restored, cut off and flapped; the health component's verdicts must
 * follow within interval × fall (plus the attempt's own timeout when packets are dropped) and
 * interval × rise, with the margins of helpers/health-verdicts.ts, and a flap shorter than
 * `fall` runs must not pull a server. UDP and DNS: health-verdicts-udp-dns.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { TCP_HTTP_SERVER } from './helpers/health-lab.js';
import { expectNoLeakedSockets, expectNoVerdict, expectVerdict, midInterval, useHealthLab, verdictMark } from './helpers/health-verdicts.js';

const CHECKS = { intervalMs: 200, timeoutMs: 100, rise: 2, fall: 3 };

const lab = useHealthLab({
  checks: CHECKS,
  serverScript: TCP_HTTP_SERVER,
  services: [
    { protocol: 'tcp', port: 80, check: 'kind: tcp' },
    { protocol: 'tcp', port: 8080, check: 'kind: http, path: /health' },
  ],
});

describe('health verdicts against real servers in namespaces', () => {
  it('takes a killed real server down on both its TCP and HTTP services within interval × fall, and back within interval × rise', async () => {
    const killedAt = Date.now();
    await lab().kill('rs1');
    await expectVerdict(lab(), lab().ref('rs1', 80), 'down', killedAt);
    await expectVerdict(lab(), lab().ref('rs1', 8080), 'down', killedAt);
    expectNoVerdict(lab(), [lab().ref('rs2', 80), lab().ref('rs2', 8080)]);

    await lab().startServer('rs1');
    const restoredAt = Date.now();
    for (const port of [80, 8080]) await expectVerdict(lab(), lab().ref('rs1', port), 'up', restoredAt);
  });

  it('keeps a real server up through a flap shorter than `fall` runs, and takes it down when the outage lasts', async () => {
    const flapMark = verdictMark(lab());
    // Closed for 1.5 intervals: at most two runs fail, one short of fall = 3.
    await lab().setListening('rs2', false);
    await new Promise((resolve) => setTimeout(resolve, 1.5 * CHECKS.intervalMs));
    await lab().setListening('rs2', true);
    await new Promise((resolve) => setTimeout(resolve, 3 * CHECKS.intervalMs));
    expectNoVerdict(lab(), [lab().ref('rs2', 80), lab().ref('rs2', 8080)], flapMark);

    const closedAt = Date.now();
    await lab().setListening('rs2', false);
    await expectVerdict(lab(), lab().ref('rs2', 80), 'down', closedAt);
    await midInterval(lab());
    const reopenedAt = Date.now();
    await lab().setListening('rs2', true);
    await expectVerdict(lab(), lab().ref('rs2', 80), 'up', reopenedAt);
    expect(lab().verdictsFor(lab().ref('rs1', 80)).slice(-1)).toEqual([expect.objectContaining({ verdict: 'up' })]);
  });

  it('times a silent real server out (link down: packets dropped, no refusal) within interval × fall + timeout', async () => {
    const cutAt = Date.now();
    lab().setLink('rs1', false);
    await expectVerdict(lab(), lab().ref('rs1', 80), 'down', cutAt, CHECKS.timeoutMs);
    await midInterval(lab());
    const restoredAt = Date.now();
    lab().setLink('rs1', true);
    await expectVerdict(lab(), lab().ref('rs1', 80), 'up', restoredAt, CHECKS.timeoutMs);
  });

  it('leaves no socket behind after the refused and timed-out attempts above', async () => {
    // Two real servers, a tcp and an http probe each, one socket per attempt (in flight, or kept by the tcp prober for reuse).
    await expectNoLeakedSockets(lab(), 2 * 2);
  });
});
