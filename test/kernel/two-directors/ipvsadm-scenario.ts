/**
 * ipvsadm-scenario: one failover and one failback of the lab's directors, driven with ipvsadm,
 * and how many long-lived connections survive each.
 *
 * It models what tandem does when alpha's daemon is killed (SIGKILL) and restarts:
 *   1. alpha is master (VIP, daemons for "master"), beta is backup. `count` connections
 *      ("pre") open through alpha and beta is given time to receive their entries.
 *   2. Failover: alpha's daemon dies, so alpha's kernel keeps the sync daemons it had. Its VIP
 *      is removed here (a killed tandem leaves it; removing it keeps the client's ARP move
 *      clean and changes nothing for IPVS). Beta turns master and announces the VIP.
 *      "pre" is probed.
 *   3. `count` more connections ("mid") open through beta while alpha is down.
 *   4. Alpha's daemon restarts as backup, then preempts: beta steps down, alpha takes the VIP.
 *      "pre" and "mid" are probed.
 * In follow-role mode alpha runs only a master daemon while its daemon is dead, so the "mid"
 * entries beta sends are not received: the case the design's "both" mode is for.
 */
import {
  addService,
  establishedEntries,
  holdVip,
  releaseVip,
  setSyncDaemons,
  SYNC_WAIT_MS,
  waitForEntries,
  type SyncMode,
  type SyncSurvival,
} from './ipvsadm-directors.js';
import type { TwoDirectorLab } from './lab.js';

/** BACKUP_DWELL_MS is how long the restarted alpha stays backup before it preempts. */
const BACKUP_DWELL_MS = 1_000;

/** ScenarioResult is the survival of one sync mode. */
export interface ScenarioResult extends SyncSurvival {
  readonly mode: SyncMode;
}

/** runIpvsadmScenario runs the scenario on service VIP:port; see the file comment. */
export async function runIpvsadmScenario(lab: TwoDirectorLab, mode: SyncMode, port: number, count: number): Promise<ScenarioResult> {
  const started = performance.now();
  const [alpha, beta] = lab.directors;
  const pre = `${mode}-${port}-pre`;
  const mid = `${mode}-${port}-mid`;
  await Promise.all([addService(alpha, port), addService(beta, port)]);
  await Promise.all([setSyncDaemons(alpha, mode, 'master'), setSyncDaemons(beta, mode, 'backup')]);
  await holdVip(alpha);

  const openedPre = await lab.client.open(pre, count, port);
  if (openedPre.opened !== count) throw new Error(`only ${openedPre.opened} of ${count} connections opened through alpha`);
  const preOnBeta = await waitForEntries(beta, port, count, SYNC_WAIT_MS);

  // Failover: alpha's daemon is gone, its kernel's sync daemons stay as they were.
  await releaseVip(alpha);
  await setSyncDaemons(beta, mode, 'master');
  await holdVip(beta);
  const afterFailover = await lab.client.probe([pre]);

  const openedMid = await lab.client.open(mid, count, port);
  if (openedMid.opened !== count) throw new Error(`only ${openedMid.opened} of ${count} connections opened through beta`);
  // Whatever alpha's kernel can receive, give it the time to.
  await new Promise((resolveSleep) => setTimeout(resolveSleep, SYNC_WAIT_MS / 2));
  const alphaBefore = await establishedEntries(alpha, port);

  // Alpha's daemon restarts as backup, then preempts.
  await setSyncDaemons(alpha, mode, 'backup');
  await new Promise((resolveSleep) => setTimeout(resolveSleep, BACKUP_DWELL_MS));
  await setSyncDaemons(beta, mode, 'backup');
  await releaseVip(beta);
  await setSyncDaemons(alpha, mode, 'master');
  await holdVip(alpha);
  const afterFailback = await lab.client.probe([pre, mid]);

  return {
    mode,
    count,
    preOnBeta,
    // alpha still holds "pre"'s own entries; what it has beyond them came from beta.
    midOnAlpha: Math.max(0, alphaBefore - count),
    failover: { pre: afterFailover[pre]! },
    failback: { pre: afterFailback[pre]!, mid: afterFailback[mid]! },
    durationMs: performance.now() - started,
  };
}
