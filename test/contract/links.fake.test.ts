import { expect, it } from 'vitest';
import type { LinkEvent, ResyncEvent } from '../../src/kernel/ports.js';
import { FakeLinks } from '../fakes/fake-links.js';
import { EventRecorder } from './addresses-and-links-recorder.js';
import { linkPortContract } from './links.contract.js';

linkPortContract('fake', () => {
  const links = new FakeLinks();
  links.addLink({ name: 'veth0', mac: '02:00:00:00:0a:01', mtu: 1500, up: true });
  return Promise.resolve({
    port: links,
    name: 'veth0',
    mac: '02:00:00:00:0a:01',
    mtu: 1500,
    setUp: (up: boolean) => {
      links.setUp('veth0', up);
    },
    close: () => undefined,
  });
});

it('fake: losing carrier leaves the link up but not lower-up, and an overrun asks for a resync', async () => {
  const links = new FakeLinks();
  links.addLink({ name: 'veth0', up: true });
  const recorder = new EventRecorder<LinkEvent | ResyncEvent>();
  links.subscribe(recorder.handler);
  links.setCarrier('veth0', false);
  expect(await recorder.next('carrier loss', (e) => e.kind === 'link' && !e.link.lowerUp)).toMatchObject({
    link: { up: true, lowerUp: false, running: false, operState: 'down' },
  });
  links.overrun();
  await recorder.next('resync', (e) => e.kind === 'resync');
});
