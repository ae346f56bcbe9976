/**
 * The table-diff property: a diff planned early against a listing, then re-planned for the
 * services fast passes changed since (their desired entries, and the operations the kernel
 * accepted for them before or after the diff), gives exactly reconcile's operations on the
 * listing with every accepted operation replayed, and applying them on the kernel (the fake)
 * gives the desired table. That is what lets the IPVS owner diff outside its write line and
 * touch only the changed services inside it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { IpvsOperation } from '../../../src/ipvs/ipvs-port.js';
import { serviceKey } from '../../../src/ipvs/model.js';
import { applyToRules } from '../../../src/lvs/apply-to-rules.js';
import type { DesiredService } from '../../../src/lvs/desired-table.js';
import { reconcile, reconcileService } from '../../../src/lvs/reconcile.js';
import { diffTable, replan } from '../../../src/lvs/table-diff.js';
import type { FakeIpvs } from '../../fakes/fake-ipvs.js';
import { kernelWith, normal, table } from './ipvs-table-arbitraries.js';

const noYield = (): Promise<void> => Promise.resolve();

/** reweighed is a service as a verdict could leave it: first real server gone, the others' weights moved. */
function reweighed(service: DesiredService): DesiredService {
  return { ...service, realServers: service.realServers.slice(1).map((rs) => ({ ...rs, weight: (rs.weight + 1) % 5 })) };
}

function byKey(services: readonly DesiredService[]): Map<string, DesiredService> {
  return new Map(services.map((service) => [serviceKey(service), service]));
}

/** fastPass is what the owner's fast path does for `wanted`: diff it against the kernel's entry and apply; it returns the accepted operations. */
async function fastPass(kernel: FakeIpvs, wanted: DesiredService): Promise<IpvsOperation[]> {
  const present = byKey((await kernel.listRules()).services).get(serviceKey(wanted));
  const operations = reconcileService(wanted, present);
  const outcomes = await kernel.apply(operations);
  expect(outcomes.every((outcome) => outcome.ok)).toBe(true);
  return operations;
}

describe('diffTable then replan (property)', () => {
  it('equals reconcile on the listing with every accepted operation replayed, and converges the kernel', async () => {
    await fc.assert(
      fc.asyncProperty(table, table, fc.boolean(), fc.infiniteStream(fc.nat(4)), async (desired, actual, purgeUnmanaged, choices) => {
        const kernel = await kernelWith(actual);
        const listing = await kernel.listRules();
        const desiredAfter = byKey(desired.services);
        const touched = new Set<string>();
        const accepted: IpvsOperation[] = [];
        const picks = choices[Symbol.iterator]();
        const pick = (): number => {
          const next = picks.next();
          return next.done === true ? 0 : next.value;
        };
        // 0: untouched; 1: desired changed, not yet applied; 2: changed and applied by a fast pass;
        // 3: the entry as it is applied by a fast pass; 4: the same by a fast pass that recomputed
        // the service before the listing began, so the pass was not told the service was touched.
        const change = async (service: DesiredService): Promise<void> => {
          const choice = pick();
          if (choice === 0) return;
          const key = serviceKey(service);
          const current = desiredAfter.get(key) ?? service;
          const wanted = choice === 1 || choice === 2 ? reweighed(current) : current;
          if (choice !== 4) touched.add(key);
          desiredAfter.set(key, wanted);
          if (choice !== 1) accepted.push(...(await fastPass(kernel, wanted)));
        };
        // Fast passes between the listing and the diff, then between the diff and the write line.
        // The diff plans against the desired entries as they were before any of them: what
        // `touched` and `accepted` name must be enough to bring it up to date.
        for (const service of desired.services) await change(service);
        const early = await diffTable(byKey(desired.services), listing, [...accepted], { purgeUnmanaged }, noYield);
        for (const service of desired.services) await change(service);
        const operations = replan(early, touched, desiredAfter, accepted);
        const desiredTable = { services: [...desiredAfter.values()] };
        expect(operations).toEqual(reconcile(desiredTable, applyToRules(listing, accepted), { purgeUnmanaged }));
        const outcomes = await kernel.apply(operations);
        expect(outcomes.filter((outcome) => !outcome.ok)).toEqual([]);
        const managed = (await kernel.listRules()).services.filter((service) => desiredAfter.has(serviceKey(service)));
        expect(normal(managed)).toEqual(normal(desiredTable.services));
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
    await diffTable(new Map(), { services: [] }, [], { purgeUnmanaged: false }, count);
    expect(yields).toBe(1);
    yields = 0;
    await diffTable(byKey([service, { ...service, port: 81 }]), { services: [] }, [], { purgeUnmanaged: false }, count);
    expect(yields).toBe(3);
  });
});
