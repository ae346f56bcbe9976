import { describe, expect, it } from 'vitest';
import { realServerRef } from '../../../src/lvs/config-to-ipvs.js';
import { virtualServer, web } from '../../unit/lvs/virtual-server-fixture.js';
import { harness, ipvsConfig, settle, weights } from './ipvs-owner-harness.js';

describe('IpvsOwner against the fake kernel', () => {
  it('programs the table at start, then a verdict costs exactly one edit', async () => {
    const vs = web();
    const { kernel, batches, owner } = harness([vs]);
    await owner.start();
    expect(await weights(kernel)).toEqual({ '10.0.0.1': 1, '10.0.0.2': 2, '10.0.0.3': 3 });
    batches.length = 0;

    await owner.setVerdict(realServerRef(vs, { address: '10.0.0.2', port: 80 }), 'down');
    expect(batches).toMatchObject([[{ kind: 'edit-real-server', realServer: { address: '10.0.0.2', weight: 0 } }]]);
    expect(batches[0]).toHaveLength(1);
    expect(await weights(kernel)).toEqual({ '10.0.0.1': 1, '10.0.0.2': 0, '10.0.0.3': 3 });

    await owner.setVerdict(realServerRef(vs, { address: '10.0.0.2', port: 80 }), 'up');
    expect(batches).toHaveLength(2);
    expect(await weights(kernel)).toEqual({ '10.0.0.1': 1, '10.0.0.2': 2, '10.0.0.3': 3 });
    expect(owner.stats.repairs).toBe(0);
    await owner.stop();
  });

  it('repairs `ipvsadm -C` on the next tick and counts it as drift', async () => {
    const { kernel, clock, logs, owner } = harness([web()]);
    await owner.start();
    await kernel.flush();
    clock.advance(499);
    await settle();
    expect((await kernel.list()).services).toEqual([]);
    clock.advance(1);
    await settle();
    expect(await weights(kernel)).toEqual({ '10.0.0.1': 1, '10.0.0.2': 2, '10.0.0.3': 3 });
    expect(owner.stats.repairs).toBe(4);
    expect(logs.filter((line) => line['event'] === 'ipvs.repair')).toHaveLength(4);
    await owner.stop();
  });

  it('sums up a large repair in one info line instead of one per operation', async () => {
    const big = virtualServer({
      protocol: 'tcp',
      address: '198.51.100.10',
      port: 80,
      realServers: Array.from({ length: 30 }, (_, i) => ({ address: `10.0.1.${i + 1}` })),
    });
    const { kernel, clock, logs, owner } = harness([big]);
    await owner.start();
    await kernel.flush();
    logs.length = 0;
    clock.advance(500);
    await settle();
    expect(owner.stats.repairs).toBe(31);
    expect(logs.filter((line) => line['level'] === 30)).toEqual([expect.objectContaining({ event: 'ipvs.applied', operations: 31, refused: 0, drift: true })]);
    expect(logs.filter((line) => line['event'] === 'ipvs.repair')).toHaveLength(31);
    await owner.stop();
  });

  it('repairs a real server deleted by hand within one tick', async () => {
    const vs = web();
    const { kernel, clock, owner } = harness([vs]);
    await owner.start();
    await kernel.deleteRealServer({ protocol: 'tcp', family: 4, address: '198.51.100.10', port: 80 }, { address: '10.0.0.3', port: 80 });
    clock.advance(500);
    await settle();
    expect(await weights(kernel)).toMatchObject({ '10.0.0.3': 3 });
    expect(owner.stats.repairs).toBe(1);
    await owner.stop();
  });

  it('keeps retrying a refused operation without calling it drift', async () => {
    const vs = virtualServer({ protocol: 'tcp', address: '198.51.100.10', port: 80, scheduler: 'twos', realServers: [{ address: '10.0.0.1' }] });
    const { kernel, clock, logs, owner } = harness([vs]);
    await owner.start();
    // The fake kernel, like Debian's 6.1, has no ip_vs_twos module: ENOENT for the service, ESRCH for its real server.
    expect(owner.stats.refused).toBe(2);
    clock.advance(500);
    await settle();
    expect(owner.stats.refused).toBe(4);
    expect(owner.stats.repairs).toBe(0);
    expect((await kernel.list()).services).toEqual([]);
    const refusals = logs.filter((line) => line['event'] === 'ipvs.add-service.refused' && line['vs'] === 'tcp:198.51.100.10:80');
    // Logged as an error once, then at debug while it keeps repeating.
    expect(refusals.map((line) => line['level'])).toEqual([50, 20]);
    await owner.stop();
  });

  it('leaves unmanaged services alone, purges them when asked, and deletes services a reload drops', async () => {
    const vs = web();
    const other = virtualServer({ protocol: 'udp', address: '198.51.100.10', port: 53, realServers: [{ address: '10.0.0.5' }] });
    const { kernel, owner } = harness([vs, other]);
    await kernel.addVirtualService({ protocol: 'tcp', family: 4, address: '198.51.100.77', port: 22, scheduler: 'rr', onePacket: false, schedulerFlags: [] });
    await owner.start();
    expect((await kernel.list()).services).toHaveLength(3);

    await owner.update({ virtualServers: [vs], ipvs: ipvsConfig });
    expect((await kernel.list()).services.map((s) => s.protocol === 'fwmark' ? s.fwmark : s.port).sort()).toEqual([22, 80]);

    await owner.update({ virtualServers: [vs], ipvs: { ...ipvsConfig, purgeUnmanaged: true } });
    expect((await kernel.list()).services.map((s) => (s.protocol === 'fwmark' ? s.fwmark : s.port))).toEqual([80]);
    await owner.stop();
  });

  it('brings in the sorry server when the last real server fails, and reports the quorum', async () => {
    const vs = web({ sorryServer: { address: '10.0.9.9', weight: 5 } });
    const { kernel, logs, owner } = harness([vs]);
    await owner.start();
    for (const address of ['10.0.0.1', '10.0.0.2', '10.0.0.3']) await owner.setVerdict(realServerRef(vs, { address, port: 80 }), 'down');
    expect(await weights(kernel)).toEqual({ '10.0.0.1': 0, '10.0.0.2': 0, '10.0.0.3': 0, '10.0.9.9': 5 });
    expect(owner.quorum.get('tcp:198.51.100.10:80')).toBe(false);
    expect(logs.some((line) => line['event'] === 'ipvs.quorum.lost')).toBe(true);
    await owner.setVerdict(realServerRef(vs, { address: '10.0.0.1', port: 80 }), 'up');
    expect(await weights(kernel)).toEqual({ '10.0.0.1': 1, '10.0.0.2': 0, '10.0.0.3': 0 });
    await owner.stop();
  });

  it('drains and undrains a real server', async () => {
    const vs = web();
    const { kernel, owner } = harness([vs]);
    await owner.start();
    const ref = realServerRef(vs, { address: '10.0.0.1', port: 80 });
    await owner.drain(ref);
    expect(await weights(kernel)).toMatchObject({ '10.0.0.1': 0 });
    await owner.undrain(ref);
    expect(await weights(kernel)).toMatchObject({ '10.0.0.1': 1 });
    await owner.stop();
  });

  it('sets the timeouts at start and again only when a reload changes them', async () => {
    const timeouts = { tcpSeconds: 7200, tcpFinSeconds: 0, udpSeconds: 60 };
    const { kernel, clock, owner } = harness([web()], { timeouts, purgeUnmanaged: false });
    let sets = 0;
    const setTimeouts = kernel.setTimeouts.bind(kernel);
    kernel.setTimeouts = (value) => {
      sets++;
      return setTimeouts(value);
    };
    await owner.start();
    expect(await kernel.getTimeouts()).toEqual({ tcpSeconds: 7200, tcpFinSeconds: 120, udpSeconds: 60 });
    clock.advance(1000);
    await settle();
    await owner.update({ virtualServers: [web()], ipvs: { timeouts, purgeUnmanaged: false } });
    expect(sets).toBe(1);
    await owner.update({ virtualServers: [web()], ipvs: { timeouts: { ...timeouts, udpSeconds: 30 }, purgeUnmanaged: false } });
    expect(sets).toBe(2);
    expect((await kernel.getTimeouts()).udpSeconds).toBe(30);
    await owner.stop();
  });
});
