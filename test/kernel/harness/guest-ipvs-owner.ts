/**
 * guest-ipvs-owner: an IpvsOwner on the host programming the guest's IPVS (through a
 * GuestIpvs port), and the guest's own ipvsadm views that tests assert on.
 *
 * The owner ticks on a FakeClock that only the test advances, so nothing but the test's verdicts
 * (the owner's fast path) changes the table until the test asks for a whole-table pass itself
 * (fullPass), which is how it checks that the fast path left the kernel where a full pass would.
 */
import { pino } from 'pino';
import type { VirtualServer } from '../../../src/config/types.js';
import { IpvsOwner, type IpvsOwnerConfig } from '../../../src/lvs/ipvs-owner.js';
import type { IpvsPort } from '../../../src/ipvs/ipvs-port.js';
import { FakeClock } from '../../fakes/fake-clock.js';
import type { Guest } from './guest.js';

/** GUEST_IPVS_CONFIG leaves the guest kernel's timeouts alone (all zero) and unmanaged services in place. */
const GUEST_IPVS_CONFIG = { timeouts: { tcpSeconds: 0, tcpFinSeconds: 0, udpSeconds: 0 }, purgeUnmanaged: false } as const;

/** GuestOwner is a started owner, the config it was given, and the clock its tick runs on. */
export interface GuestOwner {
  readonly owner: IpvsOwner;
  readonly config: IpvsOwnerConfig;
  readonly clock: FakeClock;
}

/** startGuestOwner starts an IpvsOwner for `virtualServers` on `port`; its first full pass has run when it resolves. */
export async function startGuestOwner(port: IpvsPort, virtualServers: readonly VirtualServer[]): Promise<GuestOwner> {
  const clock = new FakeClock();
  const config = { virtualServers, ipvs: GUEST_IPVS_CONFIG };
  const owner = new IpvsOwner(config, { ipvs: port, clock, log: pino({ level: 'silent' }) });
  await owner.start();
  return { owner, config, clock };
}

/**
 * fullPass runs one whole-table pass (list the kernel, diff, apply: a reload of the same config)
 * and resolves to the number of operations the kernel accepted in it: 0 when the table already
 * was what config ⊕ verdicts ⊕ drains asks for.
 */
export async function fullPass({ owner, config }: GuestOwner): Promise<number> {
  const before = owner.stats.operations;
  await owner.update(config);
  return owner.stats.operations - before;
}

/**
 * ipvsadmSave is the guest's `ipvsadm-save -n`, its lines sorted: the rules as a set, since
 * ipvsadm prints the kernel's order, which moves when a real server is deleted and added back
 * ("-A" service lines sort before their "-a" real server lines).
 */
export async function ipvsadmSave(guest: Guest): Promise<string> {
  const result = await guest.run('ipvsadm-save -n');
  if (result.code !== 0) throw new Error(`ipvsadm-save -n failed (${result.code}): ${result.stderr}`);
  return sortedLines(result.stdout);
}

/**
 * ipvsadmRealServers is `ipvsadm -Ln` for one service ("-t 192.0.2.1:80"), one
 * "address:port Forward Weight" string per real server, sorted as text (see ipvsadmSave); empty
 * when the service has none. Rejects when ipvsadm does (e.g. the service is missing).
 */
export async function ipvsadmRealServers(guest: Guest, service: readonly [string, string]): Promise<string[]> {
  const result = await guest.run(['ipvsadm', '-Ln', ...service]);
  if (result.code !== 0) throw new Error(`ipvsadm -Ln ${service.join(' ')} failed (${result.code}): ${result.stderr}`);
  // ipvsadm prints "  -> 10.0.0.1:80   Masq   3   0   0" under a "  -> RemoteAddress:Port ..." heading.
  return result.stdout
    .split('\n')
    .filter((line) => line.startsWith('  -> ') && !line.includes('RemoteAddress'))
    .map((line) => line.trim().split(/\s+/).slice(1, 4).join(' '))
    .sort();
}

/** sortedLines sorts a listing's lines, keeping its final newline. */
function sortedLines(text: string): string {
  const lines = text.split('\n').filter((line) => line !== '');
  return lines.length === 0 ? '' : `${lines.sort().join('\n')}\n`;
}
