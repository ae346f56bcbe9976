/**
 * transitions: every role change of the election, each as one pure function returning the new
 * state and the ordered actions the shell carries out. The order is deliberate:
 * - becoming master adverts first (so a peer stops competing at once), then adds the VIPs and
 *   announces them (make-before-break: the old master may still hold them); taking over from a
 *   leaving master is the exception: its first advert waits for the shell to report the VIPs
 *   held, within a bound (see becomeMaster);
 * - giving up mastership removes the VIPs only after the transition is recorded, and a faulted
 *   master says priority 0 first so its peer takes over after its skew only (RFC 5798 §6.4.3).
 */
import { effectivePriority, inFaultCondition, withAdvert, type ElectionState } from './election-state.js';
import { vipsHeldWaitMs } from './options.js';
import { masterDownIntervalMs, skewMs } from './timers.js';
import type { ElectionAction, StepResult, TransitionReason } from './types.js';

/** Step is what every handler returns. */
export type Step = StepResult<ElectionState>;

/** noChange is the step that does nothing. */
export function noChange(state: ElectionState): Step {
  return { state, actions: [] };
}

/**
 * becomeMaster takes the VIPs: advert now, then every interval; add and announce the VIPs.
 *
 * After a peer said it is leaving (reason peer-leaving), the first advert waits for vipsHeld: the
 * leaving master keeps its VIPs until it hears its successor advert, and adding and announcing
 * ours is done by the shell after this step, on the daemon's main thread, which a loaded host can
 * hold up for hundreds of ms while this (realtime) thread runs on time. Adverting first would let
 * the old master drop the VIPs before clients had heard where they moved (docs/protocol.md
 * "Handover"). The wait is bounded: the advert timer is armed with vipsHeldWaitMs instead of one
 * interval, so a stuck main thread still costs the pair no more than the leaving master's handover
 * timeout. Nobody competes meanwhile: the leaving master adverts priority 0.
 */
export function becomeMaster(state: ElectionState, reason: TransitionReason): Step {
  const waitMs = reason === 'peer-leaving' ? vipsHeldWaitMs(state.options) : 0;
  const awaitingVipsHeld = waitMs > 0;
  const takeovers = state.takeovers + 1;
  const advert = withAdvert(state, 'master', effectivePriority(state), 0);
  const actions: ElectionAction[] = [
    ...cancelBackupTimers(state),
    { kind: 'transition', from: state.name, to: 'master', reason },
    ...(awaitingVipsHeld ? [] : [advert.action]),
    { kind: 'armTimer', timer: 'advert', afterMs: awaitingVipsHeld ? waitMs : state.options.advertIntervalMs },
    { kind: 'addVips', takeover: takeovers },
    { kind: 'announce' },
  ];
  return {
    state: {
      ...(awaitingVipsHeld ? state : advert.state),
      name: 'master',
      masterDownMode: 'off',
      stallGraces: 0,
      preemptPending: false,
      preemptSuppressed: false,
      leaving: 'no',
      reannouncePending: false,
      takeovers,
      awaitingVipsHeld,
    },
    actions,
  };
}

/**
 * becomeBackup makes a node follow a master: from master it stops adverting and removes the VIPs;
 * from init or fault it only arms masterDown. masterAdvertIntervalMs is the interval to time out
 * with (the new master's, or our own when no master is known).
 */
export function becomeBackup(state: ElectionState, reason: TransitionReason, masterAdvertIntervalMs: number): Step {
  const actions: ElectionAction[] = [];
  let next = state;
  if (state.name === 'master') actions.push(...cancelMasterTimers(state));
  if (state.name === 'master' && reason === 'higher-priority-master') {
    // A yield advert (state backup): the winner learns that we held the VIPs until now, so it
    // re-announces them even when it never heard us as a master (docs/protocol.md "Split brain").
    const advert = withAdvert(state, 'backup', effectivePriority(state), 0);
    next = advert.state;
    actions.push(advert.action);
  }
  actions.push({ kind: 'transition', from: state.name, to: 'backup', reason });
  if (state.name === 'master') actions.push({ kind: 'removeVips', reason });
  actions.push(armMasterDown(state, masterAdvertIntervalMs));
  return {
    state: {
      ...next,
      name: 'backup',
      masterAdvertIntervalMs,
      masterDownMode: 'normal',
      stallGraces: 0,
      preemptPending: false,
      preemptSuppressed: state.leaving === 'handover',
      leaving: 'no',
      reannouncePending: false,
      awaitingVipsHeld: false,
    },
    actions,
  };
}

/**
 * leaveInitOrFault is RFC 5798 §6.4.1 Initialize: fault if a tracked resource is down, master at
 * once for priority 255 (the address owner), otherwise backup with a full masterDown timer.
 */
export function leaveInitOrFault(state: ElectionState, reason: TransitionReason): Step {
  if (inFaultCondition(state)) {
    if (state.name === 'fault') return noChange(state);
    return enterFault(state);
  }
  if (effectivePriority(state) === 255) return becomeMaster(state, reason === 'startup' ? 'owner-startup' : reason);
  return becomeBackup(state, reason, state.options.advertIntervalMs);
}

/**
 * enterFault gives up any role while a tracked resource is down. A master adverts priority 0
 * without the handover flag: it cannot keep serving, so its VIPs go at once.
 */
export function enterFault(state: ElectionState): Step {
  const actions: ElectionAction[] = [];
  let next = state;
  if (state.name === 'master') {
    const advert = withAdvert(state, 'fault', 0, 0);
    next = advert.state;
    actions.push(...cancelMasterTimers(state), advert.action);
  } else {
    actions.push(...cancelBackupTimers(state));
  }
  actions.push({ kind: 'transition', from: state.name, to: 'fault', reason: 'tracked-down' });
  if (state.name === 'master') actions.push({ kind: 'removeVips', reason: 'tracked-down' });
  return {
    state: { ...next, name: 'fault', masterDownMode: 'off', stallGraces: 0, preemptPending: false, leaving: 'no', reannouncePending: false, awaitingVipsHeld: false },
    actions,
  };
}

/**
 * stop ends the election of a node that holds no VIPs (backup, fault or init after a handover):
 * cancel timers and rest in init, as RFC 5798 §6.4.2/§6.4.3 Shutdown do.
 */
export function stop(state: ElectionState, reason: TransitionReason): Step {
  const actions: ElectionAction[] =
    state.name === 'master' ? [...cancelMasterTimers(state), { kind: 'removeVips', reason }] : [...cancelBackupTimers(state)];
  if (state.name !== 'init') actions.push({ kind: 'transition', from: state.name, to: 'init', reason });
  return {
    state: { ...state, name: 'init', stopped: true, masterDownMode: 'off', preemptPending: false, leaving: 'no', reannouncePending: false, awaitingVipsHeld: false },
    actions,
  };
}

/** armMasterDown is the RFC 5798 §6.4.2 timer for our effective priority and the master's interval. */
export function armMasterDown(state: ElectionState, masterAdvertIntervalMs: number): ElectionAction {
  return { kind: 'armTimer', timer: 'masterDown', afterMs: masterDownIntervalMs(effectivePriority(state), masterAdvertIntervalMs) };
}

/** armSkew is the RFC 5798 §6.4.2 response to a priority-0 advert: take over after the skew only. */
export function armSkew(state: ElectionState, masterAdvertIntervalMs: number): ElectionAction {
  return { kind: 'armTimer', timer: 'masterDown', afterMs: skewMs(effectivePriority(state), masterAdvertIntervalMs) };
}

function cancelBackupTimers(state: ElectionState): ElectionAction[] {
  const actions: ElectionAction[] = [];
  if (state.masterDownMode !== 'off') actions.push({ kind: 'cancelTimer', timer: 'masterDown' });
  if (state.preemptPending) actions.push({ kind: 'cancelTimer', timer: 'preemptDelay' });
  return actions;
}

function cancelMasterTimers(state: ElectionState): ElectionAction[] {
  const actions: ElectionAction[] = [{ kind: 'cancelTimer', timer: 'advert' }];
  if (state.leaving !== 'no') actions.push({ kind: 'cancelTimer', timer: 'handover' });
  if (state.reannouncePending) actions.push({ kind: 'cancelTimer', timer: 'reannounce' });
  return actions;
}
