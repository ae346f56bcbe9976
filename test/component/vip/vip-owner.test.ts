import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { AnnounceConfig, Vip } from '../../../src/config/types.js';
import { DEFAULT_VERIFY_INTERVAL_MS, VipOwner } from '../../../src/vip/vip-owner.js';
import { FakeAddresses } from '../../fakes/fake-addresses.js';
import { FakeAnnouncer } from '../../fakes/fake-announcer.js';
import { FakeClock } from '../../fakes/fake-clock.js';
import { FakeLinks } from '../../fakes/fake-links.js';

const vips: Vip[] = [
  { address: '198.51.100.10', family: 'inet', prefixLength: 32, interface: 'eth0' },
  { address: '2001:db8::10', family: 'inet6', prefixLength: 128, interface: 'eth0' },
];
const announce: AnnounceConfig = { count: 3, intervalMs: 20, repeatAfterMs: 5000, refreshIntervalMs: 0 };

/** settle lets queued promise work (kernel calls, notifications) run to the end. */
async function settle(): Promise<void> {
  for (let i = 0; i < 50; i++) await Promise.resolve();
}

function setup(options: { withEth0?: boolean; announce?: AnnounceConfig } = {}) {
  const clock = new FakeClock();
  const links = new FakeLinks();
  if (options.withEth0 ?? true) links.addLink({ name: 'eth0', mac: '02:00:00:00:00:01', up: true });
  const addresses = new FakeAddresses(links);
  const announcer = new FakeAnnouncer();
  const ports = { addresses, links, announcer, clock, log: pino({ level: 'silent' }) };
  const owner = new VipOwner(vips, options.announce ?? announce, ports);
  const held = async (): Promise<string[]> => (await addresses.list()).filter((a) => a.ifindex !== 1).map((a) => `${a.address}/${a.prefixLength}`);
  const advance = async (ms: number): Promise<void> => {
    // Step in small slices so work scheduled by a settled promise still falls due in time.
    for (let t = 0; t < ms; t += 10) {
      clock.advance(Math.min(10, ms - t));
      await settle();
    }
  };
  return { clock, links, addresses, announcer, owner, held, advance };
}

describe('VipOwner', () => {
  it('adds every VIP on hold and announces each in two bursts', async () => {
    const t = setup();
    await t.owner.start();
    await t.owner.hold();
    expect(await t.held()).toEqual(['198.51.100.10/32', '2001:db8::10/128']);
    await t.advance(100);
    expect(t.announcer.sent.map((a) => a.vip)).toEqual(['198.51.100.10', '2001:db8::10', '198.51.100.10', '2001:db8::10', '198.51.100.10', '2001:db8::10']);
    await t.advance(5000);
    expect(t.announcer.sent).toHaveLength(12);
    await t.advance(20_000);
    expect(t.announcer.sent).toHaveLength(12);
    expect(t.owner.stats).toMatchObject({ holding: true, repairs: 0, errors: 0, announcements: 12 });
    await t.owner.stop();
  });

  it('takes the VIPs with one add each, announcing each right after its add, before any dump', async () => {
    const t = setup();
    await t.owner.start();
    const calls: string[] = [];
    const { addresses, links, announcer } = t;
    const add = addresses.add.bind(addresses);
    addresses.add = (spec) => { calls.push(`add ${spec.address}`); return add(spec); };
    const listAddresses = addresses.list.bind(addresses);
    addresses.list = (ifindex) => { calls.push('address dump'); return listAddresses(ifindex); };
    const listLinks = links.list.bind(links);
    links.list = () => { calls.push('link dump'); return listLinks(); };
    const send = announcer.announce.bind(announcer);
    announcer.announce = (vip, target) => { calls.push(`announce ${vip}`); return send(vip, target); };
    await t.owner.hold();
    expect(calls.slice(0, 4)).toEqual(['add 198.51.100.10', 'announce 198.51.100.10', 'add 2001:db8::10', 'announce 2001:db8::10']);
    // The converge that follows finds both in place, and the schedule sends no second first frame.
    expect(calls.slice(4)).toEqual(['link dump', 'address dump']);
    await t.advance(100);
    expect(t.announcer.sent.map((a) => a.vip)).toEqual(['198.51.100.10', '2001:db8::10', '198.51.100.10', '2001:db8::10', '198.51.100.10', '2001:db8::10']);
    await t.owner.stop();
  });

  it('a verify pass under way when hold() comes adds the VIPs as the hold, not as a repair', async () => {
    const t = setup();
    await t.owner.start();
    t.clock.advance(1000); // the verify tick starts a converge, which awaits the link dump
    await t.owner.hold();
    expect(await t.held()).toEqual(['198.51.100.10/32', '2001:db8::10/128']);
    expect(t.owner.stats).toMatchObject({ repairs: 0, errors: 0 });
    await t.owner.stop();
  });

  it('on a handover keeps the VIPs for one burst (2 × 20 ms), announcing nothing, then removes them', async () => {
    const t = setup();
    await t.owner.start();
    await t.owner.hold();
    await t.advance(100);
    let done = false;
    const released = t.owner.release('handover').then(() => { done = true; });
    await t.advance(30);
    expect(await t.held()).toEqual(['198.51.100.10/32', '2001:db8::10/128']);
    expect(done).toBe(false);
    await t.advance(10);
    await released;
    expect(await t.held()).toEqual([]);
    await t.advance(6000);
    expect(t.announcer.sent).toHaveLength(6);
    await t.owner.stop();
  });

  it('removes the VIPs at once on a step-down (a split brain heals within one advert interval)', async () => {
    const t = setup();
    await t.owner.start();
    await t.owner.hold();
    await t.owner.release('step-down');
    expect(await t.held()).toEqual([]);
    await t.owner.stop();
  });

  it('a verify tick during the release delay removes nothing early', async () => {
    const t = setup();
    await t.owner.start();
    await t.owner.hold();
    await t.advance(980);
    const released = t.owner.release('handover'); // the delay ends at 1020; the verify tick falls at 1000
    await t.advance(30);
    expect(await t.held()).toEqual(['198.51.100.10/32', '2001:db8::10/128']);
    expect(t.owner.stats.repairs).toBe(0);
    await t.advance(10);
    await released;
    expect(await t.held()).toEqual([]);
    await t.owner.stop();
  });

  it('hold() during the release delay ends it, keeps the VIPs and announces them again', async () => {
    const t = setup();
    await t.owner.start();
    await t.owner.hold();
    await t.advance(100);
    const released = t.owner.release('handover');
    await t.advance(10);
    await t.owner.hold();
    await released;
    await t.advance(100);
    expect(await t.held()).toEqual(['198.51.100.10/32', '2001:db8::10/128']);
    expect(t.owner.stats).toMatchObject({ holding: true, repairs: 0, errors: 0 });
    expect(t.announcer.sent).toHaveLength(12);
    await t.owner.stop();
  });

  it('sends nothing once release() is called, even from a burst already past its first await', async () => {
    const t = setup();
    await t.owner.start();
    await t.owner.hold();
    expect(t.announcer.sent).toHaveLength(2); // each VIP's first frame, sent as it was added
    t.clock.advance(20); // the burst's second send starts and awaits the link list
    const released = t.owner.release('handover'); // the successor took over: we stop announcing before anything else
    await t.advance(40); // the release delay: the burst's timers fall due in it, and must send nothing
    await released;
    await t.advance(6000);
    expect(t.announcer.sent).toHaveLength(2);
    expect(await t.held()).toEqual([]);
    await t.owner.stop();
  });

  it('re-adds a VIP deleted by hand while master at once, counts it and re-announces it', async () => {
    const t = setup();
    await t.owner.start();
    await t.owner.hold();
    await t.advance(100);
    const sentBefore = t.announcer.sent.length;
    await t.addresses.remove({ ifindex: 2, address: '198.51.100.10', prefixLength: 32 });
    await settle();
    expect(await t.held()).toEqual(['198.51.100.10/32', '2001:db8::10/128']);
    expect(t.owner.stats.repairs).toBe(1);
    expect(t.announcer.sent.slice(sentBefore).map((a) => a.vip)).toEqual(['198.51.100.10']);
    await t.owner.stop();
  });

  it('removes a VIP left behind on a released node when it starts', async () => {
    const t = setup();
    await t.addresses.add({ ifindex: 2, address: '198.51.100.10', prefixLength: 32 });
    await t.owner.start();
    expect(await t.held()).toEqual([]);
    await t.owner.stop();
  });

  it('never throws for a missing interface, and converges on the verify tick once it appears', async () => {
    const t = setup({ withEth0: false });
    await t.owner.start();
    await t.owner.hold();
    expect(t.owner.stats.errors).toBeGreaterThan(0);
    t.links.addLink({ name: 'eth0', mac: '02:00:00:00:00:01', up: true });
    await t.advance(1000);
    expect(await t.held()).toEqual(['198.51.100.10/32', '2001:db8::10/128']);
    await t.owner.stop();
  });

  it('retries refused adds at the first announcement frame, announcing nothing before', async () => {
    const t = setup();
    await t.owner.start();
    // Refused three times: both adds of the first, immediate take, and the converge's first add.
    for (let i = 0; i < 3; i++) t.addresses.refuseNext('add', 'EPERM');
    await t.owner.hold();
    expect(await t.held()).toEqual([]);
    expect(t.owner.stats.errors).toBe(3);
    expect(t.announcer.sent).toEqual([]);
    await t.advance(10);
    expect(await t.held()).toEqual(['198.51.100.10/32', '2001:db8::10/128']);
    expect(t.announcer.sent.map((a) => a.vip)).toEqual(['198.51.100.10', '2001:db8::10']);
    expect(await t.owner.whenHeld()).toBe(true);
    await t.owner.stop();
  });

  it('sends nothing with announce.count 0, yet reports the take held and retries a refused add on the verify tick', async () => {
    const t = setup({ announce: { count: 0, intervalMs: 20, repeatAfterMs: 5000, refreshIntervalMs: 1000 } });
    await t.owner.start();
    await t.owner.hold();
    expect(await t.owner.whenHeld()).toBe(true);
    await t.owner.release('step-down');
    // Taken again, refused three times: both adds of the immediate take and the converge's first.
    // With no announcement frames to retry them at, the verify tick is what adds them.
    for (let i = 0; i < 3; i++) t.addresses.refuseNext('add', 'EPERM');
    await t.owner.hold();
    const held = heldOutcome(t);
    await t.advance(DEFAULT_VERIFY_INTERVAL_MS - 10);
    expect(await t.held()).toEqual([]);
    expect(held.value).toBeUndefined();
    await t.advance(100);
    expect(await t.held()).toEqual(['198.51.100.10/32', '2001:db8::10/128']);
    expect(held.value).toBe(true);
    await t.advance(20_000);
    expect(t.announcer.sent).toEqual([]);
    expect(t.owner.stats.announcements).toBe(0);
    await t.owner.stop();
  });

  it('refreshes periodically while master when asked to', async () => {
    const t = setup({ announce: { count: 1, intervalMs: 0, repeatAfterMs: 0, refreshIntervalMs: 1000 } });
    await t.owner.start();
    await t.owner.hold();
    await t.advance(3050);
    // One burst at hold, then one per refresh tick at 1 s, 2 s and 3 s: two VIPs each.
    expect(t.announcer.sent).toHaveLength(8);
    await t.owner.stop();
  });

  it('a reload during the release delay removes the VIP that left the config at once', async () => {
    const t = setup();
    await t.owner.start();
    await t.owner.hold();
    const released = t.owner.release('handover');
    await t.advance(10);
    await t.owner.update([{ address: '198.51.100.11', family: 'inet', prefixLength: 32, interface: 'eth0' }], announce);
    await released;
    expect(await t.held()).toEqual([]);
    await t.owner.stop();
  });

  it('moves to a reloaded VIP list, removing the VIP that left the config', async () => {
    const t = setup();
    await t.owner.start();
    await t.owner.hold();
    await t.owner.update([{ address: '198.51.100.11', family: 'inet', prefixLength: 32, interface: 'eth0' }], announce);
    expect(await t.held()).toEqual(['198.51.100.11/32']);
    await t.owner.stop();
  });
});

/**
 * trace wraps the fakes so that `log` shows, in order, each add (its outcome, or `refused` while
 * `refuse(address)` says so, through the fake's own refusal) and each announcement sent.
 */
function trace(t: ReturnType<typeof setup>, refuse: (address: string) => boolean = () => false): string[] {
  const log: string[] = [];
  const add = t.addresses.add.bind(t.addresses);
  t.addresses.add = async (spec) => {
    if (refuse(spec.address)) t.addresses.refuseNext('add', 'EPERM');
    try {
      const outcome = await add(spec);
      log.push(`${outcome} ${spec.address}`);
      return outcome;
    } catch (error) {
      log.push(`refused ${spec.address}`);
      throw error;
    }
  };
  const send = t.announcer.announce.bind(t.announcer);
  t.announcer.announce = async (vip, target) => {
    await send(vip, target);
    log.push(`announce ${vip}`);
  };
  return log;
}

/** heldOutcome records what whenHeld() resolves with, and when, without awaiting it. */
function heldOutcome(t: ReturnType<typeof setup>, log?: string[]): { value: boolean | undefined; atMs: number } {
  const outcome: { value: boolean | undefined; atMs: number } = { value: undefined, atMs: -1 };
  void t.owner.whenHeld().then((held) => {
    outcome.value = held;
    outcome.atMs = t.clock.nowMs;
    log?.push(`held ${held}`);
  });
  return outcome;
}

describe('VipOwner.whenHeld', () => {
  it('resolves true once each VIP is added and announced, before the converge that follows', async () => {
    const t = setup();
    await t.owner.start();
    const log = trace(t);
    const listLinks = t.links.list.bind(t.links);
    t.links.list = () => { log.push('link dump'); return listLinks(); };
    const holding = t.owner.hold();
    heldOutcome(t, log);
    await holding;
    expect(log).toEqual(['added 198.51.100.10', 'announce 198.51.100.10', 'added 2001:db8::10', 'announce 2001:db8::10', 'held true', 'link dump']);
  });

  it('after a refused add, waits for the retry at the next announcement frame, and never announces the VIP before it is on the interface', async () => {
    const t = setup();
    await t.owner.start();
    let refusals = 2; // the take's add and the converge's add of the IPv4 VIP
    const log = trace(t, (address) => address === '198.51.100.10' && refusals-- > 0);
    const holding = t.owner.hold();
    const held = heldOutcome(t, log);
    await holding;
    expect(held.value).toBeUndefined();
    expect(log).toEqual(['refused 198.51.100.10', 'added 2001:db8::10', 'announce 2001:db8::10', 'refused 198.51.100.10']);
    await t.advance(10); // the schedule's first frame (at 0, before the second at 20) retries the add, then announces
    expect(log.slice(4)).toEqual(['added 198.51.100.10', 'announce 198.51.100.10', 'held true', 'announce 2001:db8::10']);
    expect(held.value).toBe(true);
    expect(t.owner.stats).toMatchObject({ errors: 2, repairs: 0 });
    await t.owner.stop();
  });

  it('when every frame of the schedule fails to add it, the verify tick retries, and held follows that add', async () => {
    const t = setup();
    await t.owner.start();
    const log = trace(t, (address) => address === '198.51.100.10' && t.clock.nowMs < 1000);
    await t.owner.hold();
    const held = heldOutcome(t, log);
    await t.advance(990);
    expect(held.value).toBeUndefined();
    // Tried by the take, its converge and each of the first burst's three frames; never announced.
    expect(log.filter((line) => line === 'refused 198.51.100.10')).toHaveLength(5);
    expect(log).not.toContain('announce 198.51.100.10');
    await t.advance(20);
    expect(held).toEqual({ value: true, atMs: 1000 });
    const added = log.indexOf('added 198.51.100.10');
    expect(added).toBeGreaterThan(0);
    expect(log.indexOf('announce 198.51.100.10')).toBeGreaterThan(added);
    // Taking a VIP late is no repair of drift.
    expect(t.owner.stats.repairs).toBe(0);
    await t.owner.stop();
  });

  it('never announces a VIP found gone from its interface while the add before it in the same converge is refused', async () => {
    const t = setup();
    await t.owner.start();
    const log = trace(t, (address) => address === '198.51.100.10' && t.clock.nowMs < 1000);
    await t.owner.hold();
    const ifindex = (await t.links.list()).find((link) => link.name === 'eth0')?.index ?? -1;
    await t.addresses.remove({ ifindex, address: '2001:db8::10', prefixLength: 128 });
    const removedAt = log.length;
    await t.advance(1020);
    const after = log.slice(removedAt);
    const readded = after.indexOf('added 2001:db8::10');
    expect(readded).toBeGreaterThan(0);
    expect(after.slice(0, readded)).not.toContain('announce 2001:db8::10');
    expect(after.slice(readded)).toContain('announce 2001:db8::10');
    expect(await t.held()).toEqual(['198.51.100.10/32', '2001:db8::10/128']);
    await t.owner.stop();
  });

  it('while an add keeps being refused after the schedule, each verify tick tries it once', async () => {
    const t = setup();
    await t.owner.start();
    const log = trace(t, (address) => address === '198.51.100.10');
    await t.owner.hold();
    await t.advance(1500);
    const before = log.length;
    await t.advance(2000); // verify ticks at 2000 and 3000; the second burst is not due before 5000
    expect(log.slice(before).filter((line) => line === 'refused 198.51.100.10')).toHaveLength(2);
    await t.owner.stop();
  });

  it('counts a VIP already on the interface (EEXIST) as held: taken back during a release delay', async () => {
    const t = setup();
    await t.owner.start();
    await t.owner.hold();
    await t.advance(100);
    const log = trace(t);
    const released = t.owner.release('handover');
    await t.advance(10);
    const holding = t.owner.hold();
    const held = heldOutcome(t, log);
    await holding;
    await released;
    expect(log.slice(0, 5)).toEqual(['already-present 198.51.100.10', 'announce 198.51.100.10', 'already-present 2001:db8::10', 'announce 2001:db8::10', 'held true']);
    expect(held.value).toBe(true);
    await t.owner.stop();
  });

  it('resolves false when the VIPs are released before they were held, and is false while released', async () => {
    const t = setup();
    await t.owner.start();
    expect(await t.owner.whenHeld()).toBe(false);
    trace(t, () => true);
    await t.owner.hold();
    const held = heldOutcome(t);
    await t.advance(100);
    expect(held.value).toBeUndefined();
    await t.owner.release('step-down');
    await settle();
    expect(held.value).toBe(false);
    expect(t.announcer.sent).toEqual([]);
    await t.owner.stop();
  });

  it('holds a VIP on a link without a MAC once it is added: there is nothing to announce there', async () => {
    const t = setup({ withEth0: false });
    t.links.addLink({ name: 'eth0', up: true });
    await t.owner.start();
    await t.owner.hold();
    expect(await t.owner.whenHeld()).toBe(true);
    expect(await t.held()).toEqual(['198.51.100.10/32', '2001:db8::10/128']);
    expect(t.announcer.sent).toEqual([]);
    await t.owner.stop();
  });

  it('after a reload during the take, is about the new list', async () => {
    const t = setup();
    await t.owner.start();
    let refusals = 2;
    trace(t, (address) => address === '198.51.100.10' && refusals-- > 0);
    await t.owner.hold();
    const held = heldOutcome(t);
    await t.owner.update([{ address: '198.51.100.11', family: 'inet', prefixLength: 32, interface: 'eth0' }], announce);
    expect(held.value).toBeUndefined();
    await t.advance(10);
    expect(held.value).toBe(true);
    expect(await t.held()).toEqual(['198.51.100.11/32']);
    await t.owner.stop();
  });
});
