/**
 * Two real `tandem run` daemons in two director namespaces and a client, all on one bridge.
 * The election runs over real UDP, the VIP is added over rtnetlink and announced with real
 * gratuitous ARP; the client reaches the VIP over TCP and learns which director answered.
 */
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIRECTORS, killAndWait, Lab, waitFor, type DirectorName } from './lab/lab.js';

const ADVERT_INTERVAL_MS = 100;
const PREEMPT_DELAY_MS = 2000;
/** Start-up of a daemon from source (tsx) takes a few seconds on this machine. */
const START_BOUND_MS = 20_000;
/** master_down is 3 × 100 + skew ≈ 360 ms; the bound is generous because CI shares two cores. */
const FAILOVER_BOUND_MS = 3_000;
/**
 * MASTER_DOWN_MS is beta's Master_Down_Interval, 3 × advert + skew with skew = (256 − 100) / 256
 * × advert (RFC 5798 §6.1): the longest an election step may wait for a silent peer.
 */
const MASTER_DOWN_MS = 3 * ADVERT_INTERVAL_MS + ((256 - 100) / 256) * ADVERT_INTERVAL_MS;
/**
 * LOADED_HEADROOM_MS is added to every timer-bound wait of the tracked-interface case: two
 * daemons run from source (tsx) on two cores other jobs share, and a stalled event loop delays a
 * step by seconds. The steps are still told apart by their logged reason, not by their timing.
 */
const LOADED_HEADROOM_MS = 8_000;

/**
 * CLIENT_BOUND_MS bounds how long the client may take to reach the new holder. A fresh probe
 * process starts in it (about a second under load), and a client whose ARP entry went stale
 * before the gratuitous ARP re-resolves within the kernel's DELAY/PROBE time (5 s, ip-neighbour(8)).
 */
const CLIENT_BOUND_MS = 15_000;

let lab: Lab | undefined;

beforeAll(async () => {
  lab = await Lab.create({ advertIntervalMs: ADVERT_INTERVAL_MS, preemptDelayMs: PREEMPT_DELAY_MS });
}, 30_000);

afterAll(async () => {
  await lab?.destroy();
}, 30_000);

function requireLab(): Lab {
  if (lab === undefined) throw new Error('the lab did not start');
  return lab;
}

function holders(l: Lab): DirectorName[] {
  return DIRECTORS.map((d) => d.name).filter((name) => l.holdsVip(name));
}

/** answerFrom connects to the VIP from the client until `name` answers. */
async function answeredBy(l: Lab, name: DirectorName): Promise<void> {
  let last = '';
  const probe = l.startProbe(20, (answer) => { last = answer.from; });
  try {
    await waitFor(`the client to reach ${name} at the VIP`, () => last === name, CLIENT_BOUND_MS);
  } catch (error) {
    // Say what the client and the daemons saw, so a failure here can be diagnosed from the log alone.
    const events = DIRECTORS.map((d) => `${d.name}: ${(l.logs.get(d.name) ?? []).slice(-8).map((line) => `${String(line.time)} ${String(line.event)} ${typeof line.to === 'string' ? line.to : ''}`).join(', ')}`);
    const macs = DIRECTORS.map((d) => `${d.name} ${/link\/ether (\S+)/.exec(l.namespaces[d.name].ip('-o', 'link', 'show', 'eth0'))?.[1] ?? '?'}`).join(', ');
    const sockets = execFileSync('ip', ['netns', 'exec', l.namespaces.client.name, 'ss', '-tan'], { encoding: 'utf8' }).replace(/\n/g, ' | ');
    const listeners = execFileSync('ip', ['netns', 'exec', l.namespaces[name].name, 'ss', '-tlnp'], { encoding: 'utf8' }).replace(/\n/g, ' | ');
    throw new Error(`${String(error)}; client sockets: ${sockets}; ${name} listeners: ${listeners}; ${name} addresses: ${l.namespaces[name].ip('-o', 'addr', 'show', 'dev', 'eth0').replace(/\n/g, ' | ')}; last answer: ${last || 'none'}; MACs: ${macs}; client neighbours: ${l.namespaces.client.ip('neigh').trim()}; ${events.join('; ')}`, { cause: error });
  } finally {
    await killAndWait(probe, 'SIGKILL');
  }
}

describe('tandem run in network namespaces', () => {
  it('elects alpha (higher priority): exactly one director holds the VIP and the client reaches it', async () => {
    const l = requireLab();
    l.startDaemon('alpha');
    l.startDaemon('beta');
    await waitFor('alpha to hold the VIP', () => l.holdsVip('alpha'), START_BOUND_MS);
    await waitFor('beta to report backup', () => (l.logs.get('beta') ?? []).some((line) => line.event === 'election.transition' && line.to === 'backup'), START_BOUND_MS);
    expect(holders(l)).toEqual(['alpha']);
    await answeredBy(l, 'alpha');
    const transition = (l.logs.get('alpha') ?? []).find((line) => line.event === 'election.transition' && line.to === 'master');
    expect(transition).toMatchObject({ component: 'election', from: 'backup' });
    // Run as root, each daemon's election thread runs SCHED_RR 10 and says so in its log.
    for (const name of ['alpha', 'beta'] as const) {
      const priority = (l.logs.get(name) ?? []).find((line) => line.event === 'election.thread-priority');
      expect(priority, name).toMatchObject({ policy: 'SCHED_RR', realtimePriority: 10, refused: [] });
    }
  }, 60_000);

  it('SIGKILL of the master: beta holds the VIP within the bound and answers the client', async () => {
    const l = requireLab();
    const alpha = l.daemons.get('alpha');
    if (alpha === undefined) throw new Error('alpha is not running');
    await killAndWait(alpha, 'SIGKILL');
    const tookMs = await waitFor('beta to hold the VIP', () => l.holdsVip('beta'), FAILOVER_BOUND_MS);
    expect(tookMs).toBeLessThan(FAILOVER_BOUND_MS);
    await answeredBy(l, 'beta');
    // alpha died holding the VIP; a SIGKILLed daemon cannot remove it, so both hold it until alpha restarts.
    l.startDaemon('alpha');
    await waitFor('alpha to take the VIP back (preempt)', () => l.holdsVip('alpha') && !l.holdsVip('beta'), START_BOUND_MS);
    expect(holders(l)).toEqual(['alpha']);
    await answeredBy(l, 'alpha');
  }, 60_000);

  it('SIGTERM of the master hands over: alpha removes the VIP, beta takes it, alpha exits 0', async () => {
    const l = requireLab();
    const alpha = l.daemons.get('alpha');
    if (alpha === undefined) throw new Error('alpha is not running');
    const exitCode = await killAndWait(alpha, 'SIGTERM');
    expect(exitCode).toBe(0);
    expect(l.holdsVip('alpha')).toBe(false);
    await waitFor('beta to hold the VIP', () => l.holdsVip('beta'), FAILOVER_BOUND_MS);
    expect(holders(l)).toEqual(['beta']);
    await answeredBy(l, 'beta');
    const alphaLines = l.logs.get('alpha') ?? [];
    const alphaLog = alphaLines.map((line) => line.event);
    expect(alphaLog.indexOf('vip.release')).toBeGreaterThan(alphaLog.indexOf('daemon.stop'));
    expect(alphaLog.at(-1)).toBe('daemon.stopped');
    // beta answered as master (handover-complete), so alpha's address lingered one announce burst.
    expect(alphaLines.filter((line) => line.event === 'election.transition').at(-1)).toMatchObject({ to: 'init', reason: 'handover-complete' });
    expect(alphaLines.filter((line) => line.event === 'vip.release').at(-1)).toMatchObject({ reason: 'handover' });
  }, 60_000);

  it('SIGHUP with a broken config keeps beta running and holding the VIP, and logs each issue with its position', async () => {
    const l = requireLab();
    const beta = l.daemons.get('beta');
    if (beta === undefined) throw new Error('beta is not running');
    const good = await readFile(l.configFile, 'utf8');
    await writeFile(l.configFile, `${good}vips: not-a-list\n`);
    try {
      const logged = (l.logs.get('beta') ?? []).length;
      beta.kill('SIGHUP');
      await waitFor('beta to reject the reload', () => (l.logs.get('beta') ?? []).slice(logged).some((line) => line.event === 'config.reload.rejected'), 10_000);
      const issues = (l.logs.get('beta') ?? []).slice(logged).filter((line) => line.event === 'config.reload.issue');
      expect(issues.length).toBeGreaterThan(0);
      expect(String(issues[0]?.issue)).toMatch(new RegExp(`^${l.configFile}:\\d+:\\d+: `));
      expect(beta.exitCode).toBeNull();
      expect(holders(l)).toEqual(['beta']);
      await answeredBy(l, 'beta');
    } finally {
      await writeFile(l.configFile, good);
    }
  }, 60_000);

  it('a tracked interface losing carrier puts alpha in fault: beta takes the VIP; alpha takes it back when it returns', async () => {
    const l = requireLab();
    const betaBefore = l.logMark('beta');
    l.startDaemon('alpha');
    await l.waitForLog('alpha', { event: 'election.transition', from: 'backup', to: 'master', reason: 'preempt' }, 0, START_BOUND_MS + PREEMPT_DELAY_MS + LOADED_HEADROOM_MS);
    await l.waitForLog('beta', { event: 'election.transition', from: 'master', to: 'backup', reason: 'higher-priority-master' }, betaBefore, LOADED_HEADROOM_MS);
    await waitFor('the VIP to move to alpha', () => l.holdsVip('alpha') && !l.holdsVip('beta'), LOADED_HEADROOM_MS);

    const alphaMark = l.logMark('alpha');
    const betaMark = l.logMark('beta');
    l.setUplink(false);
    // The carrier loss arrives as an rtnetlink notification: nothing to wait for but the machine.
    const down = await l.waitForLog('alpha', { event: 'track.down', interface: 'up0' }, alphaMark, LOADED_HEADROOM_MS);
    const fault = await l.waitForLog('alpha', { event: 'election.transition', from: 'master', to: 'fault', reason: 'tracked-down' }, alphaMark, LOADED_HEADROOM_MS);
    expect(fault.index).toBeGreaterThan(down.index);
    // alpha's priority-0 advert sends beta to master after its skew time, not its master-down timer.
    await l.waitForLog('beta', { event: 'election.transition', from: 'backup', to: 'master', reason: 'peer-leaving' }, betaMark, MASTER_DOWN_MS + LOADED_HEADROOM_MS);
    await waitFor('the VIP to move to beta', () => l.holdsVip('beta') && !l.holdsVip('alpha'), LOADED_HEADROOM_MS);
    expect(holders(l)).toEqual(['beta']);
    await answeredBy(l, 'beta');

    const alphaBack = l.logMark('alpha');
    const betaBack = l.logMark('beta');
    l.setUplink(true);
    const up = await l.waitForLog('alpha', { event: 'election.transition', from: 'fault', to: 'backup', reason: 'tracked-up' }, alphaBack, LOADED_HEADROOM_MS);
    const preempt = await l.waitForLog('alpha', { event: 'election.transition', from: 'backup', to: 'master', reason: 'preempt' }, up.index, PREEMPT_DELAY_MS + LOADED_HEADROOM_MS);
    // The preempt delay starts once alpha, back in backup, hears beta: alpha must not take the VIP back sooner.
    // The log's wall-clock milliseconds and the daemon's monotonic timer may disagree by a millisecond or so.
    expect(Date.parse(String(preempt.line['time'])) - Date.parse(String(up.line['time']))).toBeGreaterThanOrEqual(PREEMPT_DELAY_MS - 5);
    await l.waitForLog('beta', { event: 'election.transition', from: 'master', to: 'backup', reason: 'higher-priority-master' }, betaBack, LOADED_HEADROOM_MS);
    await waitFor('the VIP to move back to alpha', () => l.holdsVip('alpha') && !l.holdsVip('beta'), LOADED_HEADROOM_MS);
    expect(holders(l)).toEqual(['alpha']);
    await answeredBy(l, 'alpha');
  }, 90_000);
});
