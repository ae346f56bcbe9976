/**
 * state-machine: step(state, event) → { state, actions }, tandem's election as a pure function.
 *
 * It follows RFC 5798 §6.4 (Initialize, Backup, Master) with a fault state, and departs from it
 * where docs/protocol.md says so: preemption happens on hearing a lower master (after
 * preemptDelayMs) instead of waiting for masterDown; a master reasserts at once when it hears a
 * lower master (split-brain heal); a leaving master keeps its VIPs until its successor adverts,
 * and the successor adverts only once its shell reports the VIPs held (make-before-break); a
 * masterDown timer that fired late because this process stalled buys a grace window instead of a
 * failover.
 */
import { ADVERT_FLAG_HANDOVER, type Advert, type ElectionAction, type ElectionEvent, type RejectReason, type TimerName } from './types.js';
import { digestHex } from './config-digest.js';
import { effectivePriority, inFaultCondition, withAdvert, type ElectionState } from './election-state.js';
import { inspectAdvert } from './inspect-advert.js';
import { MAX_STALL_GRACES, assertKeySet } from './options.js';
import {
  armMasterDown,
  armSkew,
  becomeBackup,
  becomeMaster,
  enterFault,
  leaveInitOrFault,
  noChange,
  stop,
  type Step,
} from './transitions.js';

/** step applies one event. It never throws for network input; it throws only for invalid keys. */
export function step(state: ElectionState, event: ElectionEvent): Step {
  if (state.stopped) return noChange(state);
  switch (event.kind) {
    case 'startup':
      return state.name === 'init' ? leaveInitOrFault(state, 'startup') : noChange(state);
    case 'datagram':
      return onDatagram(state, event.bytes);
    case 'timerFired':
      return onTimer(state, event.timer, event.lateByMs);
    case 'trackedInterface':
      if (!state.options.trackedInterfaces.includes(event.name)) return noChange(state);
      return onTracked({ ...state, interfacesDown: toggled(state.interfacesDown, event.name, !event.up) }, state);
    case 'trackedCheck':
      if (!state.options.trackedChecks.some((check) => check.name === event.name)) return noChange(state);
      return onTracked({ ...state, checksFailing: toggled(state.checksFailing, event.name, !event.ok) }, state);
    case 'keysChanged':
      assertKeySet(event.keys);
      return noChange({ ...state, options: { ...state.options, keys: event.keys } });
    case 'handover':
      return state.name === 'master' && state.leaving === 'no' ? startLeaving(state, 'handover') : noChange(state);
    case 'shutdown':
      return state.name === 'master' ? startLeaving(state, 'shutdown') : stop(state, 'shutdown');
    case 'vipsHeld':
      return onVipsHeld(state, event.takeover);
  }
}

/**
 * onVipsHeld ends a successor's wait (becomeMaster) when the shell reports the VIPs of the
 * current takeover held: advert now, then every interval. A report of an earlier takeover, or one
 * that comes after the wait ended (the timer fired, we stepped down or started leaving), changes
 * nothing: a normal takeover adverts at once and needs no report.
 */
function onVipsHeld(state: ElectionState, takeover: number): Step {
  if (state.name !== 'master' || !state.awaitingVipsHeld || takeover !== state.takeovers) return noChange(state);
  return reassert(state);
}

function onDatagram(state: ElectionState, bytes: Uint8Array): Step {
  // The options already are an InspectContext: no per-datagram copy of keys, group and peers.
  const inspected = inspectAdvert(state.options, state.replayGuard, bytes);
  if (!inspected.ok) return rejected(state, inspected.reason);
  const counted: ElectionState = {
    ...state,
    replayGuard: inspected.guard,
    counters: { ...state.counters, advertsAccepted: state.counters.advertsAccepted + 1 },
  };
  const checked = checkDigest(counted, inspected.advert);
  const elected = onAdvert(checked.state, inspected.advert);
  return { state: elected.state, actions: [...checked.actions, ...elected.actions] };
}

function rejected(state: ElectionState, reason: RejectReason): Step {
  const counts = { ...state.counters.rejected, [reason]: state.counters.rejected[reason] + 1 };
  return { state: { ...state, counters: { ...state.counters, rejected: counts } }, actions: [{ kind: 'rejected', reason }] };
}

/**
 * checkDigest raises the config-mismatch alarm. The advert is still used for the election: it is
 * authenticated, so it comes from our own peer, and obeying it keeps exactly one master while the
 * operator fixes the config (docs/protocol.md "Config digest").
 */
function checkDigest(state: ElectionState, advert: Advert): Step {
  const known = state.mismatchedPeers.get(advert.nodeId);
  if (Buffer.compare(advert.configDigest, state.configDigest) === 0) {
    // The common case, once per received advert: no hex rendering, no allocation.
    if (known === undefined) return noChange(state);
    const mismatchedPeers = new Map(state.mismatchedPeers);
    mismatchedPeers.delete(advert.nodeId);
    const digest = digestHex(state.configDigest);
    return {
      state: { ...state, mismatchedPeers },
      actions: [{ kind: 'configMismatch', nodeId: advert.nodeId, matching: true, localDigest: digest, peerDigest: digest }],
    };
  }
  const peerDigest = digestHex(advert.configDigest);
  const counters = { ...state.counters, configMismatches: state.counters.configMismatches + 1 };
  if (known === peerDigest) return noChange({ ...state, counters });
  const mismatchedPeers = new Map(state.mismatchedPeers).set(advert.nodeId, peerDigest);
  return {
    state: { ...state, counters, mismatchedPeers },
    actions: [{ kind: 'configMismatch', nodeId: advert.nodeId, matching: false, localDigest: digestHex(state.configDigest), peerDigest }],
  };
}

function onAdvert(state: ElectionState, advert: Advert): Step {
  if (state.name === 'backup') return backupHears(state, advert);
  if (state.name === 'master') return masterHears(state, advert);
  return noChange(state);
}

/** backupHears is RFC 5798 §6.4.2 "If an ADVERTISEMENT is received", with preemptDelayMs. */
function backupHears(state: ElectionState, advert: Advert): Step {
  if (advert.priority === 0) {
    // The master is leaving: take over after the skew only. Its repeated priority-0 adverts
    // must not push the deadline back, so a skew countdown already running is kept.
    if (state.masterDownMode === 'skew') return noChange(state);
    return {
      state: { ...state, masterDownMode: 'skew', masterAdvertIntervalMs: advert.advertIntervalMs },
      actions: [armSkew(state, advert.advertIntervalMs)],
    };
  }
  if (advert.state !== 'master') return noChange(state);
  const following: ElectionState = {
    ...state,
    masterAdvertIntervalMs: advert.advertIntervalMs,
    masterDownMode: 'normal',
    stallGraces: 0,
  };
  const canPreempt = state.options.preempt && !state.preemptSuppressed && advert.priority < effectivePriority(state);
  if (canPreempt && state.options.preemptDelayMs === 0) return becomeMaster(state, 'preempt');
  if (canPreempt) {
    return {
      state: { ...following, preemptPending: true },
      actions: [
        armMasterDown(state, advert.advertIntervalMs),
        ...(state.preemptPending ? [] : [{ kind: 'armTimer', timer: 'preemptDelay', afterMs: state.options.preemptDelayMs } as const]),
      ],
    };
  }
  return {
    state: { ...following, preemptPending: false },
    actions: [
      armMasterDown(state, advert.advertIntervalMs),
      ...(state.preemptPending ? [{ kind: 'cancelTimer', timer: 'preemptDelay' } as const] : []),
    ],
  };
}

/**
 * masterHears is RFC 5798 §6.4.3 "If an ADVERTISEMENT is received", plus the heal rule: a lower
 * master is answered at once with an advert and a fresh announcement, without any opt-in, and
 * the announcement is repeated one interval after the last heal event (see healed).
 */
function masterHears(state: ElectionState, advert: Advert): Step {
  if (state.leaving !== 'no') {
    if (advert.priority === 0 || advert.state !== 'master') return noChange(state);
    return state.leaving === 'handover'
      ? becomeBackup(state, 'handover-complete', advert.advertIntervalMs)
      : stop(state, 'handover-complete');
  }
  // RFC 5798 §6.4.3 answers priority 0 at once. A leaving master's handover adverts are the
  // exception: our next advert lets it release its VIPs, and becomeMaster holds that one until the
  // VIPs are held here, so answering each of its repeats would undo the make-before-break.
  if (advert.priority === 0) return (advert.flags & ADVERT_FLAG_HANDOVER) !== 0 ? noChange(state) : reassert(state);
  // A yield advert: a peer gave way to us after holding the VIPs. Its last gratuitous ARP may
  // still be on its way (its VIP owner stops announcing a moment after the advert leaves), so
  // announce now and once more an interval later (docs/protocol.md "Split brain heals").
  if (advert.state === 'backup') return healed(state, []);
  if (advert.state !== 'master') return noChange(state);
  const priority = effectivePriority(state);
  // Tie-break on equal priority: the higher node id wins (RFC 5798 §6.4.3 uses the higher IP
  // address; node ids are what both ends know of each other here).
  const peerWins = advert.priority > priority || (advert.priority === priority && advert.nodeId > state.options.nodeId);
  if (peerWins) return becomeBackup(state, 'higher-priority-master', advert.advertIntervalMs);
  const reasserted = reassert(state);
  return healed(reasserted.state, reasserted.actions);
}

/**
 * reassert adverts now and restarts the advert timer: a lower master steps down at once, or a
 * successor's wait for vipsHeld ends. Any advert ends that wait; a competing master outweighs it.
 */
function reassert(state: ElectionState): Step {
  return advertAndRearm(state, effectivePriority(state), 0);
}

/**
 * advertAndRearm sends a master's advert now and arms the next one an interval later (a fresh
 * arm replaces a pending one). Any advert ends a successor's wait for vipsHeld. It runs on every
 * advert timer, so the state is copied once more only when a wait actually ends.
 */
function advertAndRearm(state: ElectionState, priority: number, flags: number): Step {
  const advert = withAdvert(state, 'master', priority, flags);
  return {
    state: state.awaitingVipsHeld ? { ...advert.state, awaitingVipsHeld: false } : advert.state,
    actions: [advert.action, { kind: 'armTimer', timer: 'advert', afterMs: state.options.advertIntervalMs }],
  };
}

/**
 * healed ends a split brain on the winner's side: announce now, and arm `reannounce` one advert
 * interval later. The second announcement is what repairs a client that took the loser's last
 * gratuitous ARP after our first one: the loser sends its yield advert from the election thread
 * before its VIP owner has cancelled the announcement burst it started on taking over.
 */
function healed(state: ElectionState, before: readonly ElectionAction[]): Step {
  return {
    state: { ...state, reannouncePending: true },
    actions: [...before, { kind: 'announce' }, { kind: 'armTimer', timer: 'reannounce', afterMs: state.options.advertIntervalMs }],
  };
}

function onTimer(state: ElectionState, timer: TimerName, lateByMs: number): Step {
  if (timer === 'advert' && state.name === 'master') {
    // Also the bound on a successor's wait for vipsHeld (becomeMaster): a stuck main thread.
    return state.leaving === 'no' ? reassert(state) : advertAndRearm(state, 0, ADVERT_FLAG_HANDOVER);
  }
  if (timer === 'masterDown' && state.name === 'backup' && state.masterDownMode !== 'off') {
    return masterDownFired(state, lateByMs);
  }
  if (timer === 'preemptDelay' && state.name === 'backup' && state.preemptPending) return becomeMaster(state, 'preempt');
  if (timer === 'reannounce' && state.name === 'master' && state.reannouncePending) {
    return { state: { ...state, reannouncePending: false }, actions: [{ kind: 'announce' }] };
  }
  if (timer === 'handover' && state.name === 'master' && state.leaving !== 'no') {
    return state.leaving === 'handover'
      ? becomeBackup(state, 'handover-timeout', state.masterAdvertIntervalMs)
      : stop(state, 'handover-timeout');
  }
  // A timer the shell fired after the core had moved on (a cancel raced the callback).
  return noChange(state);
}

/**
 * masterDownFired declares the master dead, unless the timer ran more than stallThresholdMs late:
 * then adverts may be queued unread behind our own stall, so it arms one advert interval of grace
 * to read them first (at most MAX_STALL_GRACES times in a row, so a node that always stalls still
 * fails over).
 */
function masterDownFired(state: ElectionState, lateByMs: number): Step {
  if (lateByMs > state.options.stallThresholdMs && state.stallGraces < MAX_STALL_GRACES) {
    return {
      state: {
        ...state,
        masterDownMode: state.masterDownMode === 'skew' ? 'skew' : 'grace',
        stallGraces: state.stallGraces + 1,
        counters: { ...state.counters, stalls: state.counters.stalls + 1 },
      },
      actions: [
        { kind: 'stall', lateByMs },
        { kind: 'armTimer', timer: 'masterDown', afterMs: state.masterAdvertIntervalMs },
      ],
    };
  }
  return becomeMaster(state, state.masterDownMode === 'skew' ? 'peer-leaving' : 'master-down');
}

/** startLeaving begins a make-before-break exit: priority-0 adverts with the handover flag. */
function startLeaving(state: ElectionState, leaving: 'handover' | 'shutdown'): Step {
  const sent = advertAndRearm(state, 0, ADVERT_FLAG_HANDOVER);
  // A pending reannounce is dropped: announcing while the successor takes over would pull the
  // client back to us just before we remove the VIPs.
  const actions = [
    ...sent.actions,
    ...(state.leaving === 'no' ? [{ kind: 'armTimer', timer: 'handover', afterMs: state.options.handoverTimeoutMs } as const] : []),
    ...(state.reannouncePending ? [{ kind: 'cancelTimer', timer: 'reannounce' } as const] : []),
  ];
  return { state: { ...sent.state, leaving, reannouncePending: false }, actions };
}

/**
 * onTracked reacts to a tracked interface or check: enter or leave fault, and let a master whose
 * priority changed advert it at once so that a preempting backup can act without waiting.
 */
function onTracked(next: ElectionState, before: ElectionState): Step {
  if (next.name === 'init') return noChange(next);
  const fault = inFaultCondition(next);
  if (fault && next.name !== 'fault') return enterFault(next);
  if (!fault && next.name === 'fault') return leaveInitOrFault(next, 'tracked-up');
  // A successor still waiting for vipsHeld keeps quiet: its first advert carries the new priority.
  if (next.name === 'master' && next.leaving === 'no' && !next.awaitingVipsHeld && effectivePriority(next) !== effectivePriority(before)) {
    return reassert(next);
  }
  return noChange(next);
}

function toggled(set: ReadonlySet<string>, name: string, member: boolean): ReadonlySet<string> {
  const copy = new Set(set);
  if (member) copy.add(name);
  else copy.delete(name);
  return copy;
}
