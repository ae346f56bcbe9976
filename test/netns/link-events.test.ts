/**
 * The LinkPort contract against the kernel (a veth in a namespace going down and up), and the
 * carrier loss a director sees when the far end of its link goes away.
 */
import { expect, it } from 'vitest';
import { RtnetlinkLinks } from '../../src/kernel/links.js';
import type { LinkEvent, ResyncEvent } from '../../src/kernel/ports.js';
import { NETLINK_ROUTE } from '../../src/netlink/constants.js';
import { NativeNetlinkTransport } from '../../src/netlink/native-transport.js';
import { NetlinkSubscription } from '../../src/netlink/subscription.js';
import { EventRecorder } from '../contract/addresses-and-links-recorder.js';
import { linkPortContract } from '../contract/links.contract.js';
import { withVethPair, type TestNamespace } from './helpers/netns.js';

const MAC = '02:00:00:00:0c:01';

/** world makes two namespaces joined by veth tl0 (left, fixed MAC) and tl1 (right). */
function world(): { left: TestNamespace; right: TestNamespace; port: RtnetlinkLinks; close: () => void } {
  return withVethPair('link', 'tl0', 'tl1', (left, right, destroy) => {
    left.ip('link', 'set', 'tl0', 'address', MAC, 'mtu', '1400');
    const transport = left.run(() => NativeNetlinkTransport.open(NETLINK_ROUTE));
    const port = new RtnetlinkLinks(transport, (groups, onEvent) => left.run(() => NetlinkSubscription.open(groups, onEvent)));
    return {
      left,
      right,
      port,
      close: () => {
        transport.close();
        destroy();
      },
    };
  });
}

linkPortContract('kernel in a network namespace', () => {
  const { left, port, close } = world();
  return Promise.resolve({
    port,
    name: 'tl0',
    mac: MAC,
    mtu: 1400,
    setUp: (up: boolean) => {
      left.ip('link', 'set', 'tl0', up ? 'up' : 'down');
    },
    close,
  });
});

it('kernel: the peer going down takes carrier away while the link stays administratively up', async () => {
  const { right, port, close } = world();
  const recorder = new EventRecorder<LinkEvent | ResyncEvent>();
  const unsubscribe = port.subscribe(recorder.handler);
  try {
    right.ip('link', 'set', 'tl1', 'down');
    const event = await recorder.next('carrier loss on tl0', (e) => e.kind === 'link' && e.link.name === 'tl0' && !e.link.lowerUp);
    expect(event).toMatchObject({ link: { up: true, lowerUp: false, running: false, operState: 'down' } });
    expect(await port.byName('tl0')).toMatchObject({ up: true, lowerUp: false });
  } finally {
    unsubscribe();
    close();
  }
});
