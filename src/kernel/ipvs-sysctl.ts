/**
 * ipvs-sysctl: the IPVS sync sysctls (net.ipv4.vs.sync_threshold, sync_refresh_period) behind a
 * small port, and its real implementation on /proc/sys.
 *
 * /proc/sys/net belongs to the network namespace of the process that opens it, so ProcIpvsSysctls
 * reads and writes the sysctls of the namespace tandem runs in: the director's. The files exist
 * only while the ip_vs module is loaded (ip_vs_ctl.c registers them per namespace).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isErrnoException } from './native.js';

/** IpvsSyncSysctl names one sysctl under net.ipv4.vs that tandem writes. */
export type IpvsSyncSysctl = 'sync_threshold' | 'sync_refresh_period';

/**
 * IpvsSysctlPort reads and writes the IPVS sync sysctls of one network namespace. Values are
 * the text the kernel takes ("3 0"); read returns it with runs of whitespace as one space (the
 * kernel lists sync_threshold's two values tab-separated). Failures reject with IpvsSysctlError.
 */
export interface IpvsSysctlPort {
  read(name: IpvsSyncSysctl): Promise<string>;
  write(name: IpvsSyncSysctl, value: string): Promise<void>;
}

/** normalizeSysctlValue trims a sysctl's text and makes each run of whitespace one space. */
export function normalizeSysctlValue(text: string): string {
  return text.trim().split(/\s+/).join(' ');
}

/**
 * IpvsSysctlError is a sysctl the kernel would not read or write. `code` is the errno name
 * (ENOENT, EACCES, EROFS, EINVAL…), `sysctl` the dotted name, `value` what was being written.
 */
export class IpvsSysctlError extends Error {
  readonly code: string;
  readonly sysctl: string;
  readonly value: string | undefined;

  constructor(name: IpvsSyncSysctl, code: string, value?: string) {
    const sysctl = `net.ipv4.vs.${name}`;
    const what = value === undefined ? `could not read ${sysctl}` : `could not set ${sysctl} = "${value}"`;
    super(`${what}: ${code}. ${hintFor(name, code)}`);
    this.name = 'IpvsSysctlError';
    this.code = code;
    this.sysctl = sysctl;
    this.value = value;
  }
}

/** hintFor says what to do about an errno on one sysctl. */
function hintFor(name: IpvsSyncSysctl, code: string): string {
  switch (code) {
    case 'ENOENT':
      return name === 'sync_refresh_period'
        ? 'Load the ip_vs module (modprobe ip_vs); kernels older than the 2012 "reduce sync rate with time thresholds" change have no sync_refresh_period: set syncDaemon.sysctls: null there.'
        : 'Load the ip_vs module (modprobe ip_vs) so its sysctls exist in this network namespace.';
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return 'Run tandem as root with CAP_NET_ADMIN and a writable /proc/sys (containers often mount it read-only), or set syncDaemon.sysctls: null and manage the sysctls yourself.';
    case 'EINVAL':
      return 'The kernel refused the value: syncThresholdPackets must be below syncPeriodPackets unless that is 0.';
    default:
      return 'Check that /proc/sys/net/ipv4/vs is readable and writable by tandem.';
  }
}

/** errnoName is the errno name a failed fs call carries (code), or EIO for anything else. */
function errnoName(error: unknown): string {
  return isErrnoException(error) ? error.code : 'EIO';
}

/** ProcIpvsSysctls is IpvsSysctlPort on /proc/sys (or another root, for tests). */
export class ProcIpvsSysctls implements IpvsSysctlPort {
  readonly #directory: string;

  /** `root` is where the sysctl tree is mounted: /proc/sys on a real system. */
  constructor(root = '/proc/sys') {
    this.#directory = join(root, 'net/ipv4/vs');
  }

  /** read returns the sysctl's value, whitespace normalized. */
  async read(name: IpvsSyncSysctl): Promise<string> {
    try {
      return normalizeSysctlValue(await readFile(join(this.#directory, name), 'utf8'));
    } catch (error) {
      throw new IpvsSysctlError(name, errnoName(error));
    }
  }

  /** write sets the sysctl; the kernel parses the value on write and refuses a bad one with EINVAL. */
  async write(name: IpvsSyncSysctl, value: string): Promise<void> {
    try {
      // 'r+': a sysctl file is never created; a missing one must fail with ENOENT.
      await writeFile(join(this.#directory, name), `${value}\n`, { flag: 'r+' });
    } catch (error) {
      throw new IpvsSysctlError(name, errnoName(error), value);
    }
  }
}
