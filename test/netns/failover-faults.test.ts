/**
 * The VIP moves on every fault issue 4 lists, for an IPv4 and an IPv6 VIP at once: SIGKILL and
 * SIGTERM of the master's daemon, link down on the master's own interface, and link down on the
 * bridge side of its link. After each, the client reaches beta over TCP on both VIPs and its
 * neighbour entries (ARP and NDP, updated by gratuitous ARP and unsolicited NA with Override)
 * point at beta; then the fault is undone and alpha (priority 200) takes the VIPs back.
 */
import { describe, expect, it } from 'vitest';
import { RESPONDER_PORT, VIP, killAndWait, waitFor, type DirectorName, type Lab } from './lab/lab.js';
import { RESPONDER6_PORT, VIP6, clientNeighbour, connectOnce, holdsAddress, macOf, useDualStackLab } from './failover-helpers.js';

const ADVERT_INTERVAL_MS = 100;
const PREEMPT_DELAY_MS = 2000;
/** Start-up of a daemon from source (tsx) takes a few seconds on this machine. */
const START_BOUND_MS = 30_000;
/** masterDown is 3 × 100 + skew ≈ 360 ms; generous because the two cores are shared. */
const FAILOVER_BOUND_MS = 3_000;
/** The client reaches the new master once its announcement arrived; a second covers a slow `node -e`. */
const CLIENT_BOUND_MS = 5_000;

const requireLab = useDualStackLab({ advertIntervalMs: ADVERT_INTERVAL_MS, preemptDelayMs: PREEMPT_DELAY_MS });

function holdsBoth(l: Lab, name: DirectorName): boolean {
  return holdsAddress(l, name, VIP) && holdsAddress(l, name, VIP6);
}

/** reachedOnBoth waits until `name` answers the client on both VIPs, and its entries point at it. */
async function reachedOnBoth(l: Lab, name: DirectorName): Promise<void> {
  await waitFor(`${name} to answer the client on ${VIP}`, () => connectOnce(l, VIP, RESPONDER_PORT) === name, CLIENT_BOUND_MS);
  await waitFor(`${name} to answer the client on ${VIP6}`, () => connectOnce(l, VIP6, RESPONDER6_PORT) === name, CLIENT_BOUND_MS);
  const mac = macOf(l, name);
  expect(clientNeighbour(l, VIP).mac).toBe(mac);
  expect(clientNeighbour(l, VIP6).mac).toBe(mac);
}

type Fault = 'SIGKILL' | 'SIGTERM' | 'link down on its own eth0' | 'link down on the bridge side';

/** inject causes the fault on alpha and returns what undoes it. */
async function inject(l: Lab, fault: Fault): Promise<() => void> {
  if (fault === 'SIGKILL' || fault === 'SIGTERM') {
    const alpha = l.daemons.get('alpha');
    if (alpha === undefined) throw new Error('alpha is not running');
    const code = await killAndWait(alpha, fault);
    if (fault === 'SIGTERM') expect(code).toBe(0);
    return () => { l.startDaemon('alpha'); };
  }
  const [where, device] = fault === 'link down on its own eth0' ? (['alpha', 'eth0'] as const) : (['bridge', 'p-a'] as const);
  l.namespaces[where].ip('link', 'set', device, 'down');
  return () => { l.namespaces[where].ip('link', 'set', device, 'up'); };
}

describe('the VIPs (IPv4 and IPv6) move on every fault of the master', () => {
  it.each<Fault>(['link down on its own eth0', 'link down on the bridge side', 'SIGKILL', 'SIGTERM'])('%s: beta takes both VIPs and answers the client; alpha takes them back after', async (fault) => {
    const l = requireLab();
    await waitFor('alpha to hold both VIPs alone', () => holdsBoth(l, 'alpha') && !holdsAddress(l, 'beta', VIP) && !holdsAddress(l, 'beta', VIP6), START_BOUND_MS);
    await reachedOnBoth(l, 'alpha');
    const undo = await inject(l, fault);
    await waitFor('beta to hold both VIPs', () => holdsBoth(l, 'beta'), FAILOVER_BOUND_MS);
    // A killed daemon cannot remove its VIPs; every other fault leaves them on beta alone.
    if (fault !== 'SIGKILL') expect(holdsAddress(l, 'alpha', VIP) || holdsAddress(l, 'alpha', VIP6)).toBe(false);
    await reachedOnBoth(l, 'beta');
    undo();
    await waitFor('alpha to take both VIPs back', () => holdsBoth(l, 'alpha') && !holdsAddress(l, 'beta', VIP) && !holdsAddress(l, 'beta', VIP6), START_BOUND_MS);
    await reachedOnBoth(l, 'alpha');
  }, 90_000);
});
