/**
 * sync-daemon-sysctls: the IPVS sync sysctls a director should have while tandem runs its sync
 * daemons, as the text the kernel takes. Pure.
 *
 * sync_threshold is one sysctl holding two values, "threshold period"
 * (Documentation/networking/ipvs-sysctl.rst); sync_refresh_period is in seconds.
 */
import type { SyncDaemonConfig } from '../config/types.js';
import type { IpvsSyncSysctl } from '../kernel/ipvs-sysctl.js';

/** SyncSysctlValue is one sysctl and the value it should hold. */
export interface SyncSysctlValue {
  readonly name: IpvsSyncSysctl;
  readonly value: string;
}

/**
 * desiredSyncSysctls are the values to hold: none without a syncDaemon section or with
 * `sysctls: null` (the kernel's values are then left alone).
 */
export function desiredSyncSysctls(config: SyncDaemonConfig | null): SyncSysctlValue[] {
  const sysctls = config?.sysctls ?? null;
  if (sysctls === null) return [];
  return [
    { name: 'sync_threshold', value: `${sysctls.syncThresholdPackets} ${sysctls.syncPeriodPackets}` },
    { name: 'sync_refresh_period', value: String(sysctls.syncRefreshPeriodSeconds) },
  ];
}
