import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNative } from '../../src/kernel/native.js';
import { NETLINK_ROUTE } from '../../src/netlink/constants.js';
import { NativeNetlinkTransport } from '../../src/netlink/native-transport.js';
import { TestNamespace, vethPair } from './helpers/netns.js';
import { RTM_DELADDR, RTM_NEWADDR, addressDumpRequest, addressOf, addressRequest } from './helpers/rtnetlink.js';

const COUNT = 1_000;
/** 198.18.0.0/15 is reserved for benchmarks (RFC 2544); only used inside our namespace. */
const addressAt = (i: number): string => `198.18.${Math.floor(i / 250)}.${(i % 250) + 1}`;

describe('NativeNetlinkTransport batch in a network namespace', () => {
  let namespace: TestNamespace;
  let peer: TestNamespace;
  let transport: NativeNetlinkTransport;
  let ifindex: number;

  beforeAll(() => {
    namespace = TestNamespace.create('batch');
    peer = TestNamespace.create('batchpeer');
    vethPair(namespace, 'tb0', peer, 'tb1');
    ({ transport, ifindex } = namespace.run(() => ({
      transport: NativeNetlinkTransport.open(NETLINK_ROUTE),
      ifindex: loadNative().ifNameToIndex('tb0'),
    })));
  });

  afterAll(() => {
    transport.close();
    namespace.destroy();
    peer.destroy();
  });

  async function addressesOnLink(): Promise<string[]> {
    const replies = await transport.request(addressDumpRequest(), 'dump addresses');
    return replies.map(addressOf).filter((a) => a.index === ifindex).map((a) => a.local ?? '');
  }

  it('adds 1,000 addresses in one batch and reports the one refused request by its index', async () => {
    const refusedAt = 517;
    const requests = Array.from({ length: COUNT }, (_, i) =>
      addressRequest(RTM_NEWADDR, i === refusedAt ? 0x7fff_fff0 : ifindex, addressAt(i), 32),
    );
    const started = performance.now();
    const outcomes = await transport.batch(requests);
    const batchMs = performance.now() - started;

    expect(outcomes).toHaveLength(COUNT);
    const refused = outcomes.flatMap((outcome, index) => (outcome.ok ? [] : [{ index, errno: outcome.errno }]));
    expect(refused).toEqual([{ index: refusedAt, errno: 19 }]);
    const present = new Set(await addressesOnLink());
    expect(present.size).toBe(COUNT - 1);
    expect(present.has(addressAt(refusedAt))).toBe(false);
    expect(present.has(addressAt(COUNT - 1))).toBe(true);

    // Adding them again: every request is refused with EEXIST except the one that was missing.
    const again = await transport.batch(requests.map((request, i) => (i === refusedAt ? addressRequest(RTM_NEWADDR, ifindex, addressAt(i), 32) : request)));
    expect(again.filter((outcome) => !outcome.ok && outcome.errno === 17)).toHaveLength(COUNT - 1);
    expect(again[refusedAt]).toEqual({ ok: true, replies: [] });

    const removed = await transport.batch(requests.map((_, i) => addressRequest(RTM_DELADDR, ifindex, addressAt(i), 32)));
    expect(removed.every((outcome) => outcome.ok)).toBe(true);
    expect(await addressesOnLink()).toEqual([]);
    console.info(`batch of ${COUNT} RTM_NEWADDR: ${batchMs.toFixed(1)} ms`);
  });

  it('measures 1,000 sequential acked requests against one batch (figures, not assertions)', async () => {
    const adds = Array.from({ length: COUNT }, (_, i) => addressRequest(RTM_NEWADDR, ifindex, addressAt(i), 32));
    const dels = Array.from({ length: COUNT }, (_, i) => addressRequest(RTM_DELADDR, ifindex, addressAt(i), 32));
    let started = performance.now();
    for (const request of adds) await transport.request(request, 'add address');
    const sequentialAddMs = performance.now() - started;
    started = performance.now();
    for (const request of dels) await transport.request(request, 'delete address');
    const sequentialDelMs = performance.now() - started;
    started = performance.now();
    const added = await transport.batch(adds);
    const batchAddMs = performance.now() - started;
    started = performance.now();
    const deleted = await transport.batch(dels);
    const batchDelMs = performance.now() - started;
    expect([...added, ...deleted].every((outcome) => outcome.ok)).toBe(true);
    started = performance.now();
    await transport.request(addressDumpRequest(), 'dump addresses');
    const dumpMs = performance.now() - started;
    console.info(
      `${COUNT} addresses: sequential add ${sequentialAddMs.toFixed(1)} ms, del ${sequentialDelMs.toFixed(1)} ms; ` +
        `batch add ${batchAddMs.toFixed(1)} ms, del ${batchDelMs.toFixed(1)} ms; empty address dump ${dumpMs.toFixed(2)} ms`,
    );
  });
});
