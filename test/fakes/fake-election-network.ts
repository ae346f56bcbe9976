/**
 * fake-election-network: N election cores wired together by a driver that carries out their
 * actions the way the daemon will, over a fake network and a FakeClock.
 *
 * - sendAdvert is delivered to every other node after `delayMs`, unless the link is cut
 *   (partition/block) or a loss rule drops it. Every datagram sent is kept in `wire` so tests
 *   can replay, truncate or flip bits in real traffic.
 * - armTimer/cancelTimer become FakeClock callbacks; a firing becomes a timerFired event.
 * - stall(node, ms) freezes one node's event loop: what falls due meanwhile is queued and runs
 *   when the stall ends, timers first and then datagrams and vipsHeld reports, as Node's event
 *   loop orders its phases; lateByMs is how late each timer ran.
 * - addVips is carried out by the node's "main thread", mainThreadLagMs later (0 unless
 *   setMainThreadLag says otherwise, 'stuck' for never): only then does the node hold the VIPs
 *   and report vipsHeld to its core, as the daemon does once VipOwner.whenHeld() says every VIP is
 *   on its interface and announced. removeVips takes
 *   effect at once and drops a pending add: the worst case for make-before-break.
 * - addVips/removeVips/announce/transition/rejected/stall/configMismatch are recorded with times.
 */
import { initialElectionState, type ElectionState } from '../../src/election/election-state.js';
import { nodeIdFromName, type ElectionOptions } from '../../src/election/options.js';
import { step } from '../../src/election/state-machine.js';
import type { ElectionAction, ElectionEvent, TimerName } from '../../src/election/types.js';
import type { FakeClock, FakeTimerHandle } from './fake-clock.js';

/** Recorded is one action a node carried out, stamped with the fake time. */
export type Recorded = ElectionAction & { readonly atMs: number };

/** WireDatagram is one datagram a node put on the fake wire. */
export interface WireDatagram {
  readonly atMs: number;
  readonly from: string;
  readonly bytes: Uint8Array;
  readonly priority: number;
  readonly flags: number;
}

interface ArmedTimer {
  readonly handle: FakeTimerHandle;
  readonly dueAtMs: number;
  readonly generation: number;
}

type Deferred =
  | { readonly kind: 'timer'; readonly timer: TimerName; readonly generation: number; readonly dueAtMs: number }
  | { readonly kind: 'event'; readonly event: ElectionEvent };

interface FakeNode {
  readonly name: string;
  options: ElectionOptions;
  state: ElectionState;
  readonly timers: Map<TimerName, ArmedTimer>;
  generation: number;
  boots: number;
  alive: boolean;
  vipsHeld: boolean;
  mainThreadLagMs: number | 'stuck';
  /** pendingAdd is the main thread's addVips not yet carried out. */
  pendingAdd: FakeTimerHandle | undefined;
  stalledUntilMs: number;
  deferred: Deferred[];
  readonly log: Recorded[];
}

/** LossRule decides whether one datagram from `from` to `to` is lost. */
export type LossRule = (from: string, to: string, datagram: WireDatagram) => boolean;

/** FakeElectionNetwork drives election cores over a fake network; see the file comment. */
export class FakeElectionNetwork {
  readonly #clock: FakeClock;
  readonly #nodes = new Map<string, FakeNode>();
  readonly #blocked = new Set<string>();
  #loss: LossRule = () => false;
  #delayMs: number;
  /** wire is every datagram sent, in order. */
  readonly wire: WireDatagram[] = [];

  constructor(clock: FakeClock, options: { delayMs?: number } = {}) {
    this.#clock = clock;
    this.#delayMs = options.delayMs ?? 0;
  }

  /** addNode creates a node in init; call start() to send it the startup event. */
  addNode(name: string, options: ElectionOptions): void {
    const node: FakeNode = {
      name,
      options,
      state: initialElectionState(options, epochFor(name, 1)),
      timers: new Map(),
      generation: 0,
      boots: 1,
      alive: true,
      vipsHeld: false,
      mainThreadLagMs: 0,
      pendingAdd: undefined,
      stalledUntilMs: 0,
      deferred: [],
      log: [],
    };
    this.#nodes.set(name, node);
  }

  /** start sends startup to the named nodes, in order, at the current time. */
  start(...names: string[]): void {
    for (const name of names) this.dispatch(name, { kind: 'startup' });
  }

  /** dispatch hands one event to a node now (or queues it if the node is stalled). */
  dispatch(name: string, event: ElectionEvent): void {
    const node = this.#node(name);
    if (!node.alive) return;
    if ((event.kind === 'datagram' || event.kind === 'vipsHeld') && this.#clock.nowMs < node.stalledUntilMs) {
      node.deferred.push({ kind: 'event', event });
      return;
    }
    const result = step(node.state, event);
    node.state = result.state;
    for (const action of result.actions) this.#execute(node, action);
  }

  /** inject delivers raw bytes to a node as a received datagram, bypassing the links. */
  inject(to: string, bytes: Uint8Array): void {
    this.dispatch(to, { kind: 'datagram', bytes });
  }

  /** crash kills a node without a word, as a power cut does: timers stop, VIPs vanish. */
  crash(name: string): void {
    const node = this.#node(name);
    for (const armed of node.timers.values()) armed.handle.cancel();
    node.timers.clear();
    node.pendingAdd?.cancel();
    node.pendingAdd = undefined;
    node.alive = false;
    node.vipsHeld = false;
  }

  /** reboot brings a crashed (or running) node back with a fresh epoch, in init, and starts it. */
  reboot(name: string, options?: ElectionOptions): void {
    const node = this.#node(name);
    this.crash(name);
    node.boots += 1;
    if (options !== undefined) node.options = options;
    node.state = initialElectionState(node.options, epochFor(name, node.boots));
    node.alive = true;
    node.deferred = [];
    this.start(name);
  }

  /** stall freezes a node's event loop for ms; see the file comment. */
  stall(name: string, ms: number): void {
    const node = this.#node(name);
    node.stalledUntilMs = this.#clock.nowMs + ms;
    this.#clock.schedule(ms, () => {
      this.#resume(node);
    });
  }

  /** setMainThreadLag sets how long a node's main thread takes to carry out addVips ('stuck': never). */
  setMainThreadLag(name: string, lagMs: number | 'stuck'): void {
    this.#node(name).mainThreadLagMs = lagMs;
  }

  /** block cuts the one-way link from → to. */
  block(from: string, to: string): void {
    this.#blocked.add(`${from}>${to}`);
  }

  /** partition cuts both directions between every node of `side` and every other node. */
  partition(...side: string[]): void {
    for (const a of side) {
      for (const b of this.#nodes.keys()) {
        if (side.includes(b)) continue;
        this.block(a, b);
        this.block(b, a);
      }
    }
  }

  /** heal restores every link. */
  heal(): void {
    this.#blocked.clear();
  }

  /** setLoss installs a loss rule (replacing the previous one). */
  setLoss(rule: LossRule): void {
    this.#loss = rule;
  }

  /** dropNextAdverts loses the next `count` adverts sent by `from`, to everyone. */
  dropNextAdverts(from: string, count: number): void {
    let left = count;
    const dropped = new Set<Uint8Array>();
    const previous = this.#loss;
    this.#loss = (sender, to, datagram) => {
      // One datagram goes to every peer: count it once, drop it for all.
      if (sender === from && left > 0 && !dropped.has(datagram.bytes)) {
        dropped.add(datagram.bytes);
        left -= 1;
      }
      return dropped.has(datagram.bytes) || previous(sender, to, datagram);
    };
  }

  /** state is a node's current election state. */
  state(name: string): ElectionState {
    return this.#node(name).state;
  }

  /** roles maps every node to its role name, for compact assertions. */
  roles(): Record<string, string> {
    return Object.fromEntries([...this.#nodes.values()].map((node) => [node.name, node.alive ? node.state.name : 'dead']));
  }

  /** vipHolders lists the nodes that currently hold the VIPs. */
  vipHolders(): string[] {
    return [...this.#nodes.values()].filter((node) => node.vipsHeld).map((node) => node.name);
  }

  /** log is every action a node carried out, with times. */
  log(name: string): readonly Recorded[] {
    return this.#node(name).log;
  }

  /** transitions is a node's role changes as "atMs from→to (reason)" lines. */
  transitions(name: string): string[] {
    return this.#node(name)
      .log.flatMap((entry) => (entry.kind === 'transition' ? [`${entry.atMs} ${entry.from}→${entry.to} (${entry.reason})`] : []));
  }

  /** nodeId is the id the network gave a node's name. */
  nodeId(name: string): number {
    return this.#node(name).options.nodeId;
  }

  #execute(node: FakeNode, action: ElectionAction): void {
    const atMs = this.#clock.nowMs;
    node.log.push({ ...action, atMs });
    switch (action.kind) {
      case 'sendAdvert':
        this.#send(node, { atMs, from: node.name, bytes: action.bytes, priority: action.priority, flags: action.flags });
        return;
      case 'armTimer':
        this.#arm(node, action.timer, action.afterMs);
        return;
      case 'cancelTimer':
        node.timers.get(action.timer)?.handle.cancel();
        node.timers.delete(action.timer);
        return;
      case 'addVips':
        this.#addVipsOnMainThread(node, action.takeover);
        return;
      case 'removeVips':
        node.pendingAdd?.cancel();
        node.pendingAdd = undefined;
        node.vipsHeld = false;
        return;
      default:
        return;
    }
  }

  /**
   * #addVipsOnMainThread holds the VIPs and reports vipsHeld mainThreadLagMs later. With no lag
   * the VIPs are held at once and the report is queued behind the actions being carried out.
   */
  #addVipsOnMainThread(node: FakeNode, takeover: number): void {
    const lagMs = node.mainThreadLagMs;
    if (lagMs === 'stuck') return;
    if (lagMs === 0) node.vipsHeld = true;
    node.pendingAdd?.cancel();
    node.pendingAdd = this.#clock.schedule(lagMs, () => {
      node.pendingAdd = undefined;
      if (!node.alive) return;
      node.vipsHeld = true;
      this.dispatch(node.name, { kind: 'vipsHeld', takeover });
    });
  }

  #send(node: FakeNode, datagram: WireDatagram): void {
    this.wire.push(datagram);
    for (const peer of this.#nodes.values()) {
      if (peer === node || this.#blocked.has(`${node.name}>${peer.name}`)) continue;
      if (this.#loss(node.name, peer.name, datagram)) continue;
      this.#clock.schedule(this.#delayMs, () => {
        this.dispatch(peer.name, { kind: 'datagram', bytes: datagram.bytes });
      });
    }
  }

  #arm(node: FakeNode, timer: TimerName, afterMs: number): void {
    node.timers.get(timer)?.handle.cancel();
    const generation = ++node.generation;
    const dueAtMs = this.#clock.nowMs + afterMs;
    const handle = this.#clock.schedule(afterMs, () => {
      if (node.timers.get(timer)?.generation !== generation || !node.alive) return;
      if (this.#clock.nowMs < node.stalledUntilMs) {
        node.deferred.push({ kind: 'timer', timer, generation, dueAtMs });
        return;
      }
      node.timers.delete(timer);
      this.dispatch(node.name, { kind: 'timerFired', timer, lateByMs: 0 });
    });
    node.timers.set(timer, { handle, dueAtMs, generation });
  }

  #resume(node: FakeNode): void {
    const queued = node.deferred;
    node.deferred = [];
    const timers = queued.filter((item) => item.kind === 'timer').sort((a, b) => a.dueAtMs - b.dueAtMs);
    for (const item of timers) {
      if (node.timers.get(item.timer)?.generation !== item.generation) continue;
      node.timers.delete(item.timer);
      this.dispatch(node.name, { kind: 'timerFired', timer: item.timer, lateByMs: this.#clock.nowMs - item.dueAtMs });
    }
    for (const item of queued) if (item.kind === 'event') this.dispatch(node.name, item.event);
  }

  #node(name: string): FakeNode {
    const node = this.#nodes.get(name);
    if (node === undefined) throw new Error(`FakeElectionNetwork: no node named ${name}`);
    return node;
  }
}

/** epochFor gives each (node, boot) a distinct, reproducible epoch. */
function epochFor(name: string, boot: number): bigint {
  return (BigInt(nodeIdFromName(name)) << 16n) | BigInt(boot);
}
