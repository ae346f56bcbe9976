import { describe, expect, it } from 'vitest';
import type { AnnounceConfig } from '../../../src/config/types.js';
import type { InterfaceAddress } from '../../../src/kernel/ports.js';
import { burstOffsetsMs, refreshOffsetsMs, releaseDelayMs } from '../../../src/vip/announce-schedule.js';
import { planVips, type PlacedVip } from '../../../src/vip/vip-plan.js';

const vip4: PlacedVip = { address: '198.51.100.10', prefixLength: 32, ifindex: 2, interfaceName: 'eth0' };
const vip6: PlacedVip = { address: '2001:db8::10', prefixLength: 128, ifindex: 2, interfaceName: 'eth0' };
const own: InterfaceAddress = { ifindex: 2, family: 4, address: '198.51.100.2', prefixLength: 24, flags: 0 };
const present = (vip: PlacedVip): InterfaceAddress => ({
  ifindex: vip.ifindex,
  family: vip.address.includes(':') ? 6 : 4,
  address: vip.address,
  prefixLength: vip.prefixLength,
  flags: 0,
});

describe('planVips', () => {
  it('adds the missing VIPs while holding and never touches the director’s own address', () => {
    expect(planVips([vip4, vip6], true, [own, present(vip6)])).toEqual({ add: [vip4], remove: [] });
  });

  it('removes every VIP still present while released, including leftovers', () => {
    expect(planVips([vip4, vip6], false, [own, present(vip4), present(vip6)])).toEqual({ add: [], remove: [vip4, vip6] });
  });

  it('treats the same address with another prefix or on another interface as absent', () => {
    const elsewhere: InterfaceAddress = { ...present(vip4), ifindex: 3 };
    const widened: InterfaceAddress = { ...present(vip4), prefixLength: 24 };
    expect(planVips([vip4], true, [elsewhere, widened]).add).toEqual([vip4]);
    expect(planVips([vip4], false, [elsewhere, widened]).remove).toEqual([]);
  });

  it('has nothing to do when the kernel already agrees', () => {
    expect(planVips([vip4], true, [present(vip4)])).toEqual({ add: [], remove: [] });
    expect(planVips([vip4], false, [own])).toEqual({ add: [], remove: [] });
  });
});

describe('announce schedule', () => {
  const announce: AnnounceConfig = { count: 3, intervalMs: 20, repeatAfterMs: 5000, refreshIntervalMs: 0 };

  it('sends a burst, then the same burst again after repeatAfterMs', () => {
    expect(burstOffsetsMs(announce)).toEqual([0, 20, 40, 5000, 5020, 5040]);
  });

  it('sends one burst when the repeat is off, and nothing when count is 0', () => {
    expect(burstOffsetsMs({ ...announce, repeatAfterMs: 0 })).toEqual([0, 20, 40]);
    expect(burstOffsetsMs({ ...announce, count: 0 })).toEqual([]);
  });

  it('refreshes with a single burst', () => {
    expect(refreshOffsetsMs(announce)).toEqual([0, 20, 40]);
  });

  it('keeps released VIPs for as long as one burst lasts, not at all without a burst', () => {
    expect(releaseDelayMs(announce)).toBe(40);
    expect(releaseDelayMs({ ...announce, count: 1 })).toBe(0);
    expect(releaseDelayMs({ ...announce, count: 0 })).toBe(0);
    expect(releaseDelayMs({ ...announce, intervalMs: 0 })).toBe(0);
  });
});
