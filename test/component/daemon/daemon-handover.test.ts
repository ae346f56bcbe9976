/**
 * Two daemons on loopback UDP, each with its own fake kernel, from one config: alpha (priority
 * 200) and beta (100). When alpha stops, beta takes the VIP over and adverts once it holds it;
 * alpha heard its successor (handover-complete), so its address lingers one announce burst before
 * it goes (docs/protocol.md "Handover"). The lone stop, which no successor answers, is in
 * daemon.test.ts: there the VIP goes at once.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Daemon } from '../../../src/daemon/daemon.js';
import type { AddressSpec } from '../../../src/kernel/ports.js';
import { type Harness, createHarness, destroyHarness, harnessPorts, startDaemon, until, vipsOn } from './harness.js';

let alpha: Harness;
let beta: Harness;

beforeEach(async () => {
  alpha = await createHarness();
  beta = await createHarness();
  // beta runs alpha's config (same port and key), as node beta; its adds go on alpha's timeline.
  beta.configFile = alpha.configFile;
  const add = beta.addresses.add.bind(beta.addresses);
  beta.addresses.add = (spec: AddressSpec) => {
    alpha.timeline.push(`beta add ${spec.address}`);
    return add(spec);
  };
});

afterEach(async () => {
  await destroyHarness(beta);
  await destroyHarness(alpha);
});

describe('Daemon: stopping with a successor', () => {
  it('beta takes the VIP before alpha removes it, and alpha lets its address linger one burst', async () => {
    const a = await startDaemon(alpha);
    await until('alpha master', () => a.role === 'master' && a.holdingVips);
    beta.daemon = await Daemon.start({ configFile: alpha.configFile, node: 'beta', hostname: 'test-host', verifyIntervalMs: 50 }, harnessPorts(beta));
    const b = beta.daemon;
    await until('beta backup', () => b.role === 'backup');

    await a.stop();
    const transitions = alpha.logLines.filter((line) => line.event === 'election.transition');
    expect(transitions.at(-1)).toMatchObject({ from: 'master', to: 'init', reason: 'handover-complete' });
    // count 2 × intervalMs 5 (harness config): the burst lasts 5 ms.
    expect(alpha.logLines.find((line) => line.event === 'vip.release')).toMatchObject({ reason: 'handover', releaseDelayMs: 5 });
    expect(await vipsOn(alpha)).toEqual([]);
    const betaAdd = alpha.timeline.indexOf('beta add 192.0.2.100');
    expect(betaAdd).toBeGreaterThanOrEqual(0);
    expect(alpha.timeline.indexOf('remove 192.0.2.100')).toBeGreaterThan(betaAdd);
    await until('beta master', () => b.role === 'master' && b.holdingVips);
    expect(await vipsOn(beta)).toEqual(['192.0.2.100/24']);
  });
});
