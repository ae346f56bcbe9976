/**
 * election-setup: turns the loaded config, this director's node and the key set into what the
 * election thread needs. Pure: the daemon reads the key files and hands the bytes in.
 */
import { isIP } from 'node:net';
import type { NodeSelection } from '../config/select-node.js';
import type { Config } from '../config/types.js';
import { defaultHandoverTimeoutMs, defaultStallThresholdMs, nodeIdFromName } from '../election/options.js';
import type { KeySet } from '../election/types.js';
import type { ElectionRuntimeOptions } from '../election-runtime/election-runtime.js';
import type { ElectionTransportOptions } from '../election-runtime/udp-transport.js';

/** ElectionSetupError is a config the election shell cannot run yet; the message says what to change. */
export class ElectionSetupError extends Error {
  override readonly name = 'ElectionSetupError';
  /** code is stable, for scripts and tests. */
  readonly code = 'TANDEM_ELECTION_SETUP';
}

/** electionRuntimeOptions builds the election and transport options of `node.self`. */
export function electionRuntimeOptions(config: Config, node: NodeSelection, keys: KeySet): ElectionRuntimeOptions {
  const { election } = config;
  return {
    election: {
      groupId: election.groupId,
      nodeId: nodeIdFromName(node.self.name),
      peerNodeIds: [nodeIdFromName(node.peer.name)],
      priority: node.self.priority,
      advertIntervalMs: election.advertIntervalMs,
      preempt: election.preempt,
      preemptDelayMs: election.preemptDelayMs,
      vips: config.vips.map((vip) => vip.address),
      keys,
      trackedInterfaces: node.self.trackInterfaces,
      // Health checks that lower the priority arrive with the health component (a later issue).
      trackedChecks: [],
      stallThresholdMs: defaultStallThresholdMs(election.advertIntervalMs),
      handoverTimeoutMs: defaultHandoverTimeoutMs(election.advertIntervalMs),
    },
    transport: transportOptions(config, node),
  };
}

/** transportOptions: unicast to every peer address, or the multicast group joined on our first address. */
function transportOptions(config: Config, node: NodeSelection): ElectionTransportOptions {
  const { election } = config;
  const base = {
    port: election.port,
    bindAddresses: election.bindAddress === null ? node.self.addresses : [election.bindAddress],
    peers: node.peer.addresses.map((address) => ({ address, port: election.port })),
    ownAddresses: node.self.addresses,
  };
  if (election.transport === 'unicast') return { mode: 'unicast', ...base };
  const group = election.multicastGroup;
  const ownIpv4 = node.self.addresses.find((address) => isIP(address) === 4);
  if (group === null || isIP(group) !== 4 || ownIpv4 === undefined) {
    // node:dgram joins an IPv6 group by interface name (`::%ifname`), which the config does not carry yet.
    throw new ElectionSetupError(
      'election.transport multicast is implemented for IPv4 groups joined on an IPv4 node address only; use transport: unicast for IPv6 (multicast over IPv6 is not yet implemented)',
    );
  }
  return { mode: 'multicast', ...base, multicast: { group, interfaceAddress: ownIpv4 } };
}
