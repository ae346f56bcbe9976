/**
 * The reconcile property: applying diff(desired, actual) to actual, on the fake kernel, gives
 * desired for the managed services and leaves the rest as purgeUnmanaged says. Every operation
 * must be accepted, which also checks the order (a real server before its service is ESRCH).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { serviceKey } from '../../../src/ipvs/model.js';
import { reconcile } from '../../../src/lvs/reconcile.js';
import { kernelWith, normal, table } from './ipvs-table-arbitraries.js';

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
