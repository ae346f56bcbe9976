/**
 * lvs-owner: the IPVS owner and the sync-daemon owner, run on the host, against Linux's IPVS in
 * a user-mode-linux guest (through programs/ipvs-rpc/server.mjs), checked with the guest's own
 * ipvsadm: a failed real server goes to weight 0 and back, `ipvsadm -C` is repaired, and a
 * follow-role swap leaves the right daemon running.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { virtualServerSchema } from '../../src/config/schema-virtual-server.js';
import { realServerRef } from '../../src/lvs/config-to-ipvs.js';
import { SyncDaemonOwner } from '../../src/lvs/sync-daemon-owner.js';
import type { GuestIpvsPort } from '../contract/ipvs-guest-port.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { FakeIpvsSysctls } from '../fakes/fake-ipvs-sysctls.js';
import { guestSkipReason, type Guest } from './harness/guest.js';
import { startGuestIpvs, type GuestIpvs } from './harness/guest-ipvs.js';
import { fullPass, ipvsadmRealServers, ipvsadmSave, startGuestOwner } from './harness/guest-ipvs-owner.js';

const skipReason = guestSkipReason();

const web = virtualServerSchema.parse({
  protocol: 'tcp',
  address: '192.0.2.1',
  port: 80,
  scheduler: 'wrr',
  realServers: [
    { address: '192.0.2.10', weight: 3 },
    { address: '192.0.2.11', weight: 5 },
  ],
});

describe.skipIf(skipReason !== undefined)('guest kernel: lvs owners', () => {
  let guest: Guest;
  let port: GuestIpvsPort;
  let guestIpvs: GuestIpvs;
  const log = pino({ level: 'silent' });

  beforeAll(async () => {
    guestIpvs = await startGuestIpvs();
    ({ guest, port } = guestIpvs);
    await port.reset();
  });

  afterAll(async () => {
    await guestIpvs.stop();
  });

  const rs11 = realServerRef(web, { address: '192.0.2.11', port: 80 });

  it('quiesces a failed real server to weight 0 in ipvsadm and restores it, and repairs ipvsadm -C', async () => {
    const { owner, clock } = await startGuestOwner(port, [web]);
    expect(await ipvsadmSave(guest)).toBe(
      '-A -t 192.0.2.1:80 -s wrr\n-a -t 192.0.2.1:80 -r 192.0.2.10:80 -g -w 3\n-a -t 192.0.2.1:80 -r 192.0.2.11:80 -g -w 5\n',
    );

    await owner.setVerdict(rs11, 'down');
    expect(await ipvsadmRealServers(guest, ['-t', '192.0.2.1:80'])).toContain('192.0.2.11:80 Route 0');
    await owner.setVerdict(rs11, 'up');
    expect(await ipvsadmRealServers(guest, ['-t', '192.0.2.1:80'])).toContain('192.0.2.11:80 Route 5');

    expect((await guest.run('ipvsadm -C')).code).toBe(0);
    clock.advance(500);
    await vi.waitFor(() => {
      expect(owner.stats.repairs).toBe(3);
    }, { timeout: 30_000, interval: 100 });
    await owner.stop();
    expect(await ipvsadmSave(guest)).toContain('-a -t 192.0.2.1:80 -r 192.0.2.11:80 -g -w 5');
    await port.reset();
  });

  it('repairs a weight edited and a real server deleted by hand after read-backs that handed back unchanged entries', async () => {
    const guestOwner = await startGuestOwner(port, [web]);
    const programmed = await ipvsadmSave(guest);
    // From the third read-back on, the guest's NetlinkIpvs hands back the entries it decoded
    // before (src/ipvs/unchanged-services.ts): the drift below must still be seen.
    for (let pass = 0; pass < 3; pass++) expect(await fullPass(guestOwner)).toBe(0);
    expect((await guest.run('ipvsadm -e -t 192.0.2.1:80 -r 192.0.2.10:80 -g -w 9 && ipvsadm -d -t 192.0.2.1:80 -r 192.0.2.11:80')).code).toBe(0);
    expect(await fullPass(guestOwner)).toBe(2);
    expect(await ipvsadmSave(guest)).toBe(programmed);
    expect(await fullPass(guestOwner)).toBe(0);
    await guestOwner.owner.stop();
    await port.reset();
  });

  it('swaps a follow-role sync daemon from backup to master', async () => {
    const config = { mode: 'follow-role' as const, mcastInterface: 'lo', syncid: 7, maxlen: 0, group: '224.0.0.81', port: 8848, ttl: 1, sysctls: null };
    const owner = new SyncDaemonOwner(config, 'backup', { syncDaemons: port, syncSysctls: new FakeIpvsSysctls(), clock: new FakeClock(), log });
    await owner.start();
    expect((await guest.run(['ipvsadm', '-L', '--daemon'])).stdout).toMatch(/^backup sync daemon \(mcast=lo, syncid=7/);
    await owner.setRole('master');
    const daemons = (await guest.run(['ipvsadm', '-L', '--daemon'])).stdout.trim().split('\n');
    expect(daemons).toHaveLength(1);
    expect(daemons[0]).toMatch(/^master sync daemon \(mcast=lo, syncid=7/);
    expect(owner.stats.errors).toBe(0);
    await owner.stop();
    await port.reset();
  });
});
