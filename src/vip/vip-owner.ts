/**
 * vip-owner: the one module that adds, removes and announces this node's VIPs.
 *
 * The election says hold or release; the owner makes the kernel agree and keeps it agreeing.
 * It serialises its own kernel calls (one reconcile at a time, requests coalesced), repairs drift
 * (a VIP deleted by hand while master is re-added from the address notification at once, and in
 * any case by the verify tick within `verifyIntervalMs`), and announces each VIP it holds with
 * bursts of gratuitous ARP / unsolicited NA (announce-schedule.ts).
 *
 * Taking the VIPs is on the failover's critical path, so hold() does the least first: it adds each
 * VIP where the last converge placed it and sends its first announcement at once, one rtnetlink
 * round trip per VIP, before the full converge (link dump, address dump, plan) confirms it. Each
 * netlink call is a trip through the libuv pool and back to this (main) thread, each a wake-up
 * that a loaded host delays. A placement at most one verify tick old can only be wrong if the
 * interface was replaced meanwhile; the converge that follows then repairs it.
 *
 * whenHeld() says when a take is complete: every VIP on its interface and announced since
 * (take-progress.ts). The daemon reports vipsHeld to the election only then, so a successor never
 * tells its leaving predecessor to let go of a VIP the kernel refused to add here. Until then no
 * VIP missing from the kernel is announced (that would pull its clients to a node that cannot
 * answer), and each frame of the announcement schedule first retries the missing adds; once the
 * schedule is over, the verify tick does.
 *
 * A handover to a successor gives the VIPs up make-before-break too: release('handover') stops
 * announcing at once but keeps the addresses for releaseDelayMs (announce-schedule.ts) before it
 * removes them, so clients that have not yet moved to the successor, and connections accepted
 * just before they moved, are still answered. A hold() meanwhile ends the wait and keeps the
 * addresses. Any other release (a higher master heard, a fault, no successor answered) removes
 * them at once: after a split brain heals the VIP must not stay on both directors for longer than
 * one advert interval.
 *
 * Failures are logged and counted, never thrown to the caller: the next tick retries them.
 */
import type { Logger } from 'pino';
import type { AnnounceConfig, Vip } from '../config/types.js';
import type { MonotonicClock, ScheduledTimer } from '../election-runtime/monotonic-clock.js';
import type { AddressEvent, AddressPort, AnnouncePort, Link, LinkPort, ResyncEvent, Unsubscribe } from '../kernel/ports.js';
import { burstOffsetsMs, refreshOffsetsMs, releaseDelayMs } from './announce-schedule.js';
import { TakeProgress } from './take-progress.js';
import { planVips, type PlacedVip } from './vip-plan.js';

/** VipOwnerPorts are the kernel resources and the clock the owner uses. */
export interface VipOwnerPorts {
  readonly addresses: AddressPort;
  readonly links: LinkPort;
  readonly announcer: AnnouncePort;
  readonly clock: MonotonicClock;
  readonly log: Logger;
}

/** VipOwnerStats are counters for status and metrics. */
export interface VipOwnerStats {
  holding: boolean;
  /** VIPs re-added (or removed) because the kernel drifted from what the owner had set. */
  repairs: number;
  announcements: number;
  errors: number;
}

/** VipOwnerOptions: how often to re-read the kernel while nothing is reported. */
export interface VipOwnerOptions {
  readonly verifyIntervalMs: number;
}

/**
 * ReleaseReason says why the VIPs go: 'handover' when a successor has taken them over (it adverted
 * as master after our priority-0 adverts; the addresses linger for one announce burst),
 * 'step-down' for everything else.
 */
export type ReleaseReason = 'handover' | 'step-down';

/** DEFAULT_VERIFY_INTERVAL_MS re-reads addresses once a second, the drift-repair bound. */
export const DEFAULT_VERIFY_INTERVAL_MS = 1000;

/** VipOwner holds or releases a set of VIPs on this node. */
export class VipOwner {
  readonly stats: VipOwnerStats = { holding: false, repairs: 0, announcements: 0, errors: 0 };
  #vips: readonly Vip[];
  #announce: AnnounceConfig;
  readonly #ports: VipOwnerPorts;
  readonly #options: VipOwnerOptions;
  #running: Promise<void> = Promise.resolve();
  #reconcilePending = false;
  /** Set when a reconcile was asked for because the kernel changed under us, not by us. */
  #driftSuspected = false;
  #announceTimers: ScheduledTimer[] = [];
  /** lastPlacement is where the latest converge found each VIP's interface, and its MAC. */
  #lastPlacement: { readonly placed: readonly PlacedVip[]; readonly links: readonly Link[] } | undefined;
  #verifyTimer: ScheduledTimer | undefined;
  #unsubscribe: Unsubscribe | undefined;
  /** Set while release() keeps the addresses before removing them; calling it ends the wait. */
  #endReleaseDelay: (() => void) | undefined;
  /** #take is the current hold's progress towards held; undefined while released. */
  #take: TakeProgress | undefined;

  constructor(vips: readonly Vip[], announce: AnnounceConfig, ports: VipOwnerPorts, options: VipOwnerOptions = { verifyIntervalMs: DEFAULT_VERIFY_INTERVAL_MS }) {
    this.#vips = vips;
    this.#announce = announce;
    this.#ports = ports;
    this.#options = options;
  }

  /** start subscribes to address changes and begins the verify tick, in the released state. */
  start(): Promise<void> {
    this.#unsubscribe = this.#ports.addresses.subscribe((event) => {
      this.#onAddressEvent(event);
    });
    this.#scheduleVerify();
    return this.#reconcile();
  }

  /**
   * hold adds every VIP and announces them; it resolves once the addresses are in place. Taking
   * them (not holding before) adds and announces each at once from the last placement (see the
   * file comment), then converges and runs the rest of the announcement schedule.
   */
  async hold(): Promise<void> {
    // Taken back during a release's delay: the addresses never left, the delay ends here.
    this.#endReleaseDelay?.();
    const taking = !this.stats.holding;
    if (taking) this.#ports.log.info({ event: 'vip.hold', vips: this.#vips.map((v) => v.address) }, 'taking the VIPs');
    this.stats.holding = true;
    if (taking) {
      this.#take = new TakeProgress(this.#vips.map((vip) => vip.address));
      // A converge still queued now carries out this hold: what it adds is no repair.
      this.#driftSuspected = false;
    }
    const announcedFirst = taking && (await this.#takeAtOnce());
    await this.#reconcile();
    this.#startAnnouncing(announcedFirst ? 1 : 0);
  }

  /**
   * whenHeld resolves true once every VIP of the current hold is on its interface and has been
   * announced, which may be before hold() resolves (its converge comes after) or, after a refused
   * add, later; false if the VIPs are released (or the owner stops) first, or none are held.
   */
  whenHeld(): Promise<boolean> {
    return this.#take?.held ?? Promise.resolve(false);
  }

  /**
   * release stops announcing, then removes every VIP; it resolves once they are gone. Announcing
   * stops first and synchronously: once the peer has taken over, any frame of ours would pull its
   * clients back to us. On a handover the addresses stay for the release delay, so that we still
   * answer the clients the successor's announcement has not moved yet.
   */
  async release(reason: ReleaseReason): Promise<void> {
    this.#cancelAnnouncements();
    this.#take?.abandon();
    this.#take = undefined;
    const delayMs = reason === 'handover' ? releaseDelayMs(this.#announce) : 0;
    if (this.stats.holding) {
      this.#ports.log.info({ event: 'vip.release', reason, releaseDelayMs: delayMs }, 'releasing the VIPs');
      this.stats.holding = false;
      await this.#releaseDelay(delayMs);
    }
    await this.#reconcile();
  }

  /** #releaseDelay resolves after delayMs, or as soon as hold() takes the VIPs back. */
  #releaseDelay(delayMs: number): Promise<void> {
    if (delayMs <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = this.#ports.clock.schedule(delayMs, () => { end(); });
      const end = (): void => {
        timer.cancel();
        this.#endReleaseDelay = undefined;
        resolve();
      };
      this.#endReleaseDelay = end;
    });
  }

  /** announce starts a fresh announcement schedule for every VIP (after a split brain heals, too). */
  announce(): void {
    this.#startAnnouncing(0);
  }

  /** update swaps in a reloaded VIP list and announce settings, then converges on them. */
  async update(vips: readonly Vip[], announce: AnnounceConfig): Promise<void> {
    // A reload ends a release's delay: the converges below must be free to remove what left.
    this.#endReleaseDelay?.();
    const removed = this.#vips.filter((old) => !vips.some((vip) => vip.address === old.address && vip.prefixLength === old.prefixLength && vip.interface === old.interface));
    const wasHolding = this.stats.holding;
    // Removed VIPs leave the kernel first, with the old list, so nothing stale stays behind.
    if (removed.length > 0) {
      this.#vips = removed;
      this.stats.holding = false;
      await this.#reconcile();
      this.stats.holding = wasHolding;
    }
    this.#vips = vips;
    this.#announce = announce;
    // The converge below confirms the new list and announce() announces it: held is about that list.
    this.#take?.restart(vips.map((vip) => vip.address));
    await this.#reconcile();
    if (wasHolding) this.announce();
  }

  /** stop cancels every timer and the subscription; it leaves the addresses as they are. */
  async stop(): Promise<void> {
    this.#cancelAnnouncements();
    this.#take?.abandon(); // whenHeld() callers learn the take was never completed
    this.#verifyTimer?.cancel();
    this.#verifyTimer = undefined;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    await this.#running;
  }

  /** #startAnnouncing runs the announcement schedule, less its first `alreadySent` frames. */
  #startAnnouncing(alreadySent: number): void {
    this.#cancelAnnouncements();
    if (!this.stats.holding) return;
    this.#announceTimers = burstOffsetsMs(this.#announce)
      .slice(alreadySent)
      .map((offset) => this.#ports.clock.schedule(offset, () => void this.#announceAll()));
    this.#scheduleRefresh();
  }

  /**
   * #takeAtOnce adds each VIP where the last converge placed it and announces it right after its
   * add. It waits for a converge in flight first, so that one cannot remove what this adds. It
   * returns true when every VIP was announced; a failure is counted and left to the converge.
   */
  async #takeAtOnce(): Promise<boolean> {
    await this.#running;
    const placement = this.#lastPlacement;
    const take = this.#take;
    if (placement === undefined || placement.placed.length !== this.#vips.length) return false;
    let announced = 0;
    for (const vip of placement.placed) {
      if (!this.#holdingNow()) return false;
      const mac = placement.links.find((link) => link.index === vip.ifindex)?.mac;
      try {
        // 'already-present' (EEXIST) is as good as added: the address is on the interface.
        await this.#ports.addresses.add(vip);
        take?.present(vip.address);
        if (!this.#holdingNow()) continue;
        await this.#announceOne(vip, mac);
        take?.announced(vip.address);
        announced++;
      } catch (error) {
        this.stats.errors++;
        this.#ports.log.warn({ event: 'vip.take.error', vip: vip.address, err: error }, 'could not take a VIP at once; the converge that follows retries');
      }
    }
    return announced === placement.placed.length;
  }

  /**
   * #onAddressEvent reconciles when the kernel moved away from what the owner wants: a VIP removed
   * while holding, or added while released. The echo of the owner's own add or remove is no drift,
   * and a converge for it would hold the netlink transport while the next VIP waits to be taken.
   */
  #onAddressEvent(event: AddressEvent | ResyncEvent): void {
    const drifted = event.kind === 'resync' || (event.change === 'removed') === this.stats.holding;
    if (drifted && (event.kind === 'resync' || this.#vips.some((vip) => vip.address === event.address.address))) {
      this.#driftSuspected = true;
      void this.#reconcile();
    }
  }

  #scheduleVerify(): void {
    this.#verifyTimer = this.#ports.clock.schedule(this.#options.verifyIntervalMs, () => {
      this.#driftSuspected = true;
      void this.#reconcile().finally(() => {
        // A take the schedule could not complete (an add or send kept failing); this converge retried the adds.
        if (this.#take?.complete === false) void this.#announcePresent();
        if (this.#verifyTimer !== undefined) this.#scheduleVerify();
      });
    });
  }

  #scheduleRefresh(): void {
    const periodMs = this.#announce.refreshIntervalMs;
    if (periodMs === 0) return;
    this.#announceTimers.push(
      this.#ports.clock.schedule(periodMs, () => {
        for (const offset of refreshOffsetsMs(this.#announce)) {
          this.#announceTimers.push(this.#ports.clock.schedule(offset, () => void this.#announceAll()));
        }
        this.#scheduleRefresh();
      }),
    );
  }

  #cancelAnnouncements(): void {
    for (const timer of this.#announceTimers) timer.cancel();
    this.#announceTimers = [];
  }

  /** #reconcile runs one converge pass after those already queued; concurrent asks share a pass. */
  #reconcile(): Promise<void> {
    if (this.#reconcilePending) return this.#running;
    this.#reconcilePending = true;
    this.#running = this.#running.then(async () => {
      this.#reconcilePending = false;
      const repairing = this.#driftSuspected;
      this.#driftSuspected = false;
      await this.#converge(repairing);
    });
    return this.#running;
  }

  async #converge(driftSuspected: boolean): Promise<void> {
    try {
      const holdingBefore = this.#holdingNow();
      const { placed } = await this.#place();
      const actual = await this.#ports.addresses.list();
      // Read after the awaits: a hold() or release() may have changed it meanwhile, and then
      // the difference is that request being carried out, not the kernel drifting.
      const holding = this.#holdingNow();
      const repairing = driftSuspected && holding === holdingBefore;
      const take = holding ? this.#take : undefined;
      // During a release's delay the addresses stay: a verify tick then must not remove them early.
      const plan = !holding && this.#endReleaseDelay !== undefined ? { add: [], remove: [] } : planVips(placed, holding, actual);
      // All to add are absent first: a refused add ends the pass, and no VIP after it may be announced.
      for (const vip of plan.add) take?.absent(vip.address);
      for (const vip of placed) if (!plan.add.includes(vip)) take?.present(vip.address);
      const repaired: PlacedVip[] = [];
      for (const vip of plan.add) {
        await this.#ports.addresses.add(vip);
        take?.present(vip.address);
        // Until the take is complete, an add finishes taking the VIPs: no drift (the schedule announces it).
        if (repairing && take?.complete !== false) repaired.push(this.#repaired('vip.repair.add', vip));
      }
      for (const vip of plan.remove) {
        await this.#ports.addresses.remove(vip);
        if (repairing) this.#repaired('vip.repair.remove', vip);
      }
      if (repaired.length > 0) void this.#announceAll(repaired);
    } catch (error) {
      this.stats.errors++;
      this.#ports.log.error({ event: 'vip.error', err: error }, 'could not converge the VIPs; retrying on the next tick');
    }
  }

  /** #repaired counts and logs one repair, and returns the VIP repaired. */
  #repaired(event: string, vip: PlacedVip): PlacedVip {
    this.stats.repairs++;
    this.#ports.log.warn({ event, vip: vip.address, interface: vip.interfaceName }, 'the kernel drifted from the VIP owner; repaired');
    return vip;
  }

  /** #place resolves each VIP's interface name to its current index, and remembers the placement. */
  async #place(): Promise<{ placed: PlacedVip[]; links: Link[] }> {
    const vips = this.#vips;
    const links = await this.#ports.links.list();
    const placed = vips.map((vip) => {
      const link = links.find((candidate) => candidate.name === vip.interface);
      if (link === undefined) throw new Error(`interface ${vip.interface} of VIP ${vip.address}/${vip.prefixLength} does not exist`);
      return { address: vip.address, prefixLength: vip.prefixLength, ifindex: link.index, interfaceName: vip.interface };
    });
    // Only a placement of the whole current list is reused by #takeAtOnce (update() places subsets).
    if (vips === this.#vips) this.#lastPlacement = { placed, links };
    return { placed, links };
  }

  /** #holdingNow reads the flag afresh: the compiler would carry a check from before an await over it. */
  #holdingNow(): boolean {
    return this.stats.holding;
  }

  async #announceAll(only?: readonly PlacedVip[]): Promise<void> {
    if (!this.stats.holding) return;
    // A take still missing a VIP retries the add first: the announcement schedule is its retry schedule.
    if (this.#take?.missing === true) await this.#reconcile();
    await this.#announcePresent(only);
  }

  /**
   * #announceOne sends one gratuitous ARP / NA for `vip` from `mac`, unless none is owed: a link
   * without a MAC has no neighbour cache to update, and announce.count 0 asks for no frames at all.
   */
  async #announceOne(vip: PlacedVip, mac: string | undefined): Promise<void> {
    if (mac === undefined || this.#announce.count === 0) return;
    await this.#ports.announcer.announce(vip.address, { ifindex: vip.ifindex, mac });
    this.stats.announcements++;
  }

  /** #announcePresent announces every placed VIP (or `only`) known on its interface; it converges nothing. */
  async #announcePresent(only?: readonly PlacedVip[]): Promise<void> {
    try {
      const placement = await this.#place();
      const links = placement.links;
      const targets = only ?? placement.placed;
      for (const vip of targets) {
        // Checked again after the awaits: release() may have run meanwhile, and a gratuitous ARP
        // sent after the peer's would point the clients back at us (docs/protocol.md "Split brain heals").
        if (!this.#holdingNow()) return;
        const take = this.#take;
        // Nor may one point them at a VIP the kernel refused to add here: nobody would answer.
        if (take?.isPresent(vip.address) === false) continue;
        const link = links.find((candidate) => candidate.index === vip.ifindex);
        if (link === undefined) continue;
        await this.#announceOne(vip, link.mac);
        take?.announced(vip.address);
      }
    } catch (error) {
      this.stats.errors++;
      this.#ports.log.warn({ event: 'vip.announce.error', err: error }, 'could not announce a VIP');
    }
  }
}
