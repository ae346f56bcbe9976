/**
 * cluster: builds election options and a FakeElectionNetwork for scenario tests. Every node of a
 * cluster shares the group, interval, VIPs and key, as two directors with one YAML file would.
 */
import { FakeClock } from '../../fakes/fake-clock.js';
import { FakeElectionNetwork } from '../../fakes/fake-election-network.js';
import { defaultHandoverTimeoutMs, nodeIdFromName, type ElectionOptions } from '../../../src/election/options.js';

/** KEY_1 and KEY_2 are two 32-byte test keys (a rotation goes from one to the other). */
export const KEY_1 = new Uint8Array(32).fill(0x11);
export const KEY_2 = new Uint8Array(32).fill(0x22);

/** ADVERT_MS is the advert interval every scenario uses unless it says otherwise. */
export const ADVERT_MS = 1000;

/** NodeSpec is one node's own settings in a scenario. */
export type NodeSpec = { readonly name: string; readonly priority: number } & Partial<ElectionOptions>;

/** optionsFor builds the options of one node of a cluster of `names`. */
export function optionsFor(spec: NodeSpec, names: readonly string[]): ElectionOptions {
  return {
    groupId: 7,
    nodeId: nodeIdFromName(spec.name),
    peerNodeIds: names.filter((name) => name !== spec.name).map(nodeIdFromName),
    advertIntervalMs: ADVERT_MS,
    preempt: true,
    preemptDelayMs: 0,
    vips: ['192.0.2.10', '2001:db8::10'],
    keys: { current: KEY_1 },
    trackedInterfaces: [],
    trackedChecks: [],
    stallThresholdMs: ADVERT_MS / 2,
    handoverTimeoutMs: defaultHandoverTimeoutMs(ADVERT_MS),
    ...spec,
  };
}

/** Cluster is a clock, a network and the options each node was built with. */
export interface Cluster {
  readonly clock: FakeClock;
  readonly net: FakeElectionNetwork;
  readonly options: Readonly<Record<string, ElectionOptions>>;
}

/** optionsOf is the options a cluster built for one node. */
export function optionsOf(built: Cluster, name: string): ElectionOptions {
  const options = built.options[name];
  if (options === undefined) throw new Error(`cluster has no node ${name}`);
  return options;
}

/** cluster creates the nodes (in init; the test starts them) on a network with `delayMs` latency. */
export function cluster(specs: readonly NodeSpec[], delayMs = 0): Cluster {
  const clock = new FakeClock();
  const net = new FakeElectionNetwork(clock, { delayMs });
  const names = specs.map((spec) => spec.name);
  const options: Record<string, ElectionOptions> = {};
  for (const spec of specs) {
    const built = optionsFor(spec, names);
    options[spec.name] = built;
    net.addNode(spec.name, built);
  }
  return { clock, net, options };
}

/**
 * steadyPair starts a (priority 200) and b (priority 100) at 0 and runs to 10 s: a is master
 * since 3218 ms (its masterDown: 3 × 1000 + ⌊56 × 1000 / 256⌋) and adverts at 3218 + k × 1000.
 */
export function steadyPair(a: Partial<NodeSpec> = {}, b: Partial<NodeSpec> = {}, delayMs = 0): Cluster {
  const built = cluster([{ name: 'a', priority: 200, ...a }, { name: 'b', priority: 100, ...b }], delayMs);
  built.net.start('a', 'b');
  built.clock.advanceTo(10_000);
  return built;
}
