/**
 * lvs-health-modes: what health verdicts do to Linux's IPVS table, read back with the guest's own
 * ipvsadm. The IPVS owner runs on the host against the guest kernel (harness/guest-ipvs.ts) and
 * gets its verdicts the way the daemon's health component hands them over (IpvsOwner.setVerdict),
 * so each change goes through the owner's verdict fast path:
 * - onFailure "remove": a failed real server leaves `ipvsadm -Ln` and comes back on recovery
 *   with its configured weight and forwarding method;
 * - the sorry server: in the table while every real server is down (quorum lost), with the real
 *   servers quiesced or removed per onFailure, and gone again when one recovers;
 * - quorum with hysteresis: the sorry server takes over below minWeight − hysteresis and hands
 *   back only at minWeight + hysteresis.
 * After each sequence a whole-table pass must find nothing to change, so the fast path left the
 * kernel exactly where the full reconcile would have.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { virtualServerSchema } from '../../src/config/schema-virtual-server.js';
import type { VirtualServer } from '../../src/config/types.js';
import { realServerRef } from '../../src/lvs/config-to-ipvs.js';
import type { Verdict } from '../../src/lvs/desired-table.js';
import type { GuestIpvsPort } from '../contract/ipvs-guest-port.js';
import { guestSkipReason, type Guest } from './harness/guest.js';
import { startGuestIpvs, type GuestIpvs } from './harness/guest-ipvs.js';
import { fullPass, ipvsadmRealServers, ipvsadmSave, startGuestOwner, type GuestOwner } from './harness/guest-ipvs-owner.js';

const skipReason = guestSkipReason();

/** Remove mode, real servers with three different weights and two forwarding methods. */
const removing = virtualServerSchema.parse({
  protocol: 'tcp',
  address: '192.0.2.2',
  port: 80,
  scheduler: 'wrr',
  onFailure: 'remove',
  realServers: [
    { address: '10.0.0.10', port: 8080, forward: 'masquerade', weight: 3 },
    { address: '10.0.0.11', port: 8081, forward: 'masquerade', weight: 5 },
    { address: '192.0.2.20', weight: 7 },
  ],
});

/** A sorry server (masquerade to another port) with the default quorum: it takes over when all are down. */
const sorry = (onFailure: 'quiesce' | 'remove', address: string): VirtualServer =>
  virtualServerSchema.parse({
    protocol: 'tcp',
    address,
    port: 80,
    scheduler: 'wrr',
    onFailure,
    sorryServer: { address: '10.0.0.99', port: 8080, forward: 'masquerade', weight: 2 },
    realServers: [
      { address: '192.0.2.30', weight: 3 },
      { address: '192.0.2.31', weight: 4 },
    ],
  });

/** Quorum 8 ± 1 of a total weight of 12. */
const quorate = virtualServerSchema.parse({
  protocol: 'tcp',
  address: '192.0.2.4',
  port: 80,
  scheduler: 'wrr',
  quorum: { minWeight: 8, hysteresis: 1 },
  sorryServer: { address: '192.0.2.99', weight: 1 },
  realServers: [
    { address: '192.0.2.40', weight: 3 },
    { address: '192.0.2.41', weight: 5 },
    { address: '192.0.2.42', weight: 4 },
  ],
});

describe.skipIf(skipReason !== undefined)('guest kernel: remove mode, sorry server and quorum', () => {
  let guest: Guest;
  let port: GuestIpvsPort;
  let guestIpvs: GuestIpvs;

  beforeAll(async () => {
    guestIpvs = await startGuestIpvs();
    ({ guest, port } = guestIpvs);
  });

  beforeEach(async () => {
    await port.reset();
  });

  afterAll(async () => {
    await guestIpvs.stop();
  });

  /** verdict gives `address`'s real server of `vs` a verdict and waits for the owner's fast pass. */
  const verdict = (started: GuestOwner, vs: VirtualServer, address: string, value: Verdict): Promise<void> => {
    const rs = vs.realServers.find((candidate) => candidate.address === address);
    if (rs === undefined) throw new Error(`${address} is not a real server of ${vs.name}`);
    return started.owner.setVerdict(realServerRef(vs, rs), value);
  };
  /** listed is `ipvsadm -Ln` of one of this file's tcp services. */
  const listed = (vs: VirtualServer): Promise<string[]> => {
    if (vs.protocol !== 'tcp') throw new Error(`${vs.name} is not one of this file's tcp services`);
    return ipvsadmRealServers(guest, ['-t', `${vs.address}:${vs.port}`]);
  };

  /** finish checks that a full pass changes nothing and that the kernel refused nothing, then stops the owner. */
  const finish = async (started: GuestOwner): Promise<void> => {
    expect(await fullPass(started)).toBe(0);
    expect(started.owner.stats).toMatchObject({ refused: 0, errors: 0 });
    await started.owner.stop();
  };

  it('removes a failed real server from ipvsadm and adds it back with its weight and forwarding method', async () => {
    const started = await startGuestOwner(port, [removing]);
    const programmed = await ipvsadmSave(guest);
    expect(programmed).toBe(
      [
        '-A -t 192.0.2.2:80 -s wrr',
        '-a -t 192.0.2.2:80 -r 10.0.0.10:8080 -m -w 3',
        '-a -t 192.0.2.2:80 -r 10.0.0.11:8081 -m -w 5',
        '-a -t 192.0.2.2:80 -r 192.0.2.20:80 -g -w 7',
        '',
      ].join('\n'),
    );

    await verdict(started, removing, '10.0.0.11', 'down');
    expect(await listed(removing)).toEqual(['10.0.0.10:8080 Masq 3', '192.0.2.20:80 Route 7']);
    await verdict(started, removing, '192.0.2.20', 'down');
    expect(await listed(removing)).toEqual(['10.0.0.10:8080 Masq 3']);
    await verdict(started, removing, '10.0.0.11', 'up');
    expect(await listed(removing)).toEqual(['10.0.0.10:8080 Masq 3', '10.0.0.11:8081 Masq 5']);

    // Every real server down and no sorry server: the service stays, empty.
    await verdict(started, removing, '10.0.0.10', 'down');
    await verdict(started, removing, '10.0.0.11', 'down');
    expect(await ipvsadmSave(guest)).toBe('-A -t 192.0.2.2:80 -s wrr\n');

    for (const address of ['10.0.0.10', '10.0.0.11', '192.0.2.20']) await verdict(started, removing, address, 'up');
    expect(await ipvsadmSave(guest)).toBe(programmed);
    await finish(started);
  });

  it('puts the sorry server in while every real server is down, next to the quiesced ones, and takes it out on a recovery', async () => {
    const vs = sorry('quiesce', '192.0.2.3');
    const started = await startGuestOwner(port, [vs]);
    expect(await listed(vs)).toEqual(['192.0.2.30:80 Route 3', '192.0.2.31:80 Route 4']);

    await verdict(started, vs, '192.0.2.30', 'down');
    expect(await listed(vs)).toEqual(['192.0.2.30:80 Route 0', '192.0.2.31:80 Route 4']);
    await verdict(started, vs, '192.0.2.31', 'down');
    expect(await listed(vs)).toEqual(['10.0.0.99:8080 Masq 2', '192.0.2.30:80 Route 0', '192.0.2.31:80 Route 0']);
    expect(await ipvsadmSave(guest)).toContain('-a -t 192.0.2.3:80 -r 10.0.0.99:8080 -m -w 2\n');

    await verdict(started, vs, '192.0.2.31', 'up');
    expect(await listed(vs)).toEqual(['192.0.2.30:80 Route 0', '192.0.2.31:80 Route 4']);
    expect(await ipvsadmSave(guest)).not.toContain('10.0.0.99');
    await finish(started);
  });

  it('leaves only the sorry server while every real server is down in remove mode', async () => {
    const vs = sorry('remove', '192.0.2.5');
    const started = await startGuestOwner(port, [vs]);
    await verdict(started, vs, '192.0.2.30', 'down');
    expect(await listed(vs)).toEqual(['192.0.2.31:80 Route 4']);
    await verdict(started, vs, '192.0.2.31', 'down');
    expect(await ipvsadmSave(guest)).toBe('-A -t 192.0.2.5:80 -s wrr\n-a -t 192.0.2.5:80 -r 10.0.0.99:8080 -m -w 2\n');

    await verdict(started, vs, '192.0.2.30', 'up');
    expect(await ipvsadmSave(guest)).toBe('-A -t 192.0.2.5:80 -s wrr\n-a -t 192.0.2.5:80 -r 192.0.2.30:80 -g -w 3\n');
    await finish(started);
  });

  it('switches to the sorry server below quorum − hysteresis and back only at quorum + hysteresis', async () => {
    const started = await startGuestOwner(port, [quorate]);
    const serving = ['192.0.2.40:80 Route 3', '192.0.2.41:80 Route 5', '192.0.2.42:80 Route 4'];
    const sorryOnly = ['192.0.2.40:80 Route 0', '192.0.2.41:80 Route 0', '192.0.2.42:80 Route 0', '192.0.2.99:80 Route 1'];
    expect(await listed(quorate)).toEqual(serving);

    // Live weight 8: not below 8 − 1, so the quorum holds.
    await verdict(started, quorate, '192.0.2.42', 'down');
    expect(await listed(quorate)).toEqual(['192.0.2.40:80 Route 3', '192.0.2.41:80 Route 5', '192.0.2.42:80 Route 0']);
    // Live weight 5 < 7: lost; every real server is quiesced, up or not, and the sorry server serves.
    await verdict(started, quorate, '192.0.2.40', 'down');
    expect(await listed(quorate)).toEqual(sorryOnly);
    // Live weight 8 again, below 8 + 1: still lost.
    await verdict(started, quorate, '192.0.2.40', 'up');
    expect(await listed(quorate)).toEqual(sorryOnly);
    // Live weight 12 ≥ 9: regained, the configured weights return and the sorry server leaves.
    await verdict(started, quorate, '192.0.2.42', 'up');
    expect(await listed(quorate)).toEqual(serving);
    await finish(started);
  });
});
