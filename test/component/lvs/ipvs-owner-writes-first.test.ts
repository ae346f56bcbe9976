/**
 * A full pass's slices outside the write line yield to the owner's batches in flight: while a
 * verdict's weight change waits for the kernel, the pass's diff does not take the JS thread, so
 * the change's ack is seen as soon as it arrives (ipvs-owner.ts #yieldToWrites).
 */
import { describe, expect, it, vi } from 'vitest';
import type { IpvsOperation, OperationOutcome } from '../../../src/ipvs/ipvs-port.js';
import { realServerRef } from '../../../src/lvs/config-to-ipvs.js';
import { WritesFirst } from '../../../src/netlink/dump-runner.js';
import { web } from '../../unit/lvs/virtual-server-fixture.js';
import { harness, settle, weights } from './ipvs-owner-harness.js';

/** slicesResumed records, each time a diff slice goes on after its yield, whether a verdict's batch was in flight. */
const probe = vi.hoisted(() => ({ batchInFlight: false, slicesResumed: [] as boolean[] }));

vi.mock('../../../src/lvs/table-diff.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../../src/lvs/table-diff.js')>();
  return {
    ...original,
    diffTable: (...[desired, rules, accepted, options, yieldLoop]: Parameters<typeof original.diffTable>) =>
      original.diffTable(desired, rules, accepted, options, async () => {
        await yieldLoop();
        probe.slicesResumed.push(probe.batchInFlight);
      }),
  };
});

describe('IpvsOwner full pass and a verdict in flight', () => {
  it('resumes no diff slice while a verdict batch is in flight, and finishes the pass after it', async () => {
    // 4 services of 300 real servers: the diff takes several slices of SLICE_REAL_SERVERS.
    const services = Array.from({ length: 4 }, (_, s) =>
      web({ port: 80 + s, realServers: Array.from({ length: 300 }, (_, r) => ({ address: `10.${s}.${Math.floor(r / 250)}.${(r % 250) + 1}`, weight: 1 })) }),
    );
    const { kernel, clock, owner } = harness(services);
    await owner.start();
    const apply = kernel.apply.bind(kernel);
    let release: (() => void) | undefined;
    kernel.apply = async (operations: readonly IpvsOperation[]): Promise<readonly OperationOutcome[]> => {
      if (operations.some((operation) => operation.kind === 'edit-real-server')) {
        probe.batchInFlight = true;
        await new Promise<void>((resolve) => (release = resolve));
        probe.batchInFlight = false;
      }
      return apply(operations);
    };
    // The tick's pass lists, then a verdict arrives on the next turn, while the pass diffs.
    const listRules = kernel.listRules.bind(kernel);
    let verdict: Promise<void> | undefined;
    const first = services[0];
    if (first === undefined) throw new Error('no service');
    kernel.listRules = async () => {
      const rules = await listRules();
      setImmediate(() => {
        verdict = owner.setVerdict(realServerRef(first, { address: '10.0.0.1', port: 80 }), 'down');
      });
      return rules;
    };
    probe.slicesResumed.length = 0;
    clock.advance(500);
    await settle();
    expect(release).toBeDefined();
    const resumedBefore = probe.slicesResumed.length;
    await settle();
    // Held: no slice went on meanwhile.
    expect(probe.slicesResumed.length).toBe(resumedBefore);
    release?.();
    await verdict;
    await settle();
    await settle();
    expect(probe.slicesResumed.length).toBeGreaterThan(resumedBefore);
    expect(probe.slicesResumed).not.toContain(true);
    expect((await weights(kernel))['10.0.0.1']).toBe(0);
    expect(owner.stats).toMatchObject({ refused: 0, errors: 0 });
    await owner.stop();
  });

  it('holds the gate it is given while a batch is in flight, so the listing socket that yields to that gate yields to the batch', async () => {
    const gate = new WritesFirst();
    const service = web({ realServers: [{ address: '10.0.0.1', weight: 1 }] });
    const { kernel, owner } = harness([service], undefined, gate);
    await owner.start();
    const apply = kernel.apply.bind(kernel);
    let release: (() => void) | undefined;
    kernel.apply = async (operations: readonly IpvsOperation[]): Promise<readonly OperationOutcome[]> => {
      await new Promise<void>((resolve) => (release = resolve));
      return apply(operations);
    };
    const verdict = owner.setVerdict(realServerRef(service, { address: '10.0.0.1', port: 80 }), 'down');
    await settle();
    expect(release).toBeDefined();
    expect(gate.pending).toBe(1);
    release?.();
    await verdict;
    expect(gate.pending).toBe(0);
    expect((await weights(kernel))['10.0.0.1']).toBe(0);
    await owner.stop();
  });
});
