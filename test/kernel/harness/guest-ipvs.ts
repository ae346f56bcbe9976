/**
 * guest-ipvs: one guest with the IPVS RPC program running in it, and the host-side port that
 * talks to it (test/contract/ipvs-guest-port.ts). The tier's IPVS test files share this set-up.
 */
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { GuestIpvsPort } from '../../contract/ipvs-guest-port.js';
import { startGuest, type Guest } from './guest.js';

/** GuestIpvs is a booted guest, its IPVS port, and how to take both down. */
export interface GuestIpvs {
  readonly guest: Guest;
  readonly port: GuestIpvsPort;
  /** stop ends the guest program, then the guest; safe after a failed test. */
  stop(): Promise<void>;
}

/** startGuestIpvs boots a guest and starts programs/ipvs-rpc/server.mjs in it. */
export async function startGuestIpvs(): Promise<GuestIpvs> {
  const guest = await startGuest({ timeoutMs: 120_000 });
  const dir = await mkdtemp(join(guest.shareDir, 'ipvs-rpc-'));
  const server = guest.node('test/kernel/programs/ipvs-rpc/server.mjs', [dir], { timeoutMs: 900_000 });
  const port = new GuestIpvsPort(dir, server);
  return {
    guest,
    port,
    stop: async () => {
      await port.exit().catch(() => undefined);
      await server.catch(() => undefined);
      await guest.stop();
    },
  };
}
