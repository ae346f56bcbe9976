/**
 * vip-plan: the pure difference between the VIPs that should be on this node and the addresses
 * the kernel has, as the add and remove operations that close it.
 */
import type { InterfaceAddress } from '../kernel/ports.js';

/** PlacedVip is a VIP resolved to the interface it lives on. */
export interface PlacedVip {
  readonly address: string;
  readonly prefixLength: number;
  readonly ifindex: number;
  readonly interfaceName: string;
}

/** VipPlan is what to add and what to remove, each at most once. */
export interface VipPlan {
  readonly add: readonly PlacedVip[];
  readonly remove: readonly PlacedVip[];
}

const key = (ifindex: number, address: string, prefixLength: number): string => `${ifindex}/${address}/${prefixLength}`;

/**
 * planVips compares the wanted state with the kernel's addresses. While holding, every VIP must
 * be present with its own prefix length on its own interface; while released, none may be,
 * including a copy left behind by hand or by a crash. Addresses that are not VIPs are never
 * touched: the director's own addresses live on the same interfaces.
 */
export function planVips(vips: readonly PlacedVip[], holding: boolean, actual: readonly InterfaceAddress[]): VipPlan {
  const present = new Set(actual.map((a) => key(a.ifindex, a.address, a.prefixLength)));
  const isPresent = (vip: PlacedVip): boolean => present.has(key(vip.ifindex, vip.address, vip.prefixLength));
  return holding
    ? { add: vips.filter((vip) => !isPresent(vip)), remove: [] }
    : { add: [], remove: vips.filter(isPresent) };
}
