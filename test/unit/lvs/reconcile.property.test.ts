/**
 * The reconcile property: applying diff(desired, actual) to actual, on the fake kernel, gives
 * desired for the managed services and leaves the rest as purgeUnmanaged says. Every operation
 * must be accepted, which also checks the order (a real server before its service is ESRCH).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { IpvsOperation } from '../../../src/ipvs/ipvs-port.js';
import { DEFAULT_TUNNEL, type RealServer, type SchedulerFlag, realServerKey, serviceKey } from '../../../src/ipvs/model.js';
import type { DesiredService, DesiredTable } from '../../../src/lvs/desired-table.js';
import { reconcile } from '../../../src/lvs/reconcile.js';
import { FakeIpvs } from '../../fakes/fake-ipvs.js';

const flags: readonly SchedulerFlag[] = ['flag-1', 'flag-2', 'flag-3'];

const realServer: fc.Arbitrary<RealServer> = fc
  .record({
    host: fc.integer({ min: 1, max: 6 }),
    port: fc.constantFrom(80, 8080),
    forward: fc.constantFrom('route', 'masquerade', 'tunnel'),
    weight: fc.integer({ min: 0, max: 10 }),
    upperThreshold: fc.integer({ min: 0, max: 50 }),
    lowerFraction: fc.double({ min: 0, max: 1, noNaN: true }),
    tunnel: fc.option(
      fc.record({ type: fc.constantFrom('ipip', 'gre', 'gue'), gue: fc.integer({ min: 1, max: 65535 }), checksum: fc.constantFrom('nocsum', 'csum', 'remcsum') }),
      { nil: undefined },
    ),
  })
  .map(({ host, port, forward, weight, upperThreshold, lowerFraction, tunnel }): RealServer => {
    const base = { address: `10.0.0.${host}`, port, forward, weight, upperThreshold, lowerThreshold: Math.floor(upperThreshold * lowerFraction) };
    if (forward !== 'tunnel' || tunnel === undefined) return base;
    return { ...base, tunnel: { type: tunnel.type, port: tunnel.type === 'gue' ? tunnel.gue : 0, checksum: tunnel.checksum } };
  });

const service: fc.Arbitrary<DesiredService> = fc
  .record({
    identity: fc.oneof(
      fc.record({ protocol: fc.constantFrom('tcp', 'udp'), address: fc.constantFrom('198.51.100.1', '198.51.100.2'), port: fc.constantFrom(80, 443) }),
      fc.record({ protocol: fc.constant('fwmark'), fwmark: fc.integer({ min: 1, max: 3 }) }),
    ),
    scheduler: fc.constantFrom('rr', 'wlc', 'sh', 'mh'),
    onePacket: fc.boolean(),
    schedulerFlags: fc.subarray([...flags]),
    persistence: fc.option(fc.record({ timeoutSeconds: fc.integer({ min: 1, max: 1000 }), netmaskPrefixLength: fc.constantFrom(24, 32) }), { nil: undefined }),
    realServers: fc.uniqueArray(realServer, { maxLength: 5, selector: realServerKey }),
  })
  .map(({ identity, persistence, ...settings }): DesiredService => {
    const id = identity.protocol === 'fwmark' ? { protocol: 'fwmark' as const, family: 4 as const, fwmark: identity.fwmark } : { ...identity, family: 4 as const };
    return { ...id, ...settings, ...(persistence === undefined ? {} : { persistence }) };
  });

const table: fc.Arbitrary<DesiredTable> = fc.uniqueArray(service, { maxLength: 6, selector: serviceKey }).map((services) => ({ services }));

/** normal is a table as comparable values: services and real servers by key, kernel defaults filled in. */
function normal(services: readonly DesiredService[]): Record<string, unknown> {
  return Object.fromEntries(
    services.map(({ realServers, ...settings }) => [
      serviceKey(settings),
      {
        scheduler: settings.scheduler,
        onePacket: settings.onePacket,
        schedulerFlags: flags.filter((flag) => settings.schedulerFlags.includes(flag)),
        persistence: settings.persistence,
        servers: Object.fromEntries(
          realServers.map((rs) => [
            realServerKey(rs),
            [rs.forward, rs.weight, rs.upperThreshold, rs.lowerThreshold, rs.forward === 'tunnel' ? (rs.tunnel ?? DEFAULT_TUNNEL) : undefined],
          ]),
        ),
      },
    ]),
  );
}

async function kernelWith(actual: DesiredTable): Promise<FakeIpvs> {
  const fake = new FakeIpvs();
  const ops: IpvsOperation[] = [];
  for (const { realServers, ...settings } of actual.services) {
    ops.push({ kind: 'add-service', service: settings });
    for (const rs of realServers) ops.push({ kind: 'add-real-server', service: settings, realServer: rs });
  }
  expect((await fake.apply(ops)).every((outcome) => outcome.ok)).toBe(true);
  return fake;
}

describe('reconcile (property, on the fake kernel)', () => {
  it('applying the diff of (desired, actual) to actual gives desired', async () => {
    await fc.assert(
      fc.asyncProperty(table, table, fc.boolean(), async (desired, actual, purgeUnmanaged) => {
        const fake = await kernelWith(actual);
        const ops = reconcile(desired, await fake.list(), { purgeUnmanaged });
        const outcomes = await fake.apply(ops);
        expect(outcomes.filter((outcome) => !outcome.ok)).toEqual([]);

        const after = await fake.list();
        const desiredKeys = new Set(desired.services.map(serviceKey));
        const managed = after.services.filter((s) => desiredKeys.has(serviceKey(s)));
        const others = after.services.filter((s) => !desiredKeys.has(serviceKey(s)));
        expect(normal(managed)).toEqual(normal(desired.services));
        expect(normal(others)).toEqual(purgeUnmanaged ? {} : normal(actual.services.filter((s) => !desiredKeys.has(serviceKey(s)))));
        // Converged: a second diff has nothing to do.
        expect(reconcile(desired, after, { purgeUnmanaged })).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});
