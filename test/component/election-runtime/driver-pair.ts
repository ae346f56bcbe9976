/**
 * driver-pair: ElectionDrivers wired over a fake wire on one FakeClock, each with its own
 * StallingClock (its own event loop) and the real ElectionTimers and loop-delay sampler. This is
 * the production shell minus the thread and the socket.
 */
import { FakeClock } from '../../fakes/fake-clock.js';
import { optionsFor } from '../election/cluster.js';
import { StallingClock } from './stalling-clock.js';
import { ElectionDriver } from '../../../src/election-runtime/election-driver.js';
import { loopDelaySampler, type LoopDelayMonitor } from '../../../src/election-runtime/loop-delay.js';
import type { ElectionNotice, ElectionStatus } from '../../../src/election-runtime/messages.js';
import type { AdvertTransport, TransportCounters } from '../../../src/election-runtime/udp-transport.js';
import { initialElectionState } from '../../../src/election/election-state.js';
import { nodeIdFromName, type ElectionOptions } from '../../../src/election/options.js';

/** DriverNode is one node: its loop, its driver, and what it did. */
export interface DriverNode {
  readonly name: string;
  readonly clock: StallingClock;
  readonly driver: ElectionDriver;
  readonly notices: (ElectionNotice & { atMs: number })[];
  readonly sent: { atMs: number; bytes: Uint8Array }[];
  /** trace is what the node did, in order: `advert p=N` and notice kinds. */
  readonly trace: string[];
  stopped: ElectionStatus | undefined;
  alive: boolean;
  /** onNotice lets a test act on a notice as the daemon would (it may call back into the driver). */
  onNotice?: (notice: ElectionNotice) => void;
}

/** NodeSetup is one node's name, priority and option overrides. */
export type NodeSetup = { readonly name: string; readonly priority: number } & Partial<ElectionOptions> & {
  /** sampler: false runs the node without the loop-delay sampler (a negative control). */
  readonly sampler?: boolean;
};

/** ADVERT_PRIORITY_OFFSET is the priority byte of an advert (docs/protocol.md, byte layout). */
const ADVERT_PRIORITY_OFFSET = 7;

const noLoopDelay: LoopDelayMonitor = { takeMaxMs: () => 0, close: () => undefined };

/** driverNodes builds the nodes on one fake clock; call start() on each driver. */
export function driverNodes(setups: readonly NodeSetup[]): { fake: FakeClock; nodes: Record<string, DriverNode> } {
  const fake = new FakeClock();
  const names = setups.map((setup) => setup.name);
  const nodes: Record<string, DriverNode> = {};
  for (const { sampler, ...spec } of setups) {
    const clock = new StallingClock(fake);
    const options = optionsFor(spec, names);
    const counters: TransportCounters = { datagramsSent: 0, datagramsReceived: 0, fromSelf: 0, sendErrors: 0, lastSendError: null };
    const transport: AdvertTransport = {
      send(bytes) {
        node.sent.push({ atMs: fake.nowMs, bytes });
        node.trace.push(`advert p=${bytes[ADVERT_PRIORITY_OFFSET]}`);
        for (const peer of Object.values(nodes)) {
          if (peer === node || !peer.alive) continue;
          fake.schedule(0, () => {
            if (peer.alive) peer.clock.deliver(() => { peer.driver.receive(bytes); });
          });
        }
      },
      counters: () => counters,
    };
    const node: DriverNode = {
      name: spec.name,
      clock,
      notices: [],
      sent: [],
      trace: [],
      stopped: undefined,
      alive: true,
      driver: new ElectionDriver(initialElectionState(options, BigInt(nodeIdFromName(spec.name))), {
        clock,
        loopDelay: sampler === false ? noLoopDelay : loopDelaySampler(clock),
        transport,
        notify: (notice) => {
          node.notices.push({ ...notice, atMs: fake.nowMs });
          node.trace.push(notice.kind);
          node.onNotice?.(notice);
        },
        stopped: (status) => {
          node.stopped = status;
        },
      }),
    };
    nodes[spec.name] = node;
  }
  return { fake, nodes };
}

/** transitions lists a node's role changes as "atMs from→to (reason)". */
export function transitions(node: DriverNode): string[] {
  return node.notices.flatMap((notice) => (notice.kind === 'transition' ? [`${notice.atMs} ${notice.from}→${notice.to} (${notice.reason})`] : []));
}

/** crash stops a node dead: it sends and receives nothing more. */
export function crash(node: DriverNode): void {
  node.alive = false;
  node.driver.close();
}
