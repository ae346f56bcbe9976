/**
 * The daemon's IPVS, health and sync-daemon components, wired together against the fake IPVS
 * kernel: real TCP checks against loopback servers drive the weights, the election's real
 * transitions drive the sync daemons, and a reload is applied as a minimal diff.
 */
import { createServer, type Server } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { IpvsOperation } from '../../../src/ipvs/ipvs-port.js';
import { NetlinkError } from '../../../src/netlink/netlink-error.js';
import { GenericFamilyMissingError } from '../../../src/netlink/generic-family.js';
import { type Harness, configText, createHarness, destroyHarness, startDaemon, until } from './harness.js';

// Generous timeout within the interval: under load (2 shared cores) a loopback check can take tens of ms.
const INTERVAL_MS = 200;
const FALL = 3;
const RISE = 3;
/**
 * LATENESS_SLACK_MS: checks keep a fixed cadence from their due times (check-scheduler.ts,
 * #armNext), so the first check to fail after the close may have been due a little before it and
 * merely run late, behind the test's own code or a descheduled thread; the next checks then come
 * one interval after that earlier due time. The slack covers such lateness on a loaded machine. A
 * verdict after one failure, at most one interval after the close, still falls well short of the
 * bound, and one after two failures does in three runs of four.
 */
const LATENESS_SLACK_MS = INTERVAL_MS / 4;

let h: Harness | undefined;
const servers: Server[] = [];

afterEach(async () => {
  if (h !== undefined) await destroyHarness(h);
  h = undefined;
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

/** listen opens a TCP server on loopback (port 0: any free one) that closes every connection it gets. */
async function listen(port = 0): Promise<Server> {
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject).listen(port, '127.0.0.1', resolve);
  });
  servers.push(server);
  return server;
}

function portOf(server: Server): number {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('not listening on TCP');
  return address.port;
}

async function close(server: Server): Promise<void> {
  servers.splice(servers.indexOf(server), 1);
  await new Promise((resolve) => server.close(resolve));
}

/** virtualServer is one masquerading tcp service on the VIP with a TCP check on every real server. */
function virtualServer(realServers: { port: number; weight: number }[]): string {
  return [
    'virtualServers:',
    '  - protocol: tcp',
    '    address: 192.0.2.100',
    '    port: 80',
    '    scheduler: wrr',
    `    healthCheck: { kind: tcp, intervalMs: ${INTERVAL_MS}, timeoutMs: 150, rise: ${RISE}, fall: ${FALL}, jitterPercent: 0 }`,
    '    realServers:',
    ...realServers.map((rs) => `      - { address: 127.0.0.1, port: ${rs.port}, weight: ${rs.weight}, forward: masquerade }`),
  ].join('\n');
}

/** weights reads the fake kernel's weights by real-server port. */
async function weights(harness: Harness): Promise<Record<number, number>> {
  const table = await harness.ipvs.list();
  const out: Record<number, number> = {};
  for (const service of table.services) for (const rs of service.realServers) out[rs.port] = rs.weight;
  return out;
}

function recordOperations(harness: Harness): IpvsOperation[] {
  const applied: IpvsOperation[] = [];
  const apply = harness.ipvs.apply.bind(harness.ipvs);
  harness.ipvs.apply = (operations) => {
    applied.push(...operations);
    return apply(operations);
  };
  return applied;
}

describe('Daemon with IPVS, health checks and sync daemons', () => {
  it('quiesces a real server whose TCP check fails after `fall` intervals and restores its weight after `rise`', async () => {
    const steady = await listen();
    const flapping = await listen();
    const steadyPort = portOf(steady);
    const flappingPort = portOf(flapping);
    h = await createHarness({ extra: virtualServer([{ port: steadyPort, weight: 5 }, { port: flappingPort, weight: 3 }]) });
    await startDaemon(h);
    expect(await weights(h)).toEqual({ [steadyPort]: 5, [flappingPort]: 3 });

    // Timed from before the close: a check that starts while close() is still settling fails.
    const closingAt = Date.now();
    await close(flapping);
    await until('weight 0', async () => (await weights(h!))[flappingPort] === 0);
    // Three failures in a row are needed, one interval apart (jitter 0): (fall − 1) intervals at least.
    expect(Date.now() - closingAt).toBeGreaterThanOrEqual((FALL - 1) * INTERVAL_MS - LATENESS_SLACK_MS);
    expect((await weights(h))[steadyPort]).toBe(5);
    const down = h.logLines.filter((line) => line.event === 'health.down');
    expect(down).toHaveLength(1);
    expect(down[0]).toMatchObject({ component: 'health', rs: `tcp:192.0.2.100:80 -> 127.0.0.1:${flappingPort}` });

    const reopeningAt = Date.now();
    await listen(flappingPort);
    await until('weight restored', async () => (await weights(h!))[flappingPort] === 3);
    expect(Date.now() - reopeningAt).toBeGreaterThanOrEqual((RISE - 1) * INTERVAL_MS - LATENESS_SLACK_MS);
    expect(h.logLines.filter((line) => line.event === 'health.up')).toHaveLength(1);
  });

  it('applies a reload that changes one weight as exactly one edit, keeping a down server down', async () => {
    const steady = await listen();
    const dead = await listen();
    const steadyPort = portOf(steady);
    const deadPort = portOf(dead);
    await close(dead);
    h = await createHarness({ extra: virtualServer([{ port: steadyPort, weight: 5 }, { port: deadPort, weight: 3 }]) });
    await startDaemon(h);
    await until('the dead server quiesced', async () => (await weights(h!))[deadPort] === 0);
    const applied = recordOperations(h);

    await writeFile(h.configFile, configText(h, { extra: virtualServer([{ port: steadyPort, weight: 7 }, { port: deadPort, weight: 3 }]) }));
    const outcome = await h.daemon!.reload();
    expect(outcome).toMatchObject({ ok: true, restartNeeded: [], notYetApplied: [] });
    expect(applied).toHaveLength(1);
    expect(applied[0]).toMatchObject({ kind: 'edit-real-server', realServer: { port: steadyPort, weight: 7 } });
    // The unchanged probe kept its "down": the reload did not reset it to initialState (up).
    await new Promise((resolve) => setTimeout(resolve, 3 * INTERVAL_MS));
    expect(await weights(h)).toEqual({ [steadyPort]: 7, [deadPort]: 0 });
    expect(applied).toHaveLength(1);
  });

  it('swaps the follow-role sync daemon with the election and settles as backup on stop, after the VIPs go', async () => {
    h = await createHarness({ extra: 'syncDaemon: { mode: follow-role, mcastInterface: eth0, syncid: 9 }' });
    const daemon = await startDaemon(h, { syncTickIntervalMs: 50 });
    await until('master', () => daemon.role === 'master');
    await until('master daemon', async () => (await h!.ipvs.listDaemons()).map((d) => d.state).join() === 'master');
    expect(h.timeline.filter((entry) => entry.startsWith('sync'))).toEqual(['sync start backup', 'sync stop backup', 'sync start master']);
    expect((await h.ipvs.listDaemons())[0]).toMatchObject({ mcastInterface: 'eth0', syncid: 9 });

    h.links.setCarrier('eth0', false);
    await until('fault', () => daemon.role === 'fault');
    await until('backup daemon', async () => (await h!.ipvs.listDaemons()).map((d) => d.state).join() === 'backup');
    h.links.setCarrier('eth0', true);
    await until('master again', async () => daemon.role === 'master' && (await h!.ipvs.listDaemons()).map((d) => d.state).join() === 'master');

    await daemon.stop();
    const removeAt = h.timeline.indexOf('remove 192.0.2.100');
    const settleAt = h.timeline.lastIndexOf('sync stop master');
    expect(removeAt).toBeGreaterThan(0);
    expect(settleAt).toBeGreaterThan(removeAt);
    expect(h.timeline.indexOf('STOPPING')).toBeGreaterThan(settleAt);
    // The kernel keeps the daemons after exit: the stopped director is left receiving as a backup.
    expect((await h.ipvs.listDaemons()).map((d) => d.state)).toEqual(['backup']);
  });

  it('runs both sync daemons in mode both whatever the role, and leaves them running on stop', async () => {
    h = await createHarness({ extra: 'syncDaemon: { mode: both, mcastInterface: eth0 }' });
    const daemon = await startDaemon(h);
    await until('master', () => daemon.role === 'master');
    expect((await h.ipvs.listDaemons()).map((d) => d.state).sort()).toEqual(['backup', 'master']);
    await daemon.stop();
    expect((await h.ipvs.listDaemons()).map((d) => d.state).sort()).toEqual(['backup', 'master']);
    expect(h.timeline.filter((entry) => entry.startsWith('sync stop'))).toEqual([]);
  });

  it('applies a reloaded syncDaemon section and IPVS timeouts live', async () => {
    h = await createHarness();
    const daemon = await startDaemon(h);
    await until('master', () => daemon.role === 'master');
    expect(await h.ipvs.listDaemons()).toEqual([]);
    await writeFile(h.configFile, configText(h, { extra: 'syncDaemon: { mode: follow-role, mcastInterface: eth0, syncid: 4 }\nipvs: { timeouts: { tcpSeconds: 900, tcpFinSeconds: 60, udpSeconds: 120 } }' }));
    expect(await daemon.reload()).toMatchObject({ ok: true, notYetApplied: [] });
    expect((await h.ipvs.listDaemons()).map((d) => [d.state, d.syncid])).toEqual([['master', 4]]);
    expect(await h.ipvs.getTimeouts()).toEqual({ tcpSeconds: 900, tcpFinSeconds: 60, udpSeconds: 120 });
  });

  it('starts without IPVS when the config balances nothing, and refuses with the modprobe hint when it does', async () => {
    const missing = new GenericFamilyMissingError('IPVS', new NetlinkError('resolve generic family IPVS', { errno: 2, seq: 1, requestType: 16 }));
    h = await createHarness();
    const daemon = await startDaemon(h, {}, { ipvs: { available: false, error: missing } });
    await until('master', () => daemon.role === 'master');
    expect(h.logLines.some((line) => line.event === 'ipvs.unavailable')).toBe(true);
    await destroyHarness(h);

    h = await createHarness({ extra: virtualServer([{ port: 8080, weight: 1 }]) });
    await expect(startDaemon(h, {}, { ipvs: { available: false, error: missing } })).rejects.toMatchObject({
      code: 'TANDEM_GENL_FAMILY_MISSING',
      message: expect.stringContaining('modprobe ip_vs') as unknown,
    });
  });
});
