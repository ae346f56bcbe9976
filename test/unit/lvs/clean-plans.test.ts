/**
 * clean-plans: a service is skipped only as the very two entries found to need nothing; a
 * whole-table diff that carries CleanPlans from pass to pass does skip them (their listed real
 * servers are not read), and plans a service again once its listed entry changed.
 */
import { describe, expect, it } from 'vitest';
import { serviceKey } from '../../../src/ipvs/model.js';
import { CleanPlans } from '../../../src/lvs/clean-plans.js';
import type { DesiredService } from '../../../src/lvs/desired-table.js';
import { diffTable } from '../../../src/lvs/table-diff.js';

const service = (weight: number): DesiredService => ({
  protocol: 'tcp',
  family: 4,
  address: '192.0.2.1',
  port: 80,
  scheduler: 'wlc',
  schedulerFlags: [],
  onePacket: false,
  realServers: [{ address: '10.0.0.1', port: 80, forward: 'masquerade', weight, upperThreshold: 0, lowerThreshold: 0 }],
});
const KEY = serviceKey(service(1));
const noYield = (): Promise<void> => Promise.resolve();
const options = { purgeUnmanaged: false };

describe('CleanPlans', () => {
  it('knows a pair by identity only, and forgets it when told it is no longer clean', () => {
    const clean = new CleanPlans();
    const [wanted, present] = [service(5), service(5)];
    expect(clean.has(KEY, wanted, present)).toBe(false);
    clean.note(KEY, wanted, present, true);
    expect(clean.has(KEY, wanted, present)).toBe(true);
    expect(clean.has(KEY, wanted, service(5))).toBe(false);
    expect(clean.has(KEY, service(5), present)).toBe(false);
    clean.note(KEY, wanted, present, false);
    expect(clean.has(KEY, wanted, present)).toBe(false);
  });

  it('never takes a missing kernel entry for clean, and drops services a reload removed', () => {
    const clean = new CleanPlans();
    const wanted = service(5);
    clean.note(KEY, wanted, undefined, true);
    expect(clean.has(KEY, wanted, undefined)).toBe(false);
    clean.note(KEY, wanted, wanted, true);
    clean.keepOnly(new Map());
    expect(clean.has(KEY, wanted, wanted)).toBe(false);
  });

  it('lets diffTable skip planning a converged service: its listed real servers are not even read', async () => {
    const clean = new CleanPlans();
    const wanted = service(5);
    let reads = 0;
    const { realServers, ...settings } = service(5);
    const listed: DesiredService = Object.defineProperty({ ...settings, realServers: [] }, 'realServers', {
      get: () => {
        reads++;
        return realServers;
      },
    });
    const listing = { services: [listed] };
    await diffTable(new Map([[KEY, wanted]]), listing, [], options, noYield, clean);
    const readsPlanning = reads;
    expect(readsPlanning).toBeGreaterThan(0);
    const again = await diffTable(new Map([[KEY, wanted]]), listing, [], options, noYield, clean);
    expect(again.planned.size).toBe(0);
    expect(reads).toBe(readsPlanning);
  });

  it('lets diffTable skip a converged service yet plan it again once the listing changed', async () => {
    const clean = new CleanPlans();
    const desired = new Map([[KEY, service(5)]]);
    const converged = { services: [service(5)] };
    const first = await diffTable(desired, converged, [], options, noYield, clean);
    expect(first.planned.size).toBe(0);
    expect(clean.has(KEY, service(5), converged.services[0])).toBe(false);
    expect(clean.has(KEY, desired.get(KEY) as DesiredService, converged.services[0])).toBe(true);
    const again = await diffTable(desired, converged, [], options, noYield, clean);
    expect(again.planned.size).toBe(0);
    // The kernel's weight moved (a new listed entry): planned again, and found to need an edit.
    const drifted = await diffTable(desired, { services: [service(9)] }, [], options, noYield, clean);
    expect([...drifted.planned]).toEqual([KEY]);
    expect(clean.has(KEY, desired.get(KEY) as DesiredService, converged.services[0])).toBe(false);
  });
});
