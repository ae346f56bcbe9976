/**
 * harness: one daemon against the fake kernel (addresses, links, announcer, IPVS) and a real
 * election thread on loopback UDP. The peer is silent (nothing listens at its address), so the
 * node becomes master on its own. Shared by the daemon component tests.
 */
import { createSocket } from 'node:dgram';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Daemon, type DaemonOptions, type DaemonPorts } from '../../../src/daemon/daemon.js';
import type { IpvsAccess } from '../../../src/daemon/lvs-components.js';
import { systemMonotonicClock } from '../../../src/election-runtime/monotonic-clock.js';
import type { AddressSpec, NotifyPort } from '../../../src/kernel/ports.js';
import { FakeAddresses } from '../../fakes/fake-addresses.js';
import { FakeAnnouncer } from '../../fakes/fake-announcer.js';
import { FakeIpvs } from '../../fakes/fake-ipvs.js';
import { FakeIpvsSysctls } from '../../fakes/fake-ipvs-sysctls.js';
import { FakeLinks } from '../../fakes/fake-links.js';

/** Harness is one test's daemon and fakes. */
export interface Harness {
  dir: string;
  configFile: string;
  port: number;
  links: FakeLinks;
  addresses: FakeAddresses;
  announcer: FakeAnnouncer;
  ipvs: FakeIpvs;
  syncSysctls: FakeIpvsSysctls;
  /** timeline: notify calls, address removals and sync-daemon starts/stops, in the order they happened. */
  timeline: string[];
  logLines: Record<string, unknown>[];
  daemon?: Daemon;
}

/** ConfigOptions shape the config the harness writes; `extra` is YAML appended as is. */
export interface ConfigOptions {
  vips?: string[];
  priority?: number;
  level?: string;
  extra?: string;
}

export async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => { resolve(); }));
  return port;
}

/** configText is a two-node config whose alpha runs on loopback with 20 ms adverts. */
export function configText(h: Harness, options: ConfigOptions = {}): string {
  const vips = options.vips ?? ['192.0.2.100/24'];
  return [
    'nodes:',
    `  - { name: alpha, priority: ${options.priority ?? 200}, addresses: [127.0.0.1], trackInterfaces: [eth0] }`,
    '  - { name: beta, priority: 100, addresses: [127.0.0.2] }',
    'election:',
    '  groupId: 7',
    '  advertIntervalMs: 20',
    `  port: ${h.port}`,
    `  authKeyFile: ${join(h.dir, 'auth.key')}`,
    '  announce: { count: 2, intervalMs: 5, repeatAfterMs: 0 }',
    'vips:',
    ...vips.map((vip) => `  - { address: ${vip}, interface: eth0 }`),
    `log: { level: ${options.level ?? 'info'} }`,
    options.extra ?? '',
    '',
  ].join('\n');
}

export async function until(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export function vipsOn(h: Harness): Promise<string[]> {
  return h.addresses.list().then((list) => list.map((a) => `${a.address}/${a.prefixLength}`));
}

/** createHarness builds the fakes, the key file and a config (configText with `options`). */
export async function createHarness(options: ConfigOptions = {}): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-daemon-'));
  const links = new FakeLinks();
  links.addLink({ name: 'eth0', mac: '02:00:00:00:00:01', up: true });
  const addresses = new FakeAddresses(links);
  const timeline: string[] = [];
  const remove = addresses.remove.bind(addresses);
  addresses.remove = (spec: AddressSpec) => {
    timeline.push(`remove ${spec.address}`);
    return remove(spec);
  };
  const ipvs = new FakeIpvs({ interfaces: { lo: 65536, eth0: 1500 } });
  const startDaemon = ipvs.startDaemon.bind(ipvs);
  ipvs.startDaemon = (daemon) => {
    timeline.push(`sync start ${daemon.state}`);
    return startDaemon(daemon);
  };
  const stopDaemon = ipvs.stopDaemon.bind(ipvs);
  ipvs.stopDaemon = (state) => {
    timeline.push(`sync stop ${state}`);
    return stopDaemon(state);
  };
  const h: Harness = { dir, configFile: join(dir, 'tandem.yaml'), port: await freeUdpPort(), links, addresses, announcer: new FakeAnnouncer(), ipvs, syncSysctls: new FakeIpvsSysctls(), timeline, logLines: [] };
  await writeFile(join(dir, 'auth.key'), 'a'.repeat(64));
  await chmod(join(dir, 'auth.key'), 0o600);
  await writeFile(h.configFile, configText(h, options));
  return h;
}

export async function destroyHarness(h: Harness): Promise<void> {
  await h.daemon?.stop();
  await rm(h.dir, { recursive: true, force: true });
}

/** recordingNotify appends every sd_notify call to the timeline. */
export function recordingNotify(h: Harness): NotifyPort {
  return {
    ready: (status) => h.timeline.push(`READY ${status ?? ''}`),
    reloading: () => h.timeline.push('RELOADING'),
    stopping: () => h.timeline.push('STOPPING'),
    watchdog: () => h.timeline.push('WATCHDOG'),
    status: (text) => h.timeline.push(`STATUS ${text}`),
  };
}

/** harnessPorts are the fakes as DaemonPorts, with `ipvs` usable unless overridden. */
export function harnessPorts(h: Harness, overrides: Partial<DaemonPorts> = {}): DaemonPorts {
  const log = pino({ level: 'debug' }, { write: (line: string) => { h.logLines.push(JSON.parse(line) as Record<string, unknown>); } });
  const ipvs: IpvsAccess = { available: true, kernel: h.ipvs, syncSysctls: h.syncSysctls };
  return { addresses: h.addresses, links: h.links, announcer: h.announcer, notify: recordingNotify(h), clock: systemMonotonicClock(), log, ipvs, ...overrides };
}

/** startDaemon starts alpha with fast watchdog, VIP verify and IPVS ticks. */
export async function startDaemon(h: Harness, options: Partial<DaemonOptions> = {}, overrides: Partial<DaemonPorts> = {}): Promise<Daemon> {
  h.daemon = await Daemon.start(
    { configFile: h.configFile, node: 'alpha', hostname: 'test-host', watchdogIntervalMs: 30, verifyIntervalMs: 50, ...options },
    harnessPorts(h, overrides),
  );
  return h.daemon;
}
