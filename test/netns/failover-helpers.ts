/**
 * failover-helpers: what the failover netns tests need beyond the lab (test/netns/lab/lab.ts):
 * a partition of the two directors that leaves the client reaching both, the client's neighbour
 * entry for a VIP, an IPv6 VIP with its own responders, and one-shot probes from the client.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll } from 'vitest';
import { parseDocument } from 'yaml';
import { DIRECTORS, killAndWait, Lab, type DirectorName, type LabOptions } from './lab/lab.js';

/** VIP6 is the lab's IPv6 VIP (RFC 3849 documentation prefix). */
export const VIP6 = '2001:db8::100';
/** RESPONDER6_PORT is where the IPv6 responders listen (the lab's own ones listen on IPv4 only). */
export const RESPONDER6_PORT = 8086;

const ADDRESS6: Record<DirectorName | 'client', string> = { alpha: '2001:db8::11', beta: '2001:db8::12', client: '2001:db8::50' };

/** inNamespace runs a command in one of the lab's namespaces and returns its stdout. */
export function inNamespace(lab: Lab, where: keyof Lab['namespaces'], command: string[]): string {
  return execFileSync('ip', ['netns', 'exec', lab.namespaces[where].name, ...command], { encoding: 'utf8' });
}

/**
 * isolateDirectors turns bridge port isolation on or off for both director ports: isolated ports
 * cannot reach each other but still reach the client (bridge(8) `isolated`), so the election
 * partitions while both directors stay reachable, as a cut inter-director link would leave them.
 */
export function isolateDirectors(lab: Lab, isolated: boolean): void {
  for (const port of ['p-a', 'p-b']) inNamespace(lab, 'bridge', ['bridge', 'link', 'set', 'dev', port, 'isolated', isolated ? 'on' : 'off']);
}

/** macOf is the MAC of a director's eth0. */
export function macOf(lab: Lab, name: DirectorName): string {
  const mac = /link\/ether (\S+)/.exec(lab.namespaces[name].ip('-o', 'link', 'show', 'eth0'))?.[1];
  if (mac === undefined) throw new Error(`no MAC on ${name} eth0`);
  return mac;
}

/** clientNeighbour is the client's neighbour entry for `address`: its MAC (if any) and NUD state. */
export function clientNeighbour(lab: Lab, address: string): { mac: string | undefined; state: string } {
  const line = lab.namespaces.client.ip('neigh', 'show', address, 'dev', 'eth0').trim();
  return { mac: /lladdr (\S+)/.exec(line)?.[1], state: line.split(' ').at(-1) ?? '' };
}

/** holdsAddress says whether `address` is on the director's eth0 right now. */
export function holdsAddress(lab: Lab, name: DirectorName, address: string): boolean {
  return lab.namespaces[name].ip('-o', 'addr', 'show', 'dev', 'eth0').includes(` ${address}/`);
}

/**
 * addIpv6Addresses gives every host an IPv6 address in VIP6's /64 (nodad, so they are usable at
 * once) and adds VIP6 to the config's vips (call it before starting the daemons).
 */
export async function addIpv6Addresses(lab: Lab): Promise<void> {
  for (const [where, address] of Object.entries(ADDRESS6) as [DirectorName | 'client', string][]) {
    lab.namespaces[where].ip('addr', 'add', `${address}/64`, 'dev', 'eth0', 'nodad');
  }
  const config = parseDocument(await readFile(lab.configFile, 'utf8'));
  config.addIn(['vips'], config.createNode({ address: `${VIP6}/64`, interface: 'eth0' }));
  await writeFile(lab.configFile, config.toString());
}

/**
 * addIpv6 does addIpv6Addresses and starts an IPv6 responder on each director. It returns the
 * responders, for stopResponders.
 */
export async function addIpv6(lab: Lab): Promise<ChildProcess[]> {
  await addIpv6Addresses(lab);
  const responders: ChildProcess[] = [];
  for (const director of DIRECTORS) {
    const child = spawn('ip', ['netns', 'exec', lab.namespaces[director.name].name, 'node', '-e', responder6(director.name)], { stdio: ['ignore', 'pipe', 'inherit'] });
    responders.push(child);
    const stdout = child.stdout;
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: stdout }).once('line', () => { resolve(); });
      child.once('exit', (code) => { reject(new Error(`IPv6 responder exited with ${code}`)); });
    });
  }
  return responders;
}

/** responder6 is a one-line TCP server on [::]:RESPONDER6_PORT answering with the director's name. */
function responder6(name: DirectorName): string {
  return `require('net').createServer((s)=>{s.on('error',()=>{});s.end('${name}\\n')}).listen(${RESPONDER6_PORT},'::',()=>{process.stdout.write('listening\\n')})`;
}

/**
 * useDefaultAnnounce drops the lab's short announcement settings (3 × 10 ms) from the config, so
 * the daemons announce as shipped (5 × 20 ms, a second burst after 5 s): the longer burst is what
 * a heal has to outrun. Call it before starting the daemons.
 */
export async function useDefaultAnnounce(lab: Lab): Promise<void> {
  const config = await readFile(lab.configFile, 'utf8');
  const without = config.split('\n').filter((line) => !line.trimStart().startsWith('announce:'));
  if (without.length === config.split('\n').length) throw new Error('the lab config has no announce line to drop');
  await writeFile(lab.configFile, without.join('\n'));
}

/** stopResponders kills what addIpv6 started. */
export async function stopResponders(responders: readonly ChildProcess[]): Promise<void> {
  await Promise.all(responders.map((child) => killAndWait(child, 'SIGKILL')));
}

/** connectOnce connects from the client to host:port and returns who answered ('' if nobody did). */
export function connectOnce(lab: Lab, host: string, port: number): string {
  const script = `const s=require('net').connect({host:${JSON.stringify(host)},port:${port}});let t='';s.setTimeout(1000,()=>s.destroy());s.on('data',(c)=>{t+=c});s.on('end',()=>{process.stdout.write(t.trim())});s.on('error',()=>{})`;
  return inNamespace(lab, 'client', ['node', '-e', script]);
}

/**
 * useDualStackLab registers a suite's hooks: before all, a lab with `options`, the IPv6 VIP and its
 * responders (addIpv6), then `beforeStart` (e.g. useDefaultAnnounce), then both daemons started;
 * after all, the responders stopped and the lab destroyed. It returns the accessor tests call for
 * the lab, which throws if the lab did not start.
 */
export function useDualStackLab(options: LabOptions, beforeStart?: (lab: Lab) => Promise<void>): () => Lab {
  let lab: Lab | undefined;
  let responders: ChildProcess[] = [];
  beforeAll(async () => {
    lab = await Lab.create(options);
    responders = await addIpv6(lab);
    await beforeStart?.(lab);
    lab.startDaemon('alpha');
    lab.startDaemon('beta');
  }, 60_000);
  afterAll(async () => {
    await stopResponders(responders);
    await lab?.destroy();
  }, 30_000);
  return () => {
    if (lab === undefined) throw new Error('the lab did not start');
    return lab;
  };
}
