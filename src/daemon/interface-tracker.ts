/**
 * interface-tracker: watches the node's `trackInterfaces` and tells the election when one goes
 * down or comes back, so a director that lost its uplink enters fault and hands the VIPs over.
 */
import type { Logger } from 'pino';
import type { Link, LinkPort, Unsubscribe } from '../kernel/ports.js';

/** TrackedInterfaceReport is one interface's state for the election (ControlEvent trackedInterface). */
export interface TrackedInterfaceReport {
  readonly kind: 'trackedInterface';
  readonly name: string;
  readonly up: boolean;
}

/**
 * linkIsUp: administratively up and the driver sees carrier (IFF_UP and IFF_LOWER_UP). A link
 * that is missing counts as down.
 */
export function linkIsUp(link: Link | undefined): boolean {
  return link !== undefined && link.up && link.lowerUp;
}

/** InterfaceTracker reports each tracked interface once at start, then on every change. */
export class InterfaceTracker {
  readonly #links: LinkPort;
  readonly #names: readonly string[];
  readonly #report: (report: TrackedInterfaceReport) => void;
  readonly #log: Logger;
  readonly #known = new Map<string, boolean>();
  #unsubscribe: Unsubscribe | undefined;

  constructor(links: LinkPort, names: readonly string[], report: (report: TrackedInterfaceReport) => void, log: Logger) {
    this.#links = links;
    this.#names = names;
    this.#report = report;
    this.#log = log;
  }

  /** start subscribes first, then lists, so no change between the two is missed. */
  async start(): Promise<void> {
    if (this.#names.length === 0) return;
    this.#unsubscribe = this.#links.subscribe((event) => {
      if (event.kind === 'resync') void this.#relist();
      else if (this.#names.includes(event.link.name)) this.#update(event.link.name, !event.deleted && linkIsUp(event.link));
    });
    await this.#relist();
  }

  /** stop ends the subscription. */
  stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }

  async #relist(): Promise<void> {
    try {
      const links = await this.#links.list();
      for (const name of this.#names) this.#update(name, linkIsUp(links.find((link) => link.name === name)));
    } catch (error) {
      this.#log.error({ event: 'track.error', err: error }, 'could not list the tracked interfaces; their last known state stands');
    }
  }

  #update(name: string, up: boolean): void {
    if (this.#known.get(name) === up) return;
    this.#known.set(name, up);
    this.#log.info({ event: up ? 'track.up' : 'track.down', interface: name }, `tracked interface ${name} is ${up ? 'up' : 'down'}`);
    this.#report({ kind: 'trackedInterface', name, up });
  }
}
