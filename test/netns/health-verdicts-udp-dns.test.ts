/**
 * Health verdicts for udp and dns checks against real servers in their own network namespaces
 * (root). Each real server runs helpers/datagram-server.mjs: a UDP echo service and a tiny
 * authoritative DNS server, both real sockets the checks reach across a bridge. They are killed
 * and restored, made silent, made to answer the wrong thing, and flapped; verdicts must follow
 * within the windows of helpers/health-verdicts.ts (interval × fall, interval × rise, plus one
 * interval and slack for the loaded machine).
 *
 * The flaps here are counted in probes, not in milliseconds: the server drops or answers the
 * next queries by a pattern ("dd", "adad…"), so each run of the check meets exactly the outcome
 * the test means, however late the machine runs its timers.
 */
import { describe, expect, it } from 'vitest';
import { DATAGRAM_SERVER, REAL_SERVERS, REAL_SERVERS6, type RealServerName } from './helpers/health-lab.js';
import { expectDownReason, expectNoLeakedSockets, expectNoVerdict, expectVerdict, midInterval, useHealthLab, verdictMark, waitForVerdict } from './helpers/health-verdicts.js';

// A longer interval than the TCP/HTTP suite's: a DNS answer is a user-space round trip through
// a busy machine, and 150 ms keeps a slow answer from counting as a timeout.
const CHECKS = { intervalMs: 300, timeoutMs: 150, rise: 2, fall: 3 };
const ECHO_PORT = 7;
const DNS_PORT = 53;
const PAYLOAD = 'tandem health';
/** ZONE_ADDRESS is what datagram-server.mjs answers for www.lab.test until told otherwise. */
const ZONE_ADDRESS = '192.0.2.53';
/** SERVICE_NAMES are datagram-server.mjs's services, as its commands name them. */
const SERVICE_NAMES = ['echo', 'dns'] as const;
type Service = (typeof SERVICE_NAMES)[number];

const lab = useHealthLab({
  checks: CHECKS,
  serverScript: DATAGRAM_SERVER,
  services: [
    { protocol: 'udp', port: ECHO_PORT, check: `kind: udp, payload: '${PAYLOAD}', expect: '^${PAYLOAD}$'` },
    { protocol: 'udp', port: DNS_PORT, check: `kind: dns, queryName: www.lab.test, queryType: A, expectRcode: NOERROR, expectAnswer: ${ZONE_ADDRESS}` },
  ],
});

/** ok sends a datagram-server command and waits for its acknowledgement. */
async function ok(name: RealServerName, command: string): Promise<void> {
  await lab().tell(name, command, (line) => line === `ok ${command}`);
}

/** ServerStats is what datagram-server.mjs counts. */
interface ServerStats {
  readonly echo: { readonly answered: number; readonly dropped: number; readonly peers: readonly string[] };
  readonly dns: { readonly answered: number; readonly dropped: number; readonly tcp: number; readonly peers: readonly string[] };
}

/** statsOf asks a real server what it has answered and dropped so far. */
async function statsOf(name: RealServerName): Promise<ServerStats> {
  const line = await lab().tell(name, 'stats', (candidate) => candidate.startsWith('stats '));
  return JSON.parse(line.slice('stats '.length)) as ServerStats;
}

/** playPattern has both services of a real server meet their next queries by `letters` (a: answer, d: drop) and waits until both have used them. */
async function playPattern(name: RealServerName, letters: string): Promise<void> {
  const mark = lab().linesOf(name).length;
  for (const service of SERVICE_NAMES) await ok(name, `pattern ${service} ${letters}`);
  for (const service of SERVICE_NAMES) await lab().awaitLine(name, mark, (line) => line === `done ${service}`);
}

/** refs are the lab's refs of one real server, by service. */
function refs(name: RealServerName): Record<Service, string> {
  return { echo: lab().ref(name, ECHO_PORT), dns: lab().ref(name, DNS_PORT) };
}

/** downCounts counts the health.down lines logged so far for one real server, by service. */
function downCounts(name: RealServerName): Record<Service, number> {
  return { echo: lab().downsFor(refs(name).echo).length, dns: lab().downsFor(refs(name).dns).length };
}

/** sleepIntervals waits `intervals` check intervals. */
function sleepIntervals(intervals: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, intervals * CHECKS.intervalMs));
}

/**
 * answerAgain makes a silent real server answer on every service, mid-interval so the verdict's
 * lower bound discriminates, and expects each service up in the verdict window widened by one timeout.
 */
async function answerAgain(name: RealServerName): Promise<void> {
  await midInterval(lab());
  const answeringAt = Date.now();
  for (const service of SERVICE_NAMES) await ok(name, `mode ${service} answer`);
  for (const service of SERVICE_NAMES) await expectVerdict(lab(), refs(name)[service], 'up', answeringAt, CHECKS.timeoutMs);
}

describe('udp and dns health verdicts against real servers in namespaces', () => {
  it('takes a killed real server down on its udp and dns services within interval × fall, refused by ICMP, and back within interval × rise', async () => {
    const downsBefore = downCounts('rs1');
    const killedAt = Date.now();
    await lab().kill('rs1');
    for (const service of SERVICE_NAMES) {
      // A closed UDP port answers ICMP port unreachable: each run fails at once, not at its timeout.
      await expectVerdict(lab(), refs('rs1')[service], 'down', killedAt);
      await expectDownReason(lab(), refs('rs1')[service], downsBefore[service], 'refused');
    }
    expectNoVerdict(lab(), Object.values(refs('rs2')));

    await lab().startServer('rs1');
    const restoredAt = Date.now();
    for (const service of SERVICE_NAMES) await expectVerdict(lab(), refs('rs1')[service], 'up', restoredAt);
  });

  it('fails a udp or dns check on the ICMP port unreachable of a closed port long before its timeout, over IPv4 and IPv6', async () => {
    // A long timeout, so that a check that waited for it instead of hearing the ICMP error shows.
    const timing = { intervalMs: 5000, timeoutMs: 4000 };
    for (const address of [REAL_SERVERS.rs2, REAL_SERVERS6.rs2]) {
      const [echoed, answered, resolved, closedUdp, closedDns] = await lab().probeOnce([
        { address, fields: { kind: 'udp', port: ECHO_PORT, payload: PAYLOAD, expect: `^${PAYLOAD}$`, ...timing } },
        // Without expect (and with the default empty payload) any reply passes at once.
        { address, fields: { kind: 'udp', port: ECHO_PORT, ...timing } },
        { address, fields: { kind: 'dns', port: DNS_PORT, queryName: 'www.lab.test', expectAnswer: ZONE_ADDRESS, ...timing } },
        { address, fields: { kind: 'udp', port: 9, payload: PAYLOAD, ...timing } },
        { address, fields: { kind: 'dns', port: 5353, queryName: 'www.lab.test', ...timing } },
      ]);
      for (const open of [echoed, answered, resolved]) expect(open, address).toMatchObject({ ok: true });
      for (const closed of [closedUdp, closedDns]) expect(closed, address).toMatchObject({ ok: false, reason: 'refused' });
      for (const result of [answered, closedUdp, closedDns]) expect(result!.latencyMs, address).toBeLessThan(timing.timeoutMs / 4);
    }
  });

  it('sends udp and dns probes from the configured source address, and fails with local when that address is not the director\'s', async () => {
    const source = '198.51.100.3';
    lab().addDirectorAddress(`${source}/24`);
    const timing = { intervalMs: 2000, timeoutMs: 1000 };
    const [echoed, resolved, foreign] = await lab().probeOnce([
      { address: REAL_SERVERS.rs2, fields: { kind: 'udp', port: ECHO_PORT, payload: PAYLOAD, expect: `^${PAYLOAD}$`, sourceAddress: source, ...timing } },
      { address: REAL_SERVERS.rs2, fields: { kind: 'dns', port: DNS_PORT, queryName: 'www.lab.test', sourceAddress: source, ...timing } },
      { address: REAL_SERVERS.rs2, fields: { kind: 'udp', port: ECHO_PORT, payload: PAYLOAD, sourceAddress: '198.51.100.99', ...timing } },
    ]);
    expect(echoed).toMatchObject({ ok: true });
    expect(resolved).toMatchObject({ ok: true });
    expect(foreign).toMatchObject({ ok: false, reason: 'local' });
    // The lab's own checks come from the director's first address; only the probes above used this one.
    const stats = await statsOf('rs2');
    expect(stats.echo.peers).toContain(source);
    expect(stats.dns.peers).toContain(source);
  });

  it('fails a dns check whose expected rcode or answer differs from what the server answers', async () => {
    const timing = { intervalMs: 2000, timeoutMs: 1000 };
    const ask = (fields: Record<string, unknown>) => ({ address: REAL_SERVERS.rs2, fields: { kind: 'dns', port: DNS_PORT, ...timing, ...fields } });
    const [missing, missingExpected, wrongAnswer, rightAnswer, noData] = await lab().probeOnce([
      ask({ queryName: 'nothing.lab.test' }),
      ask({ queryName: 'nothing.lab.test', expectRcode: 'NXDOMAIN' }),
      ask({ queryName: 'www.lab.test', expectAnswer: '192.0.2.99' }),
      ask({ queryName: 'WWW.Lab.Test.', expectAnswer: ZONE_ADDRESS }),
      ask({ queryName: 'www.lab.test', queryType: 'AAAA', expectAnswer: '2001:db8::53' }),
    ]);
    expect(missing).toMatchObject({ ok: false, reason: 'rcode', detail: 'rcode NXDOMAIN, expected NOERROR' });
    expect(missingExpected).toMatchObject({ ok: true });
    expect(wrongAnswer).toMatchObject({ ok: false, reason: 'answer' });
    expect(wrongAnswer).toHaveProperty('detail', expect.stringContaining(ZONE_ADDRESS));
    expect(rightAnswer).toMatchObject({ ok: true });
    expect(noData).toMatchObject({ ok: false, reason: 'answer' });
    expect(noData).toHaveProperty('detail', expect.stringContaining('got none'));
  });

  it('takes a dns real server down when it answers NXDOMAIN or another address, and up when it answers right again; its udp service is unaffected', async () => {
    const dns = refs('rs2').dns;
    for (const [wrong, right, reason] of [['rcode NXDOMAIN', 'rcode auto', 'rcode'], ['answer 192.0.2.99', `answer ${ZONE_ADDRESS}`, 'answer']] as const) {
      const downsBefore = lab().downsFor(dns).length;
      await midInterval(lab());
      const wrongAt = Date.now();
      await ok('rs2', wrong);
      await expectVerdict(lab(), dns, 'down', wrongAt);
      await expectDownReason(lab(), dns, downsBefore, reason);
      await midInterval(lab());
      const rightAt = Date.now();
      await ok('rs2', right);
      await expectVerdict(lab(), dns, 'up', rightAt);
    }
    expectNoVerdict(lab(), [refs('rs2').echo]);
  });

  it('keeps udp and dns up through fewer than `fall` dropped probes, and times them out when the silence lasts', async () => {
    const flapMark = verdictMark(lab());
    const statsBefore = await statsOf('rs2');
    await playPattern('rs2', 'd'.repeat(CHECKS.fall - 1));
    await sleepIntervals(CHECKS.fall);
    const statsAfter = await statsOf('rs2');
    // The flap reached the checks: each service dropped exactly fall − 1 probes, then answered again.
    expect(statsAfter.echo.dropped - statsBefore.echo.dropped).toBe(CHECKS.fall - 1);
    expect(statsAfter.dns.dropped - statsBefore.dns.dropped).toBe(CHECKS.fall - 1);
    expect(statsAfter.echo.answered).toBeGreaterThan(statsBefore.echo.answered);
    expect(statsAfter.dns.answered).toBeGreaterThan(statsBefore.dns.answered);
    expectNoVerdict(lab(), Object.values(refs('rs2')), flapMark);

    const downsBefore = downCounts('rs2');
    await midInterval(lab());
    const silentAt = Date.now();
    for (const service of SERVICE_NAMES) await ok('rs2', `mode ${service} drop`);
    for (const service of SERVICE_NAMES) {
      await expectVerdict(lab(), refs('rs2')[service], 'down', silentAt, CHECKS.timeoutMs);
      await expectDownReason(lab(), refs('rs2')[service], downsBefore[service], 'timeout');
    }
    await answerAgain('rs2');
  });

  it('keeps a flapping real server that never answers `rise` probes in a row down, and brings it up once it does', async () => {
    const silentMark = verdictMark(lab());
    const silentAt = Date.now();
    for (const service of SERVICE_NAMES) await ok('rs1', `mode ${service} drop`);
    for (const service of SERVICE_NAMES) await waitForVerdict(lab(), refs('rs1')[service], 'down', silentAt);
    // One down each and nothing else since the silence; from here on no verdict at all.
    const sinceSilent = lab().verdicts.slice(silentMark);
    for (const ref of Object.values(refs('rs1'))) expect(sinceSilent.filter((line) => line.rs === ref).map((line) => line.verdict), ref).toEqual(['down']);

    const flapMark = verdictMark(lab());
    const statsBefore = await statsOf('rs1');
    // Answer, drop, answer, drop…: every other probe succeeds, never two in a row (rise = 2).
    const flaps = 4;
    await playPattern('rs1', 'ad'.repeat(flaps));
    await sleepIntervals(1);
    const statsAfter = await statsOf('rs1');
    expect(statsAfter.echo.answered - statsBefore.echo.answered).toBe(flaps);
    expect(statsAfter.dns.answered - statsBefore.dns.answered).toBe(flaps);
    expectNoVerdict(lab(), Object.values(refs('rs1')), flapMark);

    await answerAgain('rs1');
  });

  it('asks again over TCP when the UDP answer is truncated, and the real server stays up', async () => {
    const truncatedMark = verdictMark(lab());
    const statsBefore = await statsOf('rs2');
    await ok('rs2', 'truncate on');
    await sleepIntervals(CHECKS.fall + 1);
    await ok('rs2', 'truncate off');
    const statsAfter = await statsOf('rs2');
    // Every run in those fall + 1 intervals had to finish over TCP; a few may be lost to a loaded machine.
    expect(statsAfter.dns.tcp - statsBefore.dns.tcp).toBeGreaterThanOrEqual(CHECKS.fall - 1);
    expectNoVerdict(lab(), [refs('rs2').dns], truncatedMark);
  });

  it('leaves no socket behind after the refused, timed-out, wrong and truncated attempts above', async () => {
    // Two real servers, an echo and a dns probe each; a dns attempt holds its UDP socket and, on a truncated answer, a TCP one.
    await expectNoLeakedSockets(lab(), 2 * (1 + 2));
  });
});
