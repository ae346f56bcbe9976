/**
 * ipvs-contract: the IPVS contract suite against Linux's IPVS in a user-mode-linux guest.
 * One guest and one long-lived guest program (programs/ipvs-rpc/server.mjs) serve every call;
 * each test starts from an empty table with no daemons.
 */
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe } from 'vitest';
import { GuestIpvsPort } from '../contract/ipvs-guest-port.js';
import { ipvsContract } from '../contract/ipvs.contract.js';
import { guestSkipReason, startGuest, type Guest, type RunResult } from './harness/guest.js';

const skipReason = guestSkipReason();

describe.skipIf(skipReason !== undefined)('guest kernel: IPVS contract', () => {
  let guest: Guest;
  let port: GuestIpvsPort;
  let server: Promise<RunResult>;

  beforeAll(async () => {
    guest = await startGuest({ timeoutMs: 120_000 });
    const dir = await mkdtemp(join(guest.shareDir, 'ipvs-rpc-'));
    server = guest.node('test/kernel/programs/ipvs-rpc/server.mjs', [dir], { timeoutMs: 900_000 });
    port = new GuestIpvsPort(dir, server);
  });

  afterAll(async () => {
    await port.exit().catch(() => undefined);
    await server.catch(() => undefined);
    await guest.stop();
  });

  ipvsContract('Linux IPVS in the guest', async () => {
    await port.reset();
    return port;
  });
});
