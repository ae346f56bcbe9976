/**
 * The table-diff property: a diff planned early, then re-planned for the services whose desired
 * or listed entries changed since, gives exactly reconcile's operations on the changed tables.
 * That is what lets the IPVS owner diff outside its write line.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { serviceKey } from '../../../src/ipvs/model.js';
import type { DesiredService, DesiredTable } from '../../../src/lvs/desired-table.js';
import { reconcile } from '../../../src/lvs/reconcile.js';
import { diffTable, replan } from '../../../src/lvs/table-diff.js';
import { table } from './ipvs-table-arbitraries.js';

const noYield = (): Promise<void> => Promise.resolve();

/** reweighed is a service as a verdict could leave it: first real server gone, the others' weights moved. */
function reweighed(service: DesiredService): DesiredService {
  return { ...service, realServers: service.realServers.slice(1).map((rs) => ({ ...rs, weight: (rs.weight + 1) % 5 })) };
}

function byKey(services: readonly DesiredService[]): Map<string, DesiredService> {
  return new Map(services.map((service) => [serviceKey(service), service]));
}

describe('diffTable then replan (property)', () => {
  it('equals reconcile on the tables as they are after the changes', async () => {
    await fc.assert(
      fc.asyncProperty(table, table, fc.boolean(), fc.infiniteStream(fc.nat(3)), async (desired, actual, purgeUnmanaged, choices) => {
        const early = await diffTable(desired, actual, { purgeUnmanaged }, noYield);
        const touched = new Set<string>();
        const desiredAfter = byKey(desired.services);
        const actualAfter = byKey(actual.services);
        const picks = choices[Symbol.iterator]();
        for (const service of desired.services) {
          const key = serviceKey(service);
          // 0: untouched; 1: desired changed; 2: also applied to the kernel; 3: the kernel caught up with the old desired entry.
          const next = picks.next();
          const pick = next.done === true ? 0 : next.value;
          if (pick === 0) continue;
          touched.add(key);
          if (pick === 3) actualAfter.set(key, service);
          else desiredAfter.set(key, reweighed(service));
          if (pick === 2) actualAfter.set(key, reweighed(service));
        }
        const operations = replan(early, touched, desiredAfter, actualAfter);
        const desiredTable: DesiredTable = { services: [...desiredAfter.values()] };
        expect(operations).toEqual(reconcile(desiredTable, { services: [...actualAfter.values()] }, { purgeUnmanaged }));
      }),
      { numRuns: 300 },
    );
  });

  it('yields the event loop at least once, and once per chunk of real servers', async () => {
    const realServers = Array.from({ length: 1500 }, (_, i) => ({
      address: `10.0.${String(Math.floor(i / 250))}.${String((i % 250) + 1)}`,
      port: 80,
      forward: 'route' as const,
      weight: 1,
      upperThreshold: 0,
      lowerThreshold: 0,
    }));
    const service: DesiredService = { protocol: 'tcp', family: 4, address: '198.51.100.10', port: 80, scheduler: 'wrr', schedulerFlags: [], onePacket: false, realServers };
    let yields = 0;
    const count = (): Promise<void> => {
      yields++;
      return Promise.resolve();
    };
    await diffTable({ services: [] }, { services: [] }, { purgeUnmanaged: false }, count);
    expect(yields).toBe(1);
    yields = 0;
    await diffTable({ services: [service, { ...service, port: 81 }] }, { services: [] }, { purgeUnmanaged: false }, count);
    expect(yields).toBe(3);
  });
});
