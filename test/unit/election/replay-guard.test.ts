/** The anti-replay rule of docs/protocol.md, case by case. */
import { describe, expect, it } from 'vitest';
import { RECENT_EPOCHS_PER_PEER, checkReplay, emptyReplayGuard, type ReplayGuard } from '../../../src/election/replay-guard.js';

function accept(guard: ReplayGuard, nodeId: number, epoch: bigint, counter: bigint): ReplayGuard {
  const verdict = checkReplay(guard, { nodeId, epoch, counter });
  if (!verdict.fresh) throw new Error(`expected (${epoch}, ${counter}) to be fresh`);
  return verdict.guard;
}

describe('replay guard', () => {
  it('accepts a rising counter and refuses a repeat or an older one in the same epoch', () => {
    const guard = accept(accept(emptyReplayGuard(), 1, 10n, 1n), 1, 10n, 5n);
    expect(checkReplay(guard, { nodeId: 1, epoch: 10n, counter: 5n }).fresh).toBe(false);
    expect(checkReplay(guard, { nodeId: 1, epoch: 10n, counter: 3n }).fresh).toBe(false);
    expect(checkReplay(guard, { nodeId: 1, epoch: 10n, counter: 6n }).fresh).toBe(true);
  });

  it('accepts a new epoch (a reboot) and reports it, then still refuses old-epoch captures', () => {
    const before = accept(emptyReplayGuard(), 1, 10n, 900n);
    const reboot = checkReplay(before, { nodeId: 1, epoch: 77n, counter: 1n });
    expect(reboot).toMatchObject({ fresh: true, newEpoch: true });
    if (!reboot.fresh) return;
    expect(checkReplay(reboot.guard, { nodeId: 1, epoch: 10n, counter: 900n }).fresh).toBe(false);
    expect(checkReplay(reboot.guard, { nodeId: 1, epoch: 10n, counter: 12n }).fresh).toBe(false);
  });

  it('never locks out the genuine peer, even after an unknown epoch was injected', () => {
    let guard = accept(emptyReplayGuard(), 1, 10n, 5n);
    guard = accept(guard, 1, 666n, 3n); // an authentic capture from a boot we never heard
    expect(checkReplay(guard, { nodeId: 1, epoch: 10n, counter: 6n }).fresh).toBe(true);
  });

  it('keeps peers apart', () => {
    const guard = accept(emptyReplayGuard(), 1, 10n, 5n);
    expect(checkReplay(guard, { nodeId: 2, epoch: 10n, counter: 5n }).fresh).toBe(true);
  });

  it(`remembers the last ${RECENT_EPOCHS_PER_PEER} epochs per peer`, () => {
    let guard = emptyReplayGuard();
    for (let epoch = 1n; epoch <= BigInt(RECENT_EPOCHS_PER_PEER) + 1n; epoch += 1n) guard = accept(guard, 1, epoch, 100n);
    expect(guard.get(1)).toHaveLength(RECENT_EPOCHS_PER_PEER);
    expect(checkReplay(guard, { nodeId: 1, epoch: 2n, counter: 100n }).fresh).toBe(false);
    expect(checkReplay(guard, { nodeId: 1, epoch: 1n, counter: 100n }).fresh).toBe(true); // forgotten
  });
});
