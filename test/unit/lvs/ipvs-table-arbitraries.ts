/**
 * ipvs-table-arbitraries: random IPVS tables for the property tests of reconcile and
 * applyToRules, a fake kernel holding one, and a table as comparable values.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import type { IpvsOperation } from '../../../src/ipvs/ipvs-port.js';
import { DEFAULT_TUNNEL, type RealServer, type SchedulerFlag, realServerKey, serviceKey } from '../../../src/ipvs/model.js';
import type { DesiredService, DesiredTable } from '../../../src/lvs/desired-table.js';
import { FakeIpvs } from '../../fakes/fake-ipvs.js';

const flags: readonly SchedulerFlag[] = ['flag-1', 'flag-2', 'flag-3'];

/** realServer is a random real server of a small address space, so tables overlap. */
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

/** service is a random virtual service with up to five real servers. */
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

/** table is a random table of up to six services. */
export const table: fc.Arbitrary<DesiredTable> = fc.uniqueArray(service, { maxLength: 6, selector: serviceKey }).map((services) => ({ services }));

/** normal is a table as comparable values: services and real servers by key, kernel defaults filled in. */
export function normal(services: readonly DesiredService[]): Record<string, unknown> {
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

/** kernelWith is a fake kernel holding `actual`. */
export async function kernelWith(actual: DesiredTable): Promise<FakeIpvs> {
  const fake = new FakeIpvs();
  const ops: IpvsOperation[] = [];
  for (const { realServers, ...settings } of actual.services) {
    ops.push({ kind: 'add-service', service: settings });
    for (const rs of realServers) ops.push({ kind: 'add-real-server', service: settings, realServer: rs });
  }
  expect((await fake.apply(ops)).every((outcome) => outcome.ok)).toBe(true);
  return fake;
}
