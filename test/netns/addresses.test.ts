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
import { withVethPair } from './helpers/netns.js';

addressPortContract('kernel in a network namespace', () =>
  withVethPair('addr', 'ta0', 'ta1', (left, _right, destroy) => {
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
        destroy();
      },
    });
  }),
);
