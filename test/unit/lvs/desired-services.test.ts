/**
 * DesiredServices: the owner's desired table rebuilt a slice at a time gives what desiredTable
 * gives in one go, keeps the config order and the changes a fast pass made during the rebuild,
 * and gives up when invalidated meanwhile.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { VirtualServer } from '../../../src/config/types.js';
import { realServerRef } from '../../../src/lvs/config-to-ipvs.js';
import { DesiredServices } from '../../../src/lvs/desired-services.js';
import { type Verdict, desiredTable } from '../../../src/lvs/desired-table.js';
import { SLICE_REAL_SERVERS } from '../../../src/lvs/event-loop-slices.js';
import { virtualServer } from './virtual-server-fixture.js';

/** services are `count` tcp services of `servers` real servers each, on ports 1.. of one address. */
function services(count: number, servers: number): VirtualServer[] {
  return Array.from({ length: count }, (_, s) =>
    virtualServer({
      protocol: 'tcp',
      address: '198.51.100.10',
      port: s + 1,
      realServers: Array.from({ length: servers }, (_, r) => ({ address: `10.${String(Math.floor(r / 250))}.${String(s)}.${String((r % 250) + 1)}`, weight: 5 })),
    }),
  );
}

function setup(virtualServers: readonly VirtualServer[]) {
  const verdicts = new Map<string, Verdict>();
  const drains = new Set<string>();
  const desired = new DesiredServices({ verdicts, drains }, pino({ level: 'silent' }));
  return { verdicts, drains, desired, expected: () => desiredTable({ virtualServers, verdicts, drains, quorum: new Map() }).table.services };
}

describe('DesiredServices', () => {
  it('rebuilds in slices to what desiredTable computes, in config order, yielding once per slice', async () => {
    const virtualServers = services(6, SLICE_REAL_SERVERS / 2);
    const { desired, expected } = setup(virtualServers);
    let yields = 0;
    const built = await desired.rebuild(virtualServers, () => {
      yields++;
      return Promise.resolve();
    });
    expect([...(built?.values() ?? [])]).toEqual(expected());
    // Each service is half a slice plus one (the service itself): one yield per two services.
    expect(yields).toBe(3);
    expect(desired.current).toBe(built);
    expect(desired.now(virtualServers)).toBe(built);
  });

  it('keeps a fast pass made during the rebuild, for services built before or after it', async () => {
    const virtualServers = services(4, SLICE_REAL_SERVERS);
    const { verdicts, desired, expected } = setup(virtualServers);
    const [first, , third] = virtualServers;
    if (first === undefined || third === undefined) throw new Error('fixture');
    let yields = 0;
    const built = await desired.rebuild(virtualServers, () => {
      yields++;
      // After the second service: a verdict on the first (already built) and on the third (not yet).
      if (yields === 2) {
        for (const vs of [first, third]) {
          const rs = vs.realServers[0];
          if (rs === undefined) throw new Error('fixture');
          verdicts.set(realServerRef(vs, rs), 'down');
          desired.recompute(vs);
        }
      }
      return Promise.resolve();
    });
    expect([...(built?.values() ?? [])]).toEqual(expected());
    expect(built?.values().next().value?.realServers[0]?.weight).toBe(0);
  });

  it('gives up when invalidated during the rebuild, and rebuilds in full the next time', async () => {
    const virtualServers = services(3, SLICE_REAL_SERVERS);
    const { desired, expected } = setup(virtualServers);
    const stale = await desired.rebuild(virtualServers, () => {
      desired.invalidate();
      return Promise.resolve();
    });
    expect(stale).toBeUndefined();
    expect(desired.current).toBeUndefined();
    const built = await desired.rebuild(virtualServers, () => Promise.resolve());
    expect([...(built?.values() ?? [])]).toEqual(expected());
  });

  it('forgets the quorum of services a rebuild no longer has', async () => {
    const virtualServers = services(3, 2);
    const { desired } = setup(virtualServers);
    await desired.rebuild(virtualServers, () => Promise.resolve());
    expect(desired.quorum.size).toBe(3);
    desired.invalidate();
    await desired.rebuild(virtualServers.slice(1), () => Promise.resolve());
    expect([...desired.quorum.keys()]).toEqual(['tcp:198.51.100.10:2', 'tcp:198.51.100.10:3']);
  });
});
