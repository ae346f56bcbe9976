/**
 * The AddressPort contract against the kernel: a fresh pair of namespaces per test, joined by
 * a veth pair, with the port's sockets opened inside the left one (TestNamespace.run).
 */
import { RtnetlinkAddresses } from '../../src/kernel/addresses.js';
import { loadNative } from '../../src/kernel/native.js';
import { NETLINK_ROUTE } from '../../src/netlink/constants.js';
import { NativeNetlinkTransport } from '../../src/netlink/native-transport.js';
import { NetlinkSubscription } from '../../src/netlink/subscription.js';
import { addressPortContract } from '../contract/addresses.contract.js';
import { TestNamespace, vethPair } from './helpers/netns.js';

addressPortContract('kernel in a network namespace', () => {
  const left = TestNamespace.create('addr');
  const right = TestNamespace.create('addrpeer');
  try {
    vethPair(left, 'ta0', right, 'ta1');
    const { transport, ifindex } = left.run(() => ({
      transport: NativeNetlinkTransport.open(NETLINK_ROUTE),
      ifindex: loadNative().ifNameToIndex('ta0'),
    }));
    const port = new RtnetlinkAddresses(transport, (groups, onEvent) => left.run(() => NetlinkSubscription.open(groups, onEvent)));
    return Promise.resolve({
      port,
      ifindex,
      otherIfindex: 1, // lo, brought up by TestNamespace.create
      missingIfindex: 9999,
      close: () => {
        transport.close();
        left.destroy();
        right.destroy();
      },
    });
  } catch (error) {
    left.destroy();
    right.destroy();
    throw error;
  }
});
