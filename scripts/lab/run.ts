/**
 * lab/run: the whole pair working on one machine, narrated. `sudo npm run lab`.
 *
 * It builds the netns test lab (test/netns/lab/lab.ts): a bridge, directors alpha (priority 200)
 * and beta (priority 100) and a client, on TEST-NET-1 (RFC 5737) and, added here, the IPv6
 * documentation prefix 2001:db8::/32 (RFC 3849). Each director runs `tandem run` and a TCP
 * responder that answers with its name, so the client sees who holds the VIP. Then it kills
 * alpha's daemon, restarts it, and stops it in order, printing what the client saw each time.
 * Everything it made is removed on exit, on Ctrl-C and on a failed step. Exit code 0 = all steps held.
 */
import { execFileSync } from 'node:child_process';
import { VIP6, addIpv6Addresses, holdsAddress, macOf } from '../../test/netns/failover-helpers.js';
import { DIRECTORS, killAndWait, Lab, VIP, waitFor, type DirectorName } from '../../test/netns/lab/lab.js';

/** ADVERT_INTERVAL_MS: master_down = 3 × 100 + skew ≈ 360 ms for beta (RFC 5798 §6.1). */
const ADVERT_INTERVAL_MS = 100;
/** PREEMPT_DELAY_MS lets a restarted alpha (run from source, it compiles first) warm up before it preempts. */
const PREEMPT_DELAY_MS = 2000;
/** PROBE_INTERVAL_MS: the client connects to the VIP this often, so outages are measured to about this. */
const PROBE_INTERVAL_MS = 10;
/** STEP_BOUND_MS bounds each wait: daemons run from source on a shared two-core machine. */
const STEP_BOUND_MS = 30_000;
interface Answer {
  readonly atMs: number;
  readonly from: string;
}

const startedMs = performance.now();
const nowMs = (): number => performance.timeOrigin + performance.now();
const say = (text: string): void => { process.stdout.write(`[${((performance.now() - startedMs) / 1000).toFixed(1).padStart(5)} s] ${text}\n`); };

/** holders names the directors with `address` on eth0 right now. */
function holders(lab: Lab, address: string): string {
  const held = DIRECTORS.map((d) => d.name).filter((name) => holdsAddress(lab, name, address));
  return held.length === 0 ? 'nobody' : held.join(' and ');
}

/**
 * ipv6AnsweredBy connects from the client to the IPv6 VIP, where nothing listens: a refusal is
 * the holder's kernel answering. The client's neighbour entry for the VIP then names its MAC.
 */
function ipv6AnsweredBy(lab: Lab): string {
  const script = `require('net').connect({ host: '${VIP6}', port: 9 }).on('error', (e) => { console.log(e.code); });`;
  const outcome = execFileSync('ip', ['netns', 'exec', lab.namespaces.client.name, 'node', '-e', script], { encoding: 'utf8', timeout: 10_000 }).trim();
  if (outcome !== 'ECONNREFUSED') throw new Error(`the client could not reach ${VIP6}: ${outcome}`);
  const mac = /lladdr (\S+)/.exec(lab.namespaces.client.ip('-6', 'neigh', 'show', VIP6))?.[1];
  return DIRECTORS.map((d) => d.name).find((name) => macOf(lab, name) === mac) ?? `unknown MAC ${mac ?? '?'}`;
}

/** demo runs the story on a built lab; it throws at the first step that does not hold. */
async function demo(lab: Lab): Promise<void> {
  const answers: Answer[] = [];
  const firstAnswer = (name: DirectorName, afterMs: number): Promise<Answer> => {
    const find = (): Answer | undefined => answers.find((a) => a.atMs > afterMs && a.from === name);
    return waitFor(`the client to be answered by ${name}`, () => find() !== undefined, STEP_BOUND_MS).then(() => find() as Answer);
  };
  const gapBefore = (answer: Answer): number => answer.atMs - (answers.filter((a) => a.atMs < answer.atMs).at(-1)?.atMs ?? answer.atMs);
  const daemon = (name: DirectorName) => {
    const child = lab.daemons.get(name);
    if (child === undefined) throw new Error(`${name}'s daemon is not running`);
    return child;
  };

  say(`lab up: alpha (priority 200) ${DIRECTORS[0].address}, beta (priority 100) ${DIRECTORS[1].address}, client 192.0.2.50; VIPs ${VIP} and ${VIP6}`);
  await addIpv6Addresses(lab);
  say(`config: ${lab.configFile}`);
  lab.startDaemon('alpha');
  lab.startDaemon('beta');
  say('started `tandem run` in both director namespaces');
  const electedMs = await waitFor('alpha to hold the VIP', () => holders(lab, VIP) === 'alpha' && holders(lab, VIP6) === 'alpha', STEP_BOUND_MS);
  say(`alpha holds both VIPs after ${(electedMs / 1000).toFixed(1)} s (start-up from source included)`);

  lab.startProbe(PROBE_INTERVAL_MS, (answer) => answers.push(answer));
  const first = await firstAnswer('alpha', 0);
  say(`client → ${VIP}:8080 answered by ${first.from}; client → [${VIP6}] reached ${ipv6AnsweredBy(lab)}`);

  say('SIGKILL alpha\'s daemon (a crash: no goodbye advert, the VIP stays on its dead interface)');
  const killedMs = nowMs();
  await killAndWait(daemon('alpha'), 'SIGKILL');
  const betaHoldsMs = await waitFor('beta to hold the VIP', () => holders(lab, VIP).includes('beta'), STEP_BOUND_MS);
  say(`beta took the VIP ${Math.round(betaHoldsMs)} ms after the kill (its master-down timer is ≈ ${Math.round(3 * ADVERT_INTERVAL_MS + ((256 - 100) / 256) * ADVERT_INTERVAL_MS)} ms from alpha's last advert)`);
  const byBeta = await firstAnswer('beta', killedMs);
  say(`client answered by beta ${Math.round(byBeta.atMs - killedMs)} ms after the kill; IPv6 reaches ${ipv6AnsweredBy(lab)}`);

  say(`restart alpha: it joins as backup, then preempts after its ${PREEMPT_DELAY_MS} ms preempt delay`);
  const restartedMs = nowMs();
  lab.startDaemon('alpha');
  await waitFor('alpha to take the VIP back', () => holders(lab, VIP) === 'alpha' && holders(lab, VIP6) === 'alpha', STEP_BOUND_MS);
  const back = await firstAnswer('alpha', restartedMs);
  say(`alpha preempted: it alone holds the VIPs, client answered by alpha ${((back.atMs - restartedMs) / 1000).toFixed(1)} s after the restart`);

  say('SIGTERM alpha (planned handover: priority-0 advert, VIPs removed, beta takes over at once)');
  const stoppedMs = nowMs();
  const exitCode = await killAndWait(daemon('alpha'), 'SIGTERM');
  if (exitCode !== 0) throw new Error(`alpha exited with ${String(exitCode)} on SIGTERM, not 0`);
  const handedOver = await firstAnswer('beta', stoppedMs);
  say(`alpha exited 0; the VIPs are on ${holders(lab, VIP)} / ${holders(lab, VIP6)}; client answered by beta ${Math.round(handedOver.atMs - stoppedMs)} ms after SIGTERM`);
  say(`client-visible outage of the handover: ${Math.round(gapBefore(handedOver))} ms without an answer (probe every ${PROBE_INTERVAL_MS} ms)`);
  if (holders(lab, VIP) !== 'beta' || holders(lab, VIP6) !== 'beta') throw new Error(`after the handover the VIPs are on ${holders(lab, VIP)} / ${holders(lab, VIP6)}, not beta alone`);
}

if (process.getuid?.() !== 0) {
  process.stderr.write('npm run lab needs root: it creates network namespaces, veth links and a bridge (try: sudo npm run lab)\n');
  process.exit(1);
}

const labReady = Lab.create({ advertIntervalMs: ADVERT_INTERVAL_MS, preemptDelayMs: PREEMPT_DELAY_MS });
/**
 * finish removes the lab and exits with the first code asked for. Every caller awaits the same
 * clean-up: a step failing because Ctrl-C already tore the namespaces down must not exit early.
 */
let cleanup: Promise<number> | undefined;
async function finish(code: number): Promise<never> {
  cleanup ??= labReady.catch(() => undefined).then(async (lab) => {
    await lab?.destroy();
    say(code === 0 ? 'lab removed. every step held.' : 'lab removed.');
    return code;
  });
  process.exit(await cleanup);
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => { say(`${signal}: cleaning up`); void finish(130); });

try {
  await demo(await labReady);
  await finish(0);
} catch (error) {
  if (cleanup === undefined) say(`FAILED: ${error instanceof Error ? error.message : String(error)}`);
  await finish(1);
}
