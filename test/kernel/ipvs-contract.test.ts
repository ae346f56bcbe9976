/**
 * ipvs-contract: the IPVS contract suite against Linux's IPVS in a user-mode-linux guest.
 * One guest and one long-lived guest program (programs/ipvs-rpc/server.mjs) serve every call;
 * each test starts from an empty table with no daemons.
 */
import { afterAll, beforeAll, describe } from 'vitest';
import type { GuestIpvsPort } from '../contract/ipvs-guest-port.js';
import { ipvsContract } from '../contract/ipvs.contract.js';
import { guestSkipReason } from './harness/guest.js';
import { startGuestIpvs, type GuestIpvs } from './harness/guest-ipvs.js';

const skipReason = guestSkipReason();

describe.skipIf(skipReason !== undefined)('guest kernel: IPVS contract', () => {
  let port: GuestIpvsPort;
  let guestIpvs: GuestIpvs;

  beforeAll(async () => {
    guestIpvs = await startGuestIpvs();
    port = guestIpvs.port;
  });

  afterAll(async () => {
    await guestIpvs.stop();
  });

  ipvsContract('Linux IPVS in the guest', async () => {
    await port.reset();
    return port;
  });
});
