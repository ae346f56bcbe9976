/**
 * The daemon's wiring against the fake kernel and a real election thread on loopback UDP. The
 * peer is silent (nothing listens at its address), so this node must become master on its own.
 */
import { createSocket } from 'node:dgram';
import { writeFile } from 'node:fs/promises';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Daemon } from '../../../src/daemon/daemon.js';
import { systemMonotonicClock } from '../../../src/election-runtime/monotonic-clock.js';
import type { NotifyPort } from '../../../src/kernel/ports.js';
import { type Harness, configText, createHarness, destroyHarness, harnessPorts, startDaemon as startWith, until, vipsOn } from './harness.js';

let h: Harness;
let port: number;

beforeEach(async () => {
  h = await createHarness();
  port = h.port;
});

afterEach(async () => {
  await destroyHarness(h);
});

function startDaemon(): Promise<Daemon> {
  return startWith(h);
}

describe('Daemon', () => {
  it('becomes master with a silent peer, holds and announces the VIP, and stops in the written order', async () => {
    const daemon = await startDaemon();
    expect(h.timeline[0]).toMatch(/^READY role: /);
    await until('master', () => daemon.role === 'master');
    await until('the VIP', () => daemon.holdingVips && h.announcer.sent.length >= 2);
    await until('the VIP', async () => (await vipsOn(h)).length === 1);
    expect(await vipsOn(h)).toEqual(['192.0.2.100/24']);
    expect(h.announcer.sent.every((a) => a.vip === '192.0.2.100' && a.target.mac === '02:00:00:00:00:01')).toBe(true);
    // One burst of `count: 2`: the core's announce after addVips must not restart the burst.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(h.announcer.sent).toHaveLength(2);
    expect(h.timeline).toContain('STATUS role: master; VIPs not held');
    await until('a watchdog ping', () => h.timeline.includes('WATCHDOG'));

    const status = await daemon.electionStatus();
    expect(status.state).toBe('master');
    expect(status.counters.advertsSent).toBeGreaterThan(0);

    await daemon.stop();
    expect(await vipsOn(h)).toEqual([]);
    // No successor answered (the peer is silent): the handover timed out, and the VIP goes at once.
    expect(h.logLines.filter((line) => line.event === 'election.transition').at(-1)).toMatchObject({ from: 'master', to: 'init', reason: 'handover-timeout' });
    expect(h.logLines.find((line) => line.event === 'vip.release')).toMatchObject({ reason: 'step-down', releaseDelayMs: 0 });
    const removeAt = h.timeline.indexOf('remove 192.0.2.100');
    expect(removeAt).toBeGreaterThan(0);
    expect(h.timeline.indexOf('STOPPING')).toBeGreaterThan(removeAt);
    expect(h.timeline.at(-1)).toBe('STOPPING');
    expect(await daemon.exited).toEqual({ code: 0 });

    const transitions = h.logLines.filter((line) => line.event === 'election.transition');
    expect(transitions.map((line) => line.to)).toContain('master');
    expect(transitions.every((line) => line.component === 'election')).toBe(true);
  });

  it('enters fault when a tracked interface loses carrier and takes the VIP back when it returns', async () => {
    const daemon = await startDaemon();
    await until('the VIP', () => daemon.holdingVips);
    h.links.setCarrier('eth0', false);
    await until('fault', () => daemon.role === 'fault');
    await until('VIP released', () => !daemon.holdingVips);
    expect(h.logLines.find((line) => line.event === 'vip.release')).toMatchObject({ reason: 'step-down', releaseDelayMs: 0 });
    await until('VIP removed', async () => (await vipsOn(h)).length === 0);
    h.links.setCarrier('eth0', true);
    await until('master again', () => daemon.role === 'master' && daemon.holdingVips);
    await until('the VIP back', async () => (await vipsOn(h)).length === 1);
    expect(await vipsOn(h)).toEqual(['192.0.2.100/24']);
  });

  it('keeps running on a bad reload, logging every issue with its position, and applies a good one live', async () => {
    const daemon = await startDaemon();
    await until('the VIP', () => daemon.holdingVips && h.announcer.sent.length > 0);

    await writeFile(h.configFile, `${configText(h)}bogusKey: 1\nelection: {}\n`);
    const bad = await daemon.reload();
    expect(bad.ok).toBe(false);
    const issueLines = h.logLines.filter((line) => line.event === 'config.reload.issue');
    expect(issueLines.length).toBeGreaterThanOrEqual(1);
    expect(String(issueLines[0]?.issue)).toMatch(new RegExp(`^${h.configFile}:\\d+:\\d+: `));
    expect(daemon.role).toBe('master');
    expect(await vipsOn(h)).toEqual(['192.0.2.100/24']);
    // A watchdog ping may land between the two under load; only their order matters.
    expect(h.timeline.filter((entry) => entry !== 'WATCHDOG').slice(-2)).toEqual(['RELOADING', 'READY role: master; VIPs held']);

    await writeFile(h.configFile, configText(h, { vips: ['192.0.2.100/24', '192.0.2.101/24'], priority: 150 }));
    const good = await daemon.reload();
    expect(good).toMatchObject({ ok: true });
    expect(good.ok && good.restartNeeded).toEqual(expect.arrayContaining(['nodes[alpha]', 'vips (in the election config digest)']));
    expect((await vipsOn(h)).sort()).toEqual(['192.0.2.100/24', '192.0.2.101/24']);
    const restartLines = h.logLines.filter((line) => line.event === 'config.reload.restart-needed');
    expect(restartLines.map((line) => line.path)).toContain('nodes[alpha]');
  });

  it('undoes a failed start (election port taken): no timer or subscription is left behind', async () => {
    const squatter = createSocket('udp4');
    await new Promise<void>((resolve) => squatter.bind(port, '127.0.0.1', resolve));
    const real = systemMonotonicClock();
    const pending = new Set<object>();
    const clock = {
      get nowMs() { return real.nowMs; },
      schedule(afterMs: number, run: () => void) {
        const token = {};
        pending.add(token);
        const timer = real.schedule(afterMs, () => { pending.delete(token); run(); });
        return { cancel: () => { pending.delete(token); timer.cancel(); } };
      },
    };
    const log = pino({ level: 'silent' });
    const notify: NotifyPort = { ready: () => undefined, reloading: () => undefined, stopping: () => undefined, watchdog: () => undefined, status: () => undefined };
    try {
      await expect(
        Daemon.start({ configFile: h.configFile, node: 'alpha', hostname: 'test-host', verifyIntervalMs: 50 }, harnessPorts(h, { notify, clock, log })),
      ).rejects.toMatchObject({ code: 'TANDEM_ELECTION_BIND' });
      expect(pending.size).toBe(0);
      expect(await vipsOn(h)).toEqual([]);
    } finally {
      await new Promise<void>((resolve) => squatter.close(() => { resolve(); }));
    }
  });
});
