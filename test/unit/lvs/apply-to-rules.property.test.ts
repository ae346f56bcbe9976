/**
 * The applyToRules property: a listing that saw none, some or all of a batch's operations,
 * patched with the whole batch, equals what the kernel (here the fake) holds after the batch.
 * That is what lets the IPVS owner list the table while its fast path keeps changing it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { IpvsRules } from '../../../src/ipvs/model.js';
import { applyToRules } from '../../../src/lvs/apply-to-rules.js';
import { reconcile } from '../../../src/lvs/reconcile.js';
import { kernelWith, normal, table } from './ipvs-table-arbitraries.js';

describe('applyToRules (property, against the fake kernel)', () => {
  it('patches a listing taken before, during or after a batch into the table after it', async () => {
    await fc.assert(
      fc.asyncProperty(table, table, fc.boolean(), async (desired, actual, purgeUnmanaged) => {
        const fake = await kernelWith(actual);
        const operations = reconcile(desired, await fake.listRules(), { purgeUnmanaged });
        // Every listing the owner could have taken: before the batch, after each operation.
        const listings: IpvsRules[] = [await fake.listRules()];
        for (const operation of operations) {
          const [outcome] = await fake.apply([operation]);
          expect(outcome?.ok).toBe(true);
          listings.push(await fake.listRules());
        }
        const after = normal((await fake.listRules()).services);
        for (const listing of listings) expect(normal(applyToRules(listing, operations).services)).toEqual(after);
      }),
      { numRuns: 200 },
    );
  });

  it('leaves a listing as it is when nothing was applied', () => {
    const rules: IpvsRules = { services: [] };
    expect(applyToRules(rules, [])).toBe(rules);
  });
});
