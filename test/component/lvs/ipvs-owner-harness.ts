/**
 * ipvs-owner-harness: an IpvsOwner on the fake kernel and a fake clock, with every batch and log
 * line recorded, shared by the owner's component tests.
 */
import { pino } from 'pino';
import type { IpvsConfig, VirtualServer } from '../../../src/config/types.js';
import type { IpvsOperation } from '../../../src/ipvs/ipvs-port.js';
import { IpvsOwner } from '../../../src/lvs/ipvs-owner.js';
import type { WritesFirst } from '../../../src/netlink/dump-runner.js';
import { FakeClock } from '../../fakes/fake-clock.js';
import { FakeIpvs } from '../../fakes/fake-ipvs.js';

/** ipvsConfig leaves the kernel's timeouts and unmanaged services alone. */
export const ipvsConfig: IpvsConfig = { timeouts: { tcpSeconds: 0, tcpFinSeconds: 0, udpSeconds: 0 }, purgeUnmanaged: false };

/** settle lets every queued promise of a pass run; the fakes never wait on I/O. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** harness builds the owner with a 500 ms tick (and `writesFirst`, when given, as its gate); `batches` records what reached apply(). */
export function harness(virtualServers: readonly VirtualServer[], ipvs: IpvsConfig = ipvsConfig, writesFirst?: WritesFirst) {
  const kernel = new FakeIpvs();
  const batches: (readonly IpvsOperation[])[] = [];
  const apply = kernel.apply.bind(kernel);
  kernel.apply = (operations) => {
    batches.push(operations);
    return apply(operations);
  };
  const clock = new FakeClock();
  const logs: Record<string, unknown>[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => logs.push(JSON.parse(line) as Record<string, unknown>) });
  const owner = new IpvsOwner({ virtualServers, ipvs }, { ipvs: kernel, clock, log, writesFirst }, { tickIntervalMs: 500 });
  return { kernel, batches, clock, logs, owner };
}

/** weights maps each listed real server's address to its weight. */
export async function weights(kernel: FakeIpvs): Promise<Record<string, number>> {
  const table = await kernel.list();
  return Object.fromEntries(table.services.flatMap((s) => s.realServers.map((rs) => [rs.address, rs.weight])));
}
