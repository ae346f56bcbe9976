/**
 * fake-links: an in-memory LinkPort that behaves like the kernel's link table: indexes are
 * never reused, names are unique, and every change is notified (asynchronously, as netlink
 * notifications arrive after the change that caused them).
 */
import type { Link, LinkEvent, LinkPort, ResyncEvent, Unsubscribe } from '../../src/kernel/ports.js';

/** NewLink is what a test says about a link it creates; the rest gets kernel defaults. */
export interface NewLink {
  readonly name: string;
  readonly mac?: string;
  readonly mtu?: number;
  readonly up?: boolean;
  /** carrier is what the driver sees (a veth has carrier when its peer is up); default true. */
  readonly carrier?: boolean;
}

type LinkHandler = (event: LinkEvent | ResyncEvent) => void;

/** FakeLinks holds a namespace's links. It starts with `lo` (index 1, up), as a namespace does. */
export class FakeLinks implements LinkPort {
  private readonly links = new Map<number, { link: Link; carrier: boolean }>();
  private readonly handlers = new Set<LinkHandler>();
  private nextIndex = 1;

  constructor() {
    this.addLink({ name: 'lo', mac: '00:00:00:00:00:00', mtu: 65536, up: true });
  }

  /** addLink creates a link and returns it; a duplicate name throws, like `ip link add`. */
  addLink(spec: NewLink): Link {
    if (this.find(spec.name) !== undefined) throw new Error(`fake links: "${spec.name}" already exists`);
    const carrier = spec.carrier ?? true;
    const link = withState(
      { index: this.nextIndex++, name: spec.name, mac: spec.mac, mtu: spec.mtu ?? 1500, up: false, lowerUp: false, running: false, operState: 'down' },
      spec.up ?? false,
      carrier,
    );
    this.links.set(link.index, { link, carrier });
    this.emit({ kind: 'link', link, deleted: false });
    return link;
  }

  /** setUp is `ip link set NAME up|down`. */
  setUp(name: string, up: boolean): void {
    const entry = this.require(name);
    this.replace(withState(entry.link, up, entry.carrier), entry.carrier);
  }

  /** setCarrier simulates the cable (or the veth peer) coming and going. */
  setCarrier(name: string, carrier: boolean): void {
    const entry = this.require(name);
    this.replace(withState(entry.link, entry.link.up, carrier), carrier);
  }

  /** removeLink is `ip link del NAME`. */
  removeLink(name: string): void {
    const { link } = this.require(name);
    this.links.delete(link.index);
    this.emit({ kind: 'link', link, deleted: true });
  }

  /** overrun tells every subscriber that notifications were lost, as ENOBUFS would. */
  overrun(): void {
    this.emit({ kind: 'resync', reason: 'overrun', detail: 'fake overrun' });
  }

  /** has says whether a link with this index exists, for FakeAddresses' ENODEV. */
  has(index: number): boolean {
    return this.links.has(index);
  }

  list(): Promise<Link[]> {
    return Promise.resolve([...this.links.values()].map((entry) => entry.link));
  }

  byName(name: string): Promise<Link | undefined> {
    return Promise.resolve(this.find(name)?.link);
  }

  subscribe(handler: LinkHandler): Unsubscribe {
    const wrapped: LinkHandler = (event) => {
      handler(event);
    };
    this.handlers.add(wrapped);
    return () => {
      this.handlers.delete(wrapped);
    };
  }

  private find(name: string): { link: Link; carrier: boolean } | undefined {
    return [...this.links.values()].find((entry) => entry.link.name === name);
  }

  private require(name: string): { link: Link; carrier: boolean } {
    const entry = this.find(name);
    if (entry === undefined) throw new Error(`fake links: no link "${name}"`);
    return entry;
  }

  private replace(link: Link, carrier: boolean): void {
    this.links.set(link.index, { link, carrier });
    this.emit({ kind: 'link', link, deleted: false });
  }

  private emit(event: LinkEvent | ResyncEvent): void {
    const handlers = [...this.handlers];
    queueMicrotask(() => {
      for (const handler of handlers) if (this.handlers.has(handler)) handler(event);
    });
  }
}

/**
 * withState derives the flags as the kernel does: lower up needs carrier and admin up, and an
 * Ethernet link without carrier is operationally "down" (Documentation/networking/operstates.rst;
 * "lowerlayerdown" is for stacked links such as VLANs, and a veth shows "down" too).
 */
function withState(link: Link, up: boolean, carrier: boolean): Link {
  const lowerUp = up && carrier;
  return { ...link, up, lowerUp, running: lowerUp, operState: lowerUp ? 'up' : 'down' };
}
