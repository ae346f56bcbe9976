import { describe, expect, it } from 'vitest';
import type { SyncDaemonConfig } from '../../../src/config/types.js';
import type { SyncDaemon } from '../../../src/ipvs/model.js';
import { desiredDaemons, planSyncDaemons, sameSettings } from '../../../src/lvs/sync-daemon-plan.js';

const config: SyncDaemonConfig = { mode: 'follow-role', mcastInterface: 'eth1', syncid: 7, maxlen: 0, group: '224.0.0.81', port: 8848, ttl: 1, sysctls: null };
const master: SyncDaemon = { state: 'master', mcastInterface: 'eth1', syncid: 7, group: '224.0.0.81', port: 8848, ttl: 1 };
const backup: SyncDaemon = { ...master, state: 'backup' };
const listed = (daemon: SyncDaemon): SyncDaemon => ({ ...daemon, maxlen: 1472 });

describe('desiredDaemons', () => {
  it('follow-role: master on the active director, backup everywhere else', () => {
    expect(desiredDaemons(config, 'master')).toEqual([master]);
    for (const role of ['backup', 'fault', 'init'] as const) expect(desiredDaemons(config, role)).toEqual([backup]);
  });

  it('both: master and backup whatever the role', () => {
    expect(desiredDaemons({ ...config, mode: 'both' }, 'backup')).toEqual([master, backup]);
    expect(desiredDaemons({ ...config, mode: 'both' }, 'master')).toEqual([master, backup]);
  });

  it('passes a configured maxlen and leaves 0 to the kernel; none without a section', () => {
    expect(desiredDaemons({ ...config, maxlen: 1200 }, 'master')).toEqual([{ ...master, maxlen: 1200 }]);
    expect(desiredDaemons(null, 'master')).toEqual([]);
  });
});

describe('planSyncDaemons', () => {
  it('becoming master stops the backup before starting the master', () => {
    expect(planSyncDaemons([master], [listed(backup)], sameSettings)).toEqual([
      { kind: 'stop', state: 'backup' },
      { kind: 'start', daemon: master },
    ]);
  });

  it('becoming backup stops the master before starting the backup', () => {
    expect(planSyncDaemons([backup], [listed(master)], sameSettings)).toEqual([
      { kind: 'stop', state: 'master' },
      { kind: 'start', daemon: backup },
    ]);
  });

  it('does nothing while the settings hold, whatever maxlen the kernel derived', () => {
    expect(planSyncDaemons([master, backup], [listed(master), listed(backup)], sameSettings)).toEqual([]);
  });

  it('restarts only the daemon whose settings changed', () => {
    const moved = { ...backup, syncid: 8 };
    expect(planSyncDaemons([master, moved], [listed(master), listed(backup)], sameSettings)).toEqual([
      { kind: 'stop', state: 'backup' },
      { kind: 'start', daemon: moved },
    ]);
  });

  it('compares group addresses canonically and a configured maxlen exactly', () => {
    expect(sameSettings({ ...master, group: 'ff02::0:81' }, { ...master, group: 'ff02::81' })).toBe(true);
    expect(sameSettings({ ...master, maxlen: 1000 }, listed(master))).toBe(false);
    expect(sameSettings({ ...master, ttl: 2 }, listed(master))).toBe(false);
  });
});
