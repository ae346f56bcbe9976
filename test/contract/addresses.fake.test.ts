import { expect, it } from 'vitest';
import { FakeAddresses } from '../fakes/fake-addresses.js';
import { FakeLinks } from '../fakes/fake-links.js';
import { addressPortContract } from './addresses.contract.js';
import { EventRecorder } from './addresses-and-links-recorder.js';
import type { AddressEvent, ResyncEvent } from '../../src/kernel/ports.js';

function world(): { links: FakeLinks; addresses: FakeAddresses; ifindex: number; otherIfindex: number } {
  const links = new FakeLinks();
  const ifindex = links.addLink({ name: 'veth0', mac: '02:00:00:00:0a:01', up: true }).index;
  const otherIfindex = links.addLink({ name: 'veth1', mac: '02:00:00:00:0a:02', up: true }).index;
  return { links, addresses: new FakeAddresses(links), ifindex, otherIfindex };
}

addressPortContract('fake', () => {
  const { addresses, ifindex, otherIfindex } = world();
  return Promise.resolve({ port: addresses, ifindex, otherIfindex, missingIfindex: 999, close: () => undefined });
});

// Fake-only behaviour the kernel also has but the shared contract cannot provoke safely.

it('fake: a link going down drops its IPv6 addresses, as Linux does, and keeps IPv4 ones', async () => {
  const { links, addresses, ifindex } = world();
  await addresses.add({ ifindex, address: '192.0.2.1', prefixLength: 32 });
  await addresses.add({ ifindex, address: '2001:db8::1', prefixLength: 128 });
  const recorder = new EventRecorder<AddressEvent | ResyncEvent>();
  addresses.subscribe(recorder.handler);
  links.setUp('veth0', false);
  await recorder.next('v6 removal', (e) => e.kind === 'address' && e.change === 'removed');
  expect((await addresses.list(ifindex)).map((a) => a.address)).toEqual(['192.0.2.1']);
  links.removeLink('veth0');
  await recorder.next('v4 removal', (e) => e.kind === 'address' && e.address.address === '192.0.2.1');
  expect(await addresses.list()).toEqual([]);
});

it('fake: an injected refusal fails once with the same typed error as the kernel', async () => {
  const { addresses, ifindex } = world();
  addresses.refuseNext('add', 'EPERM');
  await expect(addresses.add({ ifindex, address: '192.0.2.1', prefixLength: 32 })).rejects.toMatchObject({
    code: 'EPERM',
    message: expect.stringMatching(/CAP_NET_ADMIN/) as unknown,
  });
  expect(await addresses.add({ ifindex, address: '192.0.2.1', prefixLength: 32 })).toBe('added');
});
