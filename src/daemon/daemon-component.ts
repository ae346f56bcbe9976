/**
 * daemon-component: the seam between the daemon's lifecycle and the parts it runs (health
 * checks, the IPVS table, the sync daemons). The daemon starts components after the election,
 * in order, and stops them in reverse after the VIPs are gone.
 */
import type { Config } from '../config/types.js';
import type { ElectionStateName } from '../election/types.js';

/** DaemonComponent is a part the daemon starts after the election and stops before STOPPING=1. */
export interface DaemonComponent {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** reload takes a validated config live (a diff, not a restart); absent: the component has no settings. */
  reload?(config: Config): Promise<void>;
  /** roleChanged follows every election transition, in order; absent: the component runs the same in any role. */
  roleChanged?(role: ElectionStateName): Promise<void>;
}
