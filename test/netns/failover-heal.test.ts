/**
 * Split brain and its heal with real daemons (issue 4): the two directors are cut from each
 * other (bridge port isolation) while the client still reaches both, so both become master and
 * the client follows the lower one's gratuitous ARP. After the heal the client's neighbour
 * entries for the IPv4 and the IPv6 VIP must point at the winner (alpha) within a second and
 * stay there, and the VIP must leave the loser within about one advert interval.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { RESPONDER_PORT, VIP, waitFor, type Lab } from './lab/lab.js';
import { RESPONDER6_PORT, VIP6, clientNeighbour, connectOnce, holdsAddress, isolateDirectors, macOf, useDefaultAnnounce, useDualStackLab } from './failover-helpers.js';

const ADVERT_INTERVAL_MS = 100;
const PREEMPT_DELAY_MS = 2000;
/** Start-up of a daemon from source (tsx) takes a few seconds on this machine. */
const START_BOUND_MS = 30_000;
/** The bound: the client's entry points at the winner within one second of the heal. */
const CLIENT_NEIGHBOUR_BOUND_MS = 1000;
/**
 * BOTH_HOLD_BOUND_MS: the loser steps down on the winner's next advert (≤ one interval) and then
 * removes the VIP over rtnetlink; the rest is the polling here (one `ip` run ≈ 5–20 ms on a
 * loaded machine) and scheduling on two shared cores.
 */
const BOTH_HOLD_BOUND_MS = 3 * ADVERT_INTERVAL_MS;
/** WATCH_MS: how long after the heal the entries must keep pointing at the winner. */
const WATCH_MS = 2500;

const requireLab = useDualStackLab({ advertIntervalMs: ADVERT_INTERVAL_MS, preemptDelayMs: PREEMPT_DELAY_MS }, useDefaultAnnounce);

beforeAll(async () => {
  const l = requireLab();
  await waitFor('alpha to hold both VIPs', () => holdsAddress(l, 'alpha', VIP) && holdsAddress(l, 'alpha', VIP6), START_BOUND_MS);
  await waitFor('beta to report backup', () => (l.logs.get('beta') ?? []).some((line) => line.event === 'election.transition' && line.to === 'backup'), START_BOUND_MS);
}, 60_000);

interface HealFigures {
  /** v4Ms / v6Ms: heal → the client's entry first points at alpha (undefined: never). */
  v4Ms: number | undefined;
  v6Ms: number | undefined;
  /** bothHoldMs: heal → the last poll that saw the VIP on both directors. */
  bothHoldMs: number;
  /** reverted lists entries that pointed back at the loser after pointing at the winner. */
  reverted: string[];
}

/** watchHeal polls the client's neighbours and both directors' addresses for WATCH_MS after the heal. */
async function watchHeal(l: Lab, healAtMs: number, winnerMac: string): Promise<HealFigures> {
  const figures: HealFigures = { v4Ms: undefined, v6Ms: undefined, bothHoldMs: 0, reverted: [] };
  while (performance.now() - healAtMs < WATCH_MS) {
    const v4 = clientNeighbour(l, VIP);
    const v6 = clientNeighbour(l, VIP6);
    const both = holdsAddress(l, 'alpha', VIP) && holdsAddress(l, 'beta', VIP);
    const atMs = performance.now() - healAtMs;
    if (both) figures.bothHoldMs = atMs;
    if (v4.mac === winnerMac) figures.v4Ms ??= atMs;
    else if (figures.v4Ms !== undefined) figures.reverted.push(`IPv4 at ${atMs.toFixed(0)} ms: ${v4.mac ?? 'none'} ${v4.state}`);
    if (v6.mac === winnerMac) figures.v6Ms ??= atMs;
    else if (figures.v6Ms !== undefined) figures.reverted.push(`IPv6 at ${atMs.toFixed(0)} ms: ${v6.mac ?? 'none'} ${v6.state}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return figures;
}

describe('split brain heals without stale neighbour entries', () => {
  // The split ends this long after beta put the VIP on its interface: from "beta's announcement
  // burst (5 × 20 ms) is still running at the heal", the case that left clients on the loser's
  // MAC, to a settled split.
  it.each([0, 20, 40, 60, 80, 120, 400])('a split brain healed %i ms after beta took the VIP leaves the client on alpha within a second', async (splitMs) => {
    const l = requireLab();
    const alphaMac = macOf(l, 'alpha');
    // The client talks to both VIPs, so it has neighbour entries the directors' announcements update.
    await waitFor('the client to reach alpha on both VIPs', () => connectOnce(l, VIP, RESPONDER_PORT) === 'alpha' && connectOnce(l, VIP6, RESPONDER6_PORT) === 'alpha', 10_000);
    isolateDirectors(l, true);
    try {
      await waitFor('beta to take over during the partition', () => holdsAddress(l, 'beta', VIP), 5_000);
      await new Promise((resolve) => setTimeout(resolve, splitMs));
    } finally {
      isolateDirectors(l, false);
    }
    const figures = await watchHeal(l, performance.now(), alphaMac);
    process.stderr.write(`heal after ${splitMs} ms: ${JSON.stringify(figures)}\n`);
    expect(figures.v4Ms).toBeLessThan(CLIENT_NEIGHBOUR_BOUND_MS);
    expect(figures.v6Ms).toBeLessThan(CLIENT_NEIGHBOUR_BOUND_MS);
    expect(figures.reverted).toEqual([]);
    expect(figures.bothHoldMs).toBeLessThan(BOTH_HOLD_BOUND_MS);
    expect(holdsAddress(l, 'beta', VIP) || holdsAddress(l, 'beta', VIP6)).toBe(false);
    expect(connectOnce(l, VIP, RESPONDER_PORT)).toBe('alpha');
    expect(connectOnce(l, VIP6, RESPONDER6_PORT)).toBe('alpha');
  }, 30_000);
});
