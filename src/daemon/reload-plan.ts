/**
 * reload-plan: what a reloaded config changes, and which of those changes the running daemon can
 * take live. Pure: the daemon carries the plan out and logs every part it could not apply, so an
 * operator never believes a change is in force when it is not.
 */
import type { NodeSelection } from '../config/select-node.js';
import type { Config } from '../config/types.js';

/** ReloadPlan lists the changes between the running config and a reloaded one. */
export interface ReloadPlan {
  /** vips: the VIP list or the announce settings changed; the VIP owner takes both live. */
  readonly vips: boolean;
  /** lvs: virtualServers, health, syncDaemon or ipvs changed; the IPVS, health and sync-daemon components take them live. */
  readonly lvs: boolean;
  /** logLevel: the new level, when it changed; applied live. */
  readonly logLevel: Config['log']['level'] | null;
  /** restartNeeded: config paths whose change takes effect only when the daemon restarts. */
  readonly restartNeeded: readonly string[];
  /** notYetApplied: sections this daemon does not manage yet; their changes are ignored until it does. */
  readonly notYetApplied: readonly string[];
}

/** ELECTION_RESTART_KEYS are the election settings the election thread is built with, once. */
const ELECTION_RESTART_KEYS = ['groupId', 'advertIntervalMs', 'preempt', 'preemptDelayMs', 'transport', 'multicastGroup', 'port', 'bindAddress'] as const;

/** LVS_SECTIONS are the sections the daemon's components apply live (lvs-components.ts). */
const LVS_SECTIONS = ['virtualServers', 'health', 'syncDaemon', 'ipvs'] as const;

/** Sections the daemon does not run yet (hooks, control socket, metrics). */
const NOT_YET_SECTIONS = ['hooks', 'control', 'metrics'] as const;

/** planReload compares the running config with a reloaded one, for the same node. */
export function planReload(running: Config, runningNode: NodeSelection, next: Config, nextNode: NodeSelection): ReloadPlan {
  const restartNeeded: string[] = [];
  for (const key of ELECTION_RESTART_KEYS) {
    if (!same(running.election[key], next.election[key])) restartNeeded.push(`election.${key}`);
  }
  if (!same(runningNode.self, nextNode.self)) restartNeeded.push(`nodes[${nextNode.self.name}]`);
  if (!same(runningNode.peer, nextNode.peer)) restartNeeded.push(`nodes[${nextNode.peer.name}]`);
  const vipAddressesChanged = !same(running.vips.map((vip) => vip.address).sort(), next.vips.map((vip) => vip.address).sort());
  // The VIP set enters the election's config digest (docs/protocol.md), fixed when the thread starts.
  if (vipAddressesChanged) restartNeeded.push('vips (in the election config digest)');
  return {
    vips: !same(running.vips, next.vips) || !same(running.election.announce, next.election.announce),
    lvs: LVS_SECTIONS.some((section) => !same(running[section], next[section])),
    logLevel: running.log.level === next.log.level ? null : next.log.level,
    restartNeeded,
    notYetApplied: NOT_YET_SECTIONS.filter((section) => !same(running[section], next[section])),
  };
}

/** same compares two plain config values (parsed YAML: no cycles, no functions). */
function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
