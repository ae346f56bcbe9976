/**
 * ipvs-component: the IPVS owner as a daemon component. Both directors run it whatever their
 * role (design.md: the table is programmed the same on both), so it does not follow the
 * election; it follows the config's virtualServers and ipvs sections on reload.
 */
import type { Config } from '../config/types.js';
import type { IpvsOwner } from '../lvs/ipvs-owner.js';
import type { DaemonComponent } from './daemon-component.js';

/** IpvsComponent starts, reloads and stops one IpvsOwner. */
export class IpvsComponent implements DaemonComponent {
  readonly name = 'ipvs';
  readonly #owner: IpvsOwner;

  constructor(owner: IpvsOwner) {
    this.#owner = owner;
  }

  /** start programs the timeouts and the table once (resolving after that first pass), then keeps them on the tick. */
  start(): Promise<void> {
    return this.#owner.start();
  }

  /** reload applies virtualServers and ipvs (timeouts, purgeUnmanaged) as one diff against the kernel. */
  reload(config: Config): Promise<void> {
    return this.#owner.update({ virtualServers: config.virtualServers, ipvs: config.ipvs });
  }

  /** stop ends the tick; the kernel keeps the table and keeps forwarding (ipvs-owner.ts). */
  stop(): Promise<void> {
    return this.#owner.stop();
  }
}
