// guest-bench.mjs SERVICES SERVERS RUNS: runs INSIDE the IPVS guest (started by run.ts) and
// prints one JSON line of timings. Per run: tandem programs SERVICES tcp services with SERVERS
// masquerade real servers each (one NetlinkTransport.batch), reads the whole table back
// (listRules(), the rules without counters as ipvsadm-save prints them, then listRules() five
// times more, warm, five times more after a change to every service, then list() with every counter), and changes one weight; then ipvsadm does the same with `ipvsadm -R`,
// `ipvsadm-save -n` and `ipvsadm -e`. Times are wall clock inside the guest. To split the
// read-back into kernel and JS time it also times, apart, the service dump alone
// (listVirtualServices) and the 1,000 GET_DEST dumps through dumpMany with a decoder that
// only counts the parts (the system calls, the thread hop and the netlink framing). Those
// dumps, and a warm listRules(), are timed once more on a second socket kept off io_uring
// (useRing: false), to show what the ring saves under the same load; dumpPaths says how the
// main socket's dumps were read.
import { spawnSync } from 'node:child_process';
import { NetlinkIpvs } from '../../dist/ipvs/netlink-ipvs.js';
import { NETLINK_GENERIC } from '../../dist/netlink/constants.js';
import { resolveGenericFamily } from '../../dist/netlink/generic-family.js';
import { NativeNetlinkTransport } from '../../dist/netlink/native-transport.js';
import { IpvsRequestEncoder } from '../../dist/ipvs/request-encoder.js';

const [services = 1000, servers = 20, runs = 3] = process.argv.slice(2).map(Number);
const transport = NativeNetlinkTransport.open(NETLINK_GENERIC, { timeoutMs: 120_000 });
const ipvs = await NetlinkIpvs.open(transport);
const familyId = (await resolveGenericFamily(transport, 'IPVS')).id;
const inTurnTransport = NativeNetlinkTransport.open(NETLINK_GENERIC, { timeoutMs: 120_000, useRing: false });
const inTurnIpvs = new NetlinkIpvs(inTurnTransport, familyId);

const serviceAt = (s) => ({ protocol: 'tcp', family: 4, address: `10.${(s >> 8) & 255}.${s & 255}.1`, port: 80, scheduler: 'wrr', onePacket: false, schedulerFlags: [] });
const serverAt = (s, r) => ({ address: `172.16.${r}.${(s % 250) + 1}`, port: 8000 + (s >> 8), forward: 'masquerade', weight: 1, upperThreshold: 0, lowerThreshold: 0 });

function rules() {
  const lines = [];
  for (let s = 0; s < services; s++) {
    const vs = serviceAt(s);
    lines.push(`-A -t ${vs.address}:80 -s wrr`);
    for (let r = 0; r < servers; r++) {
      const rs = serverAt(s, r);
      lines.push(`-a -t ${vs.address}:80 -r ${rs.address}:${rs.port} -m -w 1`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function timed(fn) {
  const started = performance.now();
  const value = fn();
  return [performance.now() - started, value];
}

async function timedAsync(fn) {
  const started = performance.now();
  const value = await fn();
  return [performance.now() - started, value];
}

async function medianOf(count, fn) {
  const times = [];
  for (let i = 0; i < count; i++) times.push((await timedAsync(fn))[0]);
  return times.sort((a, b) => a - b)[count >> 1];
}

function sh(command, input) {
  const result = spawnSync('/bin/sh', ['-c', command], { input, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (result.status !== 0) throw new Error(`${command}: ${result.stderr}`);
  return result.stdout;
}

const sorted = (text) => text.trim().split('\n').sort().join('\n');
const ruleText = rules();
const results = [];
for (let run = 0; run < runs; run++) {
  await ipvs.flush();
  const [buildMs, operations] = timed(() => {
    const list = [];
    for (let s = 0; s < services; s++) {
      const service = serviceAt(s);
      list.push({ kind: 'add-service', service });
      for (let r = 0; r < servers; r++) list.push({ kind: 'add-real-server', service, realServer: serverAt(s, r) });
    }
    return list;
  });
  const [applyMs, outcomes] = await timedAsync(() => ipvs.apply(operations));
  const refused = outcomes.filter((outcome) => !outcome.ok).length;
  const sameAsIpvsadm = sorted(sh('ipvsadm-save -n')) === sorted(ruleText);
  const [rulesMs, rules] = await timedAsync(() => ipvs.listRules());
  // The owner's tick: listRules() again and again (every 500 ms there), now that the decoders
  // are compiled and the heap has grown; the median of five in a row, before list() fills the
  // heap with its counters. Later the same on the socket kept off io_uring, for comparison.
  const rulesWarmMs = await medianOf(5, () => ipvs.listRules());
  // The same, each after a batch that changed one weight in every service (not timed), so every
  // service is decoded anew: a read-back hands back the last one's entry of a service whose rules
  // did not change (src/ipvs/unchanged-services.ts), and the warm figure above is mostly that.
  const changedTimes = [];
  for (let i = 0; i < 5; i++) {
    await ipvs.apply(Array.from({ length: services }, (_, s) => ({ kind: 'edit-real-server', service: serviceAt(s), realServer: { ...serverAt(s, 0), weight: 2 + (i % 2) } })));
    changedTimes.push((await timedAsync(() => ipvs.listRules()))[0]);
  }
  const rulesChangedWarmMs = changedTimes.sort((a, b) => a - b)[2];
  await ipvs.apply(Array.from({ length: services }, (_, s) => ({ kind: 'edit-real-server', service: serviceAt(s), realServer: serverAt(s, 0) })));
  // The split, timed in the same state (medians of three): the service dump, and the GET_DEST
  // dumps with a decoder that only counts the parts, through io_uring and in turn.
  const servicesMs = await medianOf(3, () => ipvs.listVirtualServices());
  const listed = await ipvs.listVirtualServices();
  const encoder = new IpvsRequestEncoder(familyId, listed.length);
  const requests = listed.map((service) => encoder.dumpRealServers(service));
  const countParts = async (through) => (await through.dumpMany(requests, (p) => p.length)).reduce((sum, o) => sum + (o.ok ? o.value : 0), 0);
  const parts = await countParts(transport);
  const partsInTurn = await countParts(inTurnTransport);
  if (partsInTurn !== parts) throw new Error(`the GET_DEST dumps gave ${parts} parts through io_uring, ${partsInTurn} in turn`);
  const destDumpsMs = await medianOf(3, () => countParts(transport));
  const destDumpsInTurnMs = await medianOf(3, () => countParts(inTurnTransport));
  await inTurnIpvs.listRules();
  const rulesInTurnWarmMs = await medianOf(5, () => inTurnIpvs.listRules());
  const [listMs, table] = await timedAsync(() => ipvs.list());
  const listedServers = table.services.reduce((sum, service) => sum + service.realServers.length, 0);
  const rulesServers = rules.services.reduce((sum, service) => sum + service.realServers.length, 0);
  const rulesMatch = rules.services.length === table.services.length && rules.services.every((service, i) => service.realServers.every((rs, j) => rs.address === table.services[i].realServers[j].address && rs.weight === table.services[i].realServers[j].weight));
  const before = ipvs.requestCount;
  const target = serviceAt(services >> 1);
  const [weightMs] = await timedAsync(() => ipvs.editRealServer(target, { ...serverAt(services >> 1, 3), weight: 7 }));
  const weightRequests = ipvs.requestCount - before;

  await ipvs.flush();
  const [restoreMs] = timed(() => sh('ipvsadm -R', ruleText));
  // ipvsadm-save's own spread is as wide as tandem's: the median of three.
  const saveMs = [0, 1, 2].map(() => timed(() => sh('ipvsadm-save -n > /dev/null'))[0]).sort((a, b) => a - b)[1];
  const rs = serverAt(services >> 1, 3);
  const [editMs] = timed(() => sh(`ipvsadm -e -t ${target.address}:80 -r ${rs.address}:${rs.port} -m -w 7`));
  // What a process start costs here, for reading the figures: ipvsadm's include a fork and exec
  // (through /bin/sh, as sh() runs them), tandem's exclude the start of node itself.
  const [ipvsadmStartMs] = timed(() => sh('ipvsadm --version > /dev/null'));
  const [nodeStartMs] = timed(() => spawnSync(process.execPath, ['-e', '']));
  results.push({ buildMs, applyMs, refused, sameAsIpvsadm, rulesMs, rulesWarmMs, rulesChangedWarmMs, rulesServices: rules.services.length, rulesServers, rulesMatch, listMs, servicesMs, destDumpsMs, destDumpsInTurnMs, rulesInTurnWarmMs, parts, listedServices: table.services.length, listedServers, weightMs, weightRequests, restoreMs, saveMs, editMs, ipvsadmStartMs, nodeStartMs });
}
// The last run's table (as ipvsadm -R left it) stays for first-call-phases.mjs, which run.ts
// runs next in fresh processes.
const { ring, inTurn, ringUnavailable } = transport.dumpPaths;
transport.close();
inTurnTransport.close();
process.stdout.write(`${JSON.stringify({ services, servers, runs: results, dumpPaths: { ring, inTurn, ringUnavailable: ringUnavailable?.code } })}\n`);
