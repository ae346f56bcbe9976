/**
 * sync-daemon-component: the IPVS connection-sync daemons as a daemon component, following the
 * election role and the syncDaemon section.
 *
 * What stop leaves behind. The kernel keeps its sync daemons (and the IPVS table) after tandem
 * exits, so stop chooses the state the director is left in:
 * - follow-role: the director is no longer master once it has sent its priority-0 advert, so
 *   it settles as a backup: the owner swaps a master daemon for a backup one (stop master, then
 *   start backup, sync-daemon-plan.ts). The peer, now master, is then the only sender on the
 *   syncid, and this director keeps receiving its connections: a restart that wins the
 *   election back starts from a warm connection table instead of an empty one.
 * - both: master and backup daemons are left running. The backup keeps this director's table
 *   warm; the master only announces connections this director forwards, which after the VIPs
 *   are gone is none. Stopping them would lose exactly what mode `both` is chosen for.
 * - no syncDaemon section: nothing to settle.
 * The sync sysctls tandem wrote (syncDaemon.sysctls) stay as they are in every case: the
 * daemons left running keep using them (sync-daemon-owner.ts, docs/config.md).
 */
import type { Config } from '../config/types.js';
import type { ElectionStateName } from '../election/types.js';
import type { SyncDaemonOwner } from '../lvs/sync-daemon-owner.js';
import type { DaemonComponent } from './daemon-component.js';

/** SyncDaemonComponent drives one SyncDaemonOwner; see the file comment for what stop leaves. */
export class SyncDaemonComponent implements DaemonComponent {
  readonly name = 'sync-daemon';
  readonly #owner: SyncDaemonOwner;

  constructor(owner: SyncDaemonOwner) {
    this.#owner = owner;
  }

  /** start converges the daemons for the current role once, then keeps them on the tick. */
  start(): Promise<void> {
    return this.#owner.start();
  }

  /** roleChanged hands every transition to the owner, which orders the swap in follow-role mode. */
  roleChanged(role: ElectionStateName): Promise<void> {
    return this.#owner.setRole(role);
  }

  /** reload applies a changed syncDaemon section (a daemon restarts only when its settings changed; a sysctl is written only when it differs). */
  reload(config: Config): Promise<void> {
    return this.#owner.update(config.syncDaemon);
  }

  /** stop settles the daemons as a backup's (a no-op in mode both) and ends the tick; they keep running. */
  async stop(): Promise<void> {
    await this.#owner.setRole('backup');
    await this.#owner.stop();
  }
}
