/**
 * semantic-checks: rules across list items and sections: the pair of nodes, the election
 * transport, duplicate VIPs and services, and services whose address no VIP carries.
 *
 * Each runs only when the data it reads has no issue at all (see `whenValid`): a part that failed
 * to parse is not the type these functions are written against, and would give false alarms.
 */
import type { z } from 'zod';
import { familyOf } from './addresses.js';
import { report } from './schema-primitives.js';
import type { configShapeSchema, nodeSchema, vipSchema } from './schema.js';

type Ctx = z.core.$RefinementCtx;
type ConfigShape = z.output<typeof configShapeSchema>;
type NodeInput = z.output<typeof nodeSchema>;
type VipInput = z.output<typeof vipSchema>;

/** reportRepeats reports every item whose key was already seen, naming the first one. */
function reportRepeats<T>(
  items: readonly T[],
  keyOf: (item: T, index: number) => string | null,
  onRepeat: (index: number, firstIndex: number, key: string) => void,
): void {
  const seen = new Map<string, number>();
  items.forEach((item, index) => {
    const key = keyOf(item, index);
    if (key === null) return;
    const first = seen.get(key);
    if (first === undefined) seen.set(key, index);
    else onRepeat(index, first, key);
  });
}

/** checkNodes is the refinement of `nodes`: two directors, with distinct names, host names and addresses. */
export function checkNodes(nodes: readonly NodeInput[], ctx: Ctx): void {
  if (nodes.length !== 2) {
    report(ctx, 'node-count', `nodes lists ${nodes.length} node(s), not 2`, 'tandem runs on a pair of directors: list exactly two nodes, one per director.');
  }
  reportRepeats(nodes, (node) => node.name, (index, first, name) => {
    report(ctx, 'duplicate-node', `node name '${name}' is already used by nodes[${first}]`, 'Give each director its own name.', [index, 'name']);
  });
  reportRepeats(nodes, (node) => node.hostname, (index, first, hostname) => {
    report(ctx, 'duplicate-node', `hostname '${hostname}' is already used by nodes[${first}]`, 'Each director needs its own hostname, or the node cannot be told from its peer.', [index, 'hostname']);
  });
  const owners = new Map<string, number>();
  nodes.forEach((node, index) => {
    node.addresses.forEach((address, position) => {
      const owner = owners.get(address);
      if (owner !== undefined && owner !== index) {
        report(ctx, 'duplicate-address', `${address} is also an address of nodes[${owner}]`, 'Each node\'s addresses are its own; the peer\'s addresses are taken from the other node.', [index, 'addresses', position]);
      }
      owners.set(address, index);
    });
  });
}

/** checkElection: the transport's keys agree, and both nodes can reach each other in one family. */
function checkElection(config: ConfigShape, ctx: Ctx): void {
  const { election, nodes } = config;
  if (election.transport === 'multicast' && election.multicastGroup === null) {
    report(ctx, 'missing-multicast-group', 'multicast transport needs multicastGroup', 'Add election.multicastGroup, e.g. 239.255.59.99 (an organisation-local group, RFC 2365).', ['election', 'transport']);
  }
  if (election.transport === 'unicast' && election.multicastGroup !== null) {
    report(ctx, 'multicast-group-without-multicast', 'multicastGroup is set but transport is unicast', 'Remove multicastGroup, or set transport: multicast.', ['election', 'multicastGroup']);
  }
  const families = nodes.map((node) => new Set(node.addresses.map(familyOf)));
  const [first, second] = families;
  if (election.transport === 'unicast' && first !== undefined && second !== undefined && ![...first].some((family) => second.has(family))) {
    report(ctx, 'election-family-mismatch', 'the two nodes share no address family, so they cannot send adverts to each other', 'Give both nodes an IPv4 address, or both an IPv6 address.', ['nodes', 1, 'addresses']);
  }
  const group = election.multicastGroup;
  if (election.transport === 'multicast' && group !== null) {
    families.forEach((set, index) => {
      if (!set.has(familyOf(group))) {
        report(ctx, 'election-family-mismatch', `nodes[${index}] has no address of the multicast group's family`, 'Give the node an address in the same family as election.multicastGroup.', ['nodes', index, 'addresses']);
      }
    });
  }
}

/** serviceKey identifies a service the way the kernel does: protocol, address, port, or fwmark and family. */
function serviceKey(vs: ConfigShape['virtualServers'][number]): string {
  return vs.protocol === 'fwmark' ? `fwmark ${vs.fwmark} ${vs.family}` : `${vs.protocol} ${vs.address} ${vs.port}`;
}

/** checkServices: no service twice, names unique, every address service on a VIP. */
function checkServices(config: ConfigShape, ctx: Ctx): void {
  const services = config.virtualServers;
  const repeated = new Set<number>();
  reportRepeats(services, serviceKey, (index, first) => {
    repeated.add(index);
    report(ctx, 'duplicate-virtual-server', `this service is already defined as virtualServers[${first}]`, 'IPVS keys a service by protocol, address and port (or fwmark and family): merge the two entries.', ['virtualServers', index]);
  });
  // A repeated service also repeats its default name; one issue for it is enough.
  reportRepeats(services, (vs, index) => (repeated.has(index) ? null : vs.name), (index, first, name) => {
    report(ctx, 'duplicate-name', `name '${name}' is already used by virtualServers[${first}]`, 'Give each virtual server its own name; logs and metrics use it.', ['virtualServers', index, 'name']);
  });
  const vipAddresses = new Set(config.vips.map((vip) => vip.address));
  services.forEach((vs, index) => {
    if (vs.protocol !== 'fwmark' && !vipAddresses.has(vs.address)) {
      report(ctx, 'vip-not-configured', `${vs.address} is not one of the vips`, 'Add it under vips so it moves with the active director, or correct the address.', ['virtualServers', index, 'address']);
    }
  });
}

/** checkSyncFamilies: the kernel refuses a sync daemon while a service has real servers of another family. */
function checkSyncFamilies(config: ConfigShape, ctx: Ctx): void {
  if (config.syncDaemon === null) return;
  config.virtualServers.forEach((vs, index) => {
    vs.realServers.forEach((rs, position) => {
      if (rs.family !== vs.family) {
        report(ctx, 'family-mismatch', `${rs.address} is not in its service's family, which the kernel refuses while a sync daemon runs`, 'Use a real server of the service\'s family, or remove syncDaemon.', ['virtualServers', index, 'realServers', position, 'address']);
      }
    });
  });
}

/** checkVips is the refinement of `vips`: each address once. */
export function checkVips(vips: readonly VipInput[], ctx: Ctx): void {
  reportRepeats(vips, (vip) => vip.address, (index, first, address) => {
    report(ctx, 'duplicate-vip', `${address} is already vips[${first}]`, 'List each VIP once.', [index, 'address']);
  });
}

/** checkConfig is the refinement of the whole file, for rules that join sections. */
export function checkConfig(config: ConfigShape, ctx: Ctx): void {
  checkElection(config, ctx);
  checkServices(config, ctx);
  checkSyncFamilies(config, ctx);
}
