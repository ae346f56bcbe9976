/**
 * ProcIpvsSysctls on a stand-in sysctl tree (a temporary directory laid out like /proc/sys), and
 * the fake against the same expectations where a plain file cannot act like the kernel.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IpvsSysctlError, ProcIpvsSysctls, normalizeSysctlValue } from '../../../src/kernel/ipvs-sysctl.js';
import { desiredSyncSysctls } from '../../../src/lvs/sync-daemon-sysctls.js';
import { FakeIpvsSysctls } from '../../fakes/fake-ipvs-sysctls.js';

describe('ProcIpvsSysctls', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'tandem-sysctl-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('reads the kernel layout normalized and writes the value with a newline', async () => {
    await mkdir(join(root, 'net/ipv4/vs'), { recursive: true });
    await writeFile(join(root, 'net/ipv4/vs/sync_threshold'), '3\t50\n');
    const sysctls = new ProcIpvsSysctls(root);
    expect(await sysctls.read('sync_threshold')).toBe('3 50');
    await sysctls.write('sync_threshold', '3 0');
    expect(normalizeSysctlValue(await readFile(join(root, 'net/ipv4/vs/sync_threshold'), 'utf8'))).toBe('3 0');
  });

  it('names the sysctl and the errno when ip_vs is not loaded, and never creates the file', async () => {
    const sysctls = new ProcIpvsSysctls(root);
    const refusal = await sysctls.write('sync_refresh_period', '1').catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(IpvsSysctlError);
    expect(refusal).toMatchObject({ code: 'ENOENT', sysctl: 'net.ipv4.vs.sync_refresh_period', value: '1' });
    expect((refusal as Error).message).toMatch(/net\.ipv4\.vs\.sync_refresh_period = "1": ENOENT\. Load the ip_vs module/);
    await expect(sysctls.read('sync_threshold')).rejects.toMatchObject({ code: 'ENOENT', sysctl: 'net.ipv4.vs.sync_threshold' });
  });
});

describe('FakeIpvsSysctls', () => {
  it('starts at the kernel defaults and refuses what proc_do_sync_threshold refuses', async () => {
    const sysctls = new FakeIpvsSysctls();
    expect(await sysctls.read('sync_threshold')).toBe('3 50');
    expect(await sysctls.read('sync_refresh_period')).toBe('0');
    await expect(sysctls.write('sync_threshold', '5 5')).rejects.toMatchObject({ code: 'EINVAL' });
    await sysctls.write('sync_threshold', '5 0');
    expect(await sysctls.read('sync_threshold')).toBe('5 0');
  });
});

describe('desiredSyncSysctls', () => {
  const base = { mode: 'both' as const, mcastInterface: 'eth1', syncid: 7, maxlen: 0, group: '224.0.0.81', port: 8848, ttl: 1 };

  it('is the kernel text of the config, and nothing with sysctls: null or no section', () => {
    const sysctls = { syncThresholdPackets: 2, syncPeriodPackets: 40, syncRefreshPeriodSeconds: 7 };
    expect(desiredSyncSysctls({ ...base, sysctls })).toEqual([
      { name: 'sync_threshold', value: '2 40' },
      { name: 'sync_refresh_period', value: '7' },
    ]);
    expect(desiredSyncSysctls({ ...base, sysctls: null })).toEqual([]);
    expect(desiredSyncSysctls(null)).toEqual([]);
  });
});
