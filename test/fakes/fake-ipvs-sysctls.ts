/**
 * fake-ipvs-sysctls: an in-memory IpvsSysctlPort that behaves like one network namespace's
 * net.ipv4.vs sync sysctls: it starts at the kernel's defaults (sync_threshold "3 50",
 * sync_refresh_period 0; ipvs-sysctl.rst), lists sync_threshold tab-separated as the kernel does,
 * and refuses what proc_do_sync_threshold (ip_vs_ctl.c) refuses with EINVAL. A test can make
 * the next operations on a sysctl fail with an errno, or the whole tree missing (ip_vs unloaded).
 */
import { IpvsSysctlError, normalizeSysctlValue, type IpvsSyncSysctl, type IpvsSysctlPort } from '../../src/kernel/ipvs-sysctl.js';

/** KERNEL_DEFAULTS are the values a fresh namespace lists, in the kernel's own layout. */
const KERNEL_DEFAULTS: Readonly<Record<IpvsSyncSysctl, string>> = { sync_threshold: '3\t50', sync_refresh_period: '0' };

/** FakeIpvsSysctls holds one namespace's sync sysctls; `writes` records every accepted write. */
export class FakeIpvsSysctls implements IpvsSysctlPort {
  readonly writes: { name: IpvsSyncSysctl; value: string }[] = [];
  /** missing: the ip_vs module is not loaded, so every sysctl is ENOENT. */
  missing = false;
  readonly #values = new Map<IpvsSyncSysctl, string>(Object.entries(KERNEL_DEFAULTS) as [IpvsSyncSysctl, string][]);
  readonly #failures = new Map<IpvsSyncSysctl, string>();

  /** failWith makes every operation on `name` fail with errno `code` until cleared (undefined). */
  failWith(name: IpvsSyncSysctl, code: string | undefined): void {
    if (code === undefined) this.#failures.delete(name);
    else this.#failures.set(name, code);
  }

  /** set changes a value behind tandem's back, as an operator's `sysctl -w` would. */
  set(name: IpvsSyncSysctl, value: string): void {
    this.#values.set(name, value);
  }

  /** value is the sysctl's current value, normalized. */
  value(name: IpvsSyncSysctl): string {
    return normalizeSysctlValue(this.#values.get(name) ?? '');
  }

  read(name: IpvsSyncSysctl): Promise<string> {
    const refusal = this.#refusal(name);
    if (refusal !== undefined) return Promise.reject(new IpvsSysctlError(name, refusal));
    return Promise.resolve(this.value(name));
  }

  write(name: IpvsSyncSysctl, value: string): Promise<void> {
    const refusal = this.#refusal(name) ?? (isValid(name, value) ? undefined : 'EINVAL');
    if (refusal !== undefined) return Promise.reject(new IpvsSysctlError(name, refusal, value));
    // The kernel lists sync_threshold's two values tab-separated whatever was written.
    this.#values.set(name, normalizeSysctlValue(value).split(' ').join('\t'));
    this.writes.push({ name, value });
    return Promise.resolve();
  }

  #refusal(name: IpvsSyncSysctl): string | undefined {
    return this.missing ? 'ENOENT' : this.#failures.get(name);
  }
}

/** isValid is the kernel's parse: non-negative ints, and for sync_threshold threshold < period unless period is 0. */
function isValid(name: IpvsSyncSysctl, value: string): boolean {
  const numbers = normalizeSysctlValue(value).split(' ').map(Number);
  if (!numbers.every((n) => Number.isInteger(n) && n >= 0)) return false;
  if (name === 'sync_refresh_period') return numbers.length === 1;
  const [threshold = -1, period = -1] = numbers;
  return numbers.length === 2 && (period === 0 || threshold < period);
}
