/**
 * measure: the verdict → kernel weight change measurement, on any IpvsPort. run.ts runs it on
 * the in-memory FakeIpvs on the host, and inside a user-mode-linux guest on NetlinkIpvs, i.e.
 * Linux's IPVS over netlink.
 *
 * An IpvsOwner programs SERVICES tcp services with SERVERS real servers each, then receives
 * VERDICTS verdicts one at a time through IpvsOwner.setVerdict (what the daemon's health
 * component calls), each after a random pause of 0 to maxPauseMs, while its 500 ms tick keeps running full
 * passes (listing the table on `tableReads`, a second socket, when given one). A verdict's latency is the time until the port's `apply` has returned an accepted
 * outcome for the matching edit-real-server: on NetlinkIpvs that is the kernel's netlink
 * acknowledgement of the weight change.
 */
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { pino } from 'pino';
import type { VirtualServer } from '../../src/config/types.js';
import { parseConfig } from '../../src/config/load.js';
import { systemMonotonicClock } from '../../src/election-runtime/monotonic-clock.js';
import type { IpvsOperation, IpvsPort } from '../../src/ipvs/ipvs-port.js';
import { serviceKey } from '../../src/ipvs/model.js';
import { ipvsRealServer, ipvsService, ipvsServiceId, realServerRef } from '../../src/lvs/config-to-ipvs.js';
import { IpvsOwner, type IpvsOwnerStats } from '../../src/lvs/ipvs-owner.js';
import { median, percentile } from '../order-statistics.js';

/** TableSize is one measured table: SERVICES × SERVERS real servers, VERDICTS verdicts 0 to maxPauseMs apart. */
export interface TableSize {
  readonly services: number;
  readonly servers: number;
  readonly verdicts: number;
  /**
   * maxPauseMs bounds the random pause after each verdict. Small (5) measures the fast path back
   * to back; each full pass then delays about one verdict. Near the tick (500) verdicts are
   * sparse as in service, and the share that waits for a full pass is the share of time the
   * owner spends in one.
   */
  readonly maxPauseMs: number;
}

/** Measurement is one table's latencies (ms, in arrival order) and the owner's counters after it. */
export interface Measurement extends TableSize {
  /** arm names what was measured when a run compares variants (run.ts `--arms`). */
  readonly arm?: string;
  readonly latenciesMs: readonly number[];
  /**
   * queuedMs[i] is the part of latenciesMs[i] before the owner called the port's `apply` with the
   * verdict's edit (tandem's JS thread: the fast pass, or whatever held the event loop or the
   * write line); the rest is the port's round trip (on NetlinkIpvs the addon's thread, the
   * kernel and the guest's one CPU).
   */
  readonly queuedMs: readonly number[];
  /** metFullPass[i]: a full pass's listing was running when verdict i arrived, or started before its edit was accepted. */
  readonly metFullPass: readonly boolean[];
  /** gcMs[i] is how long garbage collections (V8's gc performance entries) ran during verdict i. */
  readonly gcMs: readonly number[];
  /** listingsMs are the full passes' listings (`listRules()` on `tableReads`) during the verdicts, in ms. */
  readonly listingsMs: readonly number[];
  /** verdictsMs is how long the verdict loop took, pauses included. */
  readonly verdictsMs: number;
  /** startMs is the owner's first pass: programming the whole table. */
  readonly startMs: number;
  readonly stats: IpvsOwnerStats;
}

/** configFor builds SERVICES tcp services on 198.51.100.1 ports 1.. with SERVERS masquerade real servers each. */
export function configFor({ services, servers }: Pick<TableSize, 'services' | 'servers'>): readonly VirtualServer[] {
  const doc = {
    nodes: [
      { name: 'alpha', priority: 200, addresses: ['192.0.2.11'] },
      { name: 'beta', priority: 100, addresses: ['192.0.2.12'] },
    ],
    election: { groupId: 1, authKeyFile: '/etc/tandem/auth.key' },
    vips: [{ address: '198.51.100.1/24', interface: 'eth0' }],
    virtualServers: Array.from({ length: services }, (_, s) => ({
      protocol: 'tcp',
      address: '198.51.100.1',
      port: s + 1,
      scheduler: 'wrr',
      realServers: Array.from({ length: servers }, (_, r) => ({ address: `10.${Math.floor(r / 250)}.${r % 250}.${(s % 250) + 1}`, weight: 10, forward: 'masquerade' })),
    })),
  };
  const result = parseConfig(JSON.stringify(doc), 'bench.yaml', { node: 'alpha' });
  if (!result.ok) throw new Error(`bench config invalid: ${JSON.stringify(result.issues.slice(0, 3))}`);
  return result.config.virtualServers;
}

/** programmingOperations adds every service of `virtualServers` and its real servers, at their configured weights, to an empty table. */
export function programmingOperations(virtualServers: readonly VirtualServer[]): IpvsOperation[] {
  return virtualServers.flatMap((vs) => [
    { kind: 'add-service' as const, service: ipvsService(vs) },
    ...vs.realServers.map((rs) => ({ kind: 'add-real-server' as const, service: ipvsServiceId(vs), realServer: ipvsRealServer(rs, rs.weight) })),
  ]);
}

/**
 * observeEdits wraps `ipvs.apply` so that each accepted edit-real-server resolves the waiter
 * registered under "serviceKey address:port weight" with the time `apply` was called with it,
 * and returns how to register one.
 */
function observeEdits(ipvs: IpvsPort): (key: string) => Promise<number> {
  const waiting = new Map<string, (calledAt: number) => void>();
  const apply = ipvs.apply.bind(ipvs);
  ipvs.apply = async (operations) => {
    const calledAt = performance.now();
    const outcomes = await apply(operations);
    operations.forEach((operation, index) => {
      if (operation.kind !== 'edit-real-server' || outcomes[index]?.ok !== true) return;
      const key = `${serviceKey(operation.service)} ${operation.realServer.address}:${operation.realServer.port} ${operation.realServer.weight}`;
      waiting.get(key)?.(calledAt);
      waiting.delete(key);
    });
    return outcomes;
  };
  return (key) => new Promise<number>((resolve) => waiting.set(key, resolve));
}

/**
 * watchListings wraps `ipvs.listRules` (what only a full pass calls) and returns a marker: a
 * function that, called when a verdict arrives, returns another saying whether a listing was
 * running then or has started since. A full pass whose diff is empty (the usual tick) is its
 * listing, so this tells the verdicts that queued behind a full pass from those that did not.
 * Each listing's duration goes to `durationsMs`.
 */
function watchListings(ipvs: IpvsPort, durationsMs: number[]): () => () => boolean {
  let running = 0;
  let started = 0;
  const listRules = ipvs.listRules.bind(ipvs);
  ipvs.listRules = async () => {
    running++;
    started++;
    const startedAt = performance.now();
    try {
      return await listRules();
    } finally {
      running--;
      durationsMs.push(performance.now() - startedAt);
    }
  };
  return () => {
    const [wasRunning, startedBefore] = [running > 0, started];
    return () => wasRunning || started > startedBefore;
  };
}

/**
 * measureVerdictLatency runs the measurement (see the file comment) on `ipvs`, which it programs
 * from empty, with the owner's full passes listing on `tableReads`; ipvs.apply and
 * tableReads.listRules are wrapped meanwhile and given back as they were.
 */
export async function measureVerdictLatency(ipvs: IpvsPort, size: TableSize, tableReads: IpvsPort = ipvs): Promise<Measurement> {
  const [apply, listRules] = [ipvs.apply.bind(ipvs), tableReads.listRules.bind(tableReads)];
  try {
    return await measure(ipvs, tableReads, size);
  } finally {
    Object.assign(ipvs, { apply });
    Object.assign(tableReads, { listRules });
  }
}

async function measure(ipvs: IpvsPort, tableReads: IpvsPort, size: TableSize): Promise<Measurement> {
  const virtualServers = configFor(size);
  const edited = observeEdits(ipvs);
  const listingsMs: number[] = [];
  const markListings = watchListings(tableReads, listingsMs);
  const owner = new IpvsOwner(
    { virtualServers, ipvs: { timeouts: { tcpSeconds: 0, tcpFinSeconds: 0, udpSeconds: 0 }, purgeUnmanaged: false } },
    { ipvs, tableReads, clock: systemMonotonicClock(), log: pino({ level: 'silent' }) },
  );
  const started = performance.now();
  await owner.start();
  const startMs = performance.now() - started;

  const collections: { readonly startTime: number; readonly duration: number }[] = [];
  const gcObserver = new PerformanceObserver((list) => collections.push(...list.getEntries()));
  gcObserver.observe({ entryTypes: ['gc'] });
  const spans: [number, number][] = [];
  const down = new Set<string>();
  const latenciesMs: number[] = [];
  const queuedMs: number[] = [];
  const metFullPass: boolean[] = [];
  // The first pass's listing (of an empty table) is not one of those the verdicts meet.
  listingsMs.length = 0;
  const loopStarted = performance.now();
  for (let i = 0; i < size.verdicts; i++) {
    const vs = virtualServers[Math.floor(Math.random() * virtualServers.length)];
    const rs = vs?.realServers[Math.floor(Math.random() * vs.realServers.length)];
    if (vs === undefined || rs === undefined) continue;
    const ref = realServerRef(vs, rs);
    const goingDown = !down.has(ref);
    const applied = edited(`${serviceKey(ipvsServiceId(vs))} ${rs.address}:${rs.port} ${goingDown ? 0 : rs.weight}`);
    const verdictAt = performance.now();
    const metListing = markListings();
    void owner.setVerdict(ref, goingDown ? 'down' : 'up');
    const calledAt = await applied;
    const acceptedAt = performance.now();
    spans.push([verdictAt, acceptedAt]);
    latenciesMs.push(acceptedAt - verdictAt);
    queuedMs.push(calledAt - verdictAt);
    metFullPass.push(metListing());
    if (goingDown) down.add(ref);
    else down.delete(ref);
    await new Promise((resolve) => setTimeout(resolve, Math.random() * size.maxPauseMs));
  }
  const verdictsMs = performance.now() - loopStarted;
  await owner.stop();
  // gc entries are delivered on a later turn: let the last ones arrive.
  await new Promise((resolve) => setImmediate(resolve));
  gcObserver.disconnect();
  const gcMs = spans.map(([from, to]) => collections.reduce((sum, gc) => sum + Math.max(0, Math.min(to, gc.startTime + gc.duration) - Math.max(from, gc.startTime)), 0));
  return { ...size, latenciesMs, queuedMs, metFullPass, gcMs, listingsMs, verdictsMs, startMs, stats: { ...owner.stats } };
}

/** Figures are one set of latencies' order statistics, in ms. */
interface Figures {
  readonly min: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

function figuresOf(latenciesMs: readonly number[]): Figures {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  return { min: sorted[0] ?? Number.NaN, p50: percentile(sorted, 0.5), p90: percentile(sorted, 0.9), p99: percentile(sorted, 0.99), max: sorted.at(-1) ?? Number.NaN };
}

/**
 * split is a measurement's latencies: all, those that queued behind a full pass, and the others;
 * and of those behind a full pass, the part queued in tandem and the port's round trip.
 */
function split(m: Measurement): { all: readonly number[]; queued: readonly number[]; alone: readonly number[]; inTandem: readonly number[]; roundTrip: readonly number[] } {
  const met = (_: number, i: number): boolean => m.metFullPass[i] === true;
  const inTandem = m.queuedMs.filter(met);
  return {
    all: m.latenciesMs,
    queued: m.latenciesMs.filter(met),
    alone: m.latenciesMs.filter((_, i) => m.metFullPass[i] !== true),
    inTandem,
    roundTrip: m.latenciesMs.filter(met).map((latency, i) => latency - (inTandem[i] ?? 0)),
  };
}

const ms = (value: number): string => value.toFixed(2).padStart(9);
const FIGURE_HEADER = ['min', 'p50', 'p90', 'p99', 'max'].map((h) => h.padStart(9)).join('');

/** row is min, p50, p90, p99 and max of `latenciesMs`, then how many there were, after `label` padded to `labelWidth`. */
export function row(label: string, latenciesMs: readonly number[], labelWidth = 28): string {
  const f = figuresOf(latenciesMs);
  return `${label.padEnd(labelWidth)}${[f.min, f.p50, f.p90, f.p99, f.max].map(ms).join('')}${String(latenciesMs.length).padStart(10)}`;
}

/** parseTableSize reads "SERVICESxSERVERS". */
export function parseTableSize(text: string): Pick<TableSize, 'services' | 'servers'> {
  const [services, servers] = text.split('x').map(Number);
  if (services === undefined || servers === undefined || !(services > 0) || !(servers > 0)) throw new Error(`table "${text}" is not SERVICESxSERVERS`);
  return { services, servers };
}

/**
 * formatMedians is one line per table: the median over its runs of each run's p50, p99 and max,
 * for every verdict and for the verdicts that met no full pass; for those that met one, the
 * median p99 of their latency, of its part queued in tandem and of the port's round trip; and
 * how many met one; and the median of each run's p50 and max full-pass listing. (The p99 of the
 * parts come from different verdicts and need not add up.) Arms of a table get a line each.
 */
export function formatMedians(measurements: readonly Measurement[]): string {
  const tables = new Map<string, Measurement[]>();
  for (const m of measurements) {
    const key = `${m.services} × ${m.servers} (${(m.services * m.servers).toLocaleString('en')} rs)${m.arm === undefined ? '' : ` ${m.arm}`}`;
    tables.set(key, [...(tables.get(key) ?? []), m]);
  }
  const lines = [
    `${'table'.padEnd(40)}${'runs'.padStart(5)}${'p50'.padStart(9)}${'p99'.padStart(9)}${'max'.padStart(9)}   | no full pass met:${'p50'.padStart(7)}${'p99'.padStart(9)}${'max'.padStart(9)} | behind a full pass: p99${'in tandem'.padStart(11)}${'round trip'.padStart(11)} | listing p50${'max'.padStart(9)} | how many`,
  ];
  for (const [key, runs] of tables) {
    const of = (part: keyof ReturnType<typeof split>, pick: keyof Figures): string => ms(median(runs.map((m) => figuresOf(split(m)[part])[pick])));
    const listing = (pick: keyof Figures): string => ms(median(runs.map((m) => figuresOf(m.listingsMs)[pick])));
    const queued = runs.map((m) => `${split(m).queued.length}/${m.latenciesMs.length}`).join(', ');
    lines.push(`${key.padEnd(40)}${String(runs.length).padStart(5)}${of('all', 'p50')}${of('all', 'p99')}${of('all', 'max')}   |${' '.repeat(16)}${of('alone', 'p50')}${of('alone', 'p99')}${of('alone', 'max')} |${' '.repeat(16)}${of('queued', 'p99')}${of('inTandem', 'p99')}  ${of('roundTrip', 'p99')} |  ${listing('p50')}${listing('max')} | ${queued}`);
  }
  return lines.join('\n');
}

/**
 * formatMeasurement is the lines a run prints for one table: min, p50, p90, p99 and max of every
 * verdict, then apart for the verdicts that queued behind a full pass and those that did not,
 * and the owner's counters.
 */
export function formatMeasurement(m: Measurement, where: string): string {
  const { all, queued, alone, inTandem, roundTrip } = split(m);
  return [
    `table ${m.services} services × ${m.servers} real servers (${m.services * m.servers}), ${where}${m.arm === undefined ? '' : `, ${m.arm}`}`,
    `first pass (programming the table) ${m.startMs.toFixed(0)} ms; ${m.latenciesMs.length} verdicts 0–${m.maxPauseMs} ms apart in ${(m.verdictsMs / 1000).toFixed(1)} s`,
    `${'ms, verdict → accepted'.padEnd(28)}${FIGURE_HEADER}${'verdicts'.padStart(10)}`,
    row('all verdicts', all),
    row('behind a full pass', queued),
    row('  of which in tandem', inTandem),
    row('  of which the round trip', roundTrip),
    row('no full pass met', alone),
    row('met a garbage collection', m.latenciesMs.filter((_, i) => (m.gcMs[i] ?? 0) > 0)),
    row('full-pass listings', m.listingsMs),
    `owner: ${m.stats.passes} full passes, ${m.stats.fastPasses} fast passes, ${m.stats.operations} operations, ${m.stats.refused} refused, ${m.stats.errors} errors`,
  ].join('\n');
}
