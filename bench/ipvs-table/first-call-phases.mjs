// first-call-phases.mjs: runs INSIDE the IPVS guest (run.ts starts it after guest-bench.mjs),
// in a fresh node process, against the table another process programmed. It opens the IPVS
// port as the daemon does (src/cli/run.ts: NativeNetlinkTransport.open(NETLINK_GENERIC), then
// NetlinkIpvs.open) and times the process's first listRules() phase by phase, then WARM_CALLS
// (default 3) more the same way, and prints one JSON line. Phases: the GET_SERVICE exchange, the GET_DEST exchange(s) (the addon's
// work: system calls, copying into the receive buffer), and the JavaScript around them
// (framing and decoding). For each: wall ms and minor page faults (/proc/self/stat field 10).
import { readFileSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';
import { NetlinkIpvs } from '../../dist/ipvs/netlink-ipvs.js';
import { NETLINK_GENERIC } from '../../dist/netlink/constants.js';
import { NativeNetlinkTransport } from '../../dist/netlink/native-transport.js';

const minorFaults = () => Number(readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')[7]);

// Garbage collections, as the gc performance entries report them (pauses on the JS thread).
const collections = [];
new PerformanceObserver((list) => collections.push(...list.getEntries())).observe({ entryTypes: ['gc'] });

const openStarted = performance.now();
const openFaults = minorFaults();
const transport = NativeNetlinkTransport.open(NETLINK_GENERIC);
const ipvs = await NetlinkIpvs.open(transport);
const open = { ms: performance.now() - openStarted, faults: minorFaults() - openFaults };

// Every exchange of the transport's dump runner, timed from the outside.
const runner = transport['dumps'];
const exchanges = [];
const run = runner.run.bind(runner);
runner.run = async (data, chunkEnds, timeoutMs) => {
  const started = performance.now();
  const faults = minorFaults();
  const bytes = await run(data, chunkEnds, timeoutMs);
  exchanges.push({ dumps: chunkEnds.length, ms: performance.now() - started, faults: minorFaults() - faults, bytes: bytes.length });
  return bytes;
};

async function phases() {
  exchanges.length = 0;
  const heapBefore = process.memoryUsage().heapTotal;
  const faults = minorFaults();
  const started = performance.now();
  const rules = await ipvs.listRules();
  const ms = performance.now() - started;
  // gc entries are queued: let the observer see this call's before counting them.
  await new Promise((resolve) => setImmediate(resolve));
  const gc = collections.filter((entry) => entry.startTime >= started && entry.startTime < started + ms);
  const exchangeMs = exchanges.reduce((sum, e) => sum + e.ms, 0);
  return {
    ms,
    faults: minorFaults() - faults,
    exchanges: exchanges.slice(),
    javascriptMs: ms - exchangeMs,
    gcMs: gc.reduce((sum, entry) => sum + entry.duration, 0),
    collections: gc.length,
    heapGrowthMb: (process.memoryUsage().heapTotal - heapBefore) / 2 ** 20,
    servers: rules.services.reduce((sum, s) => sum + s.realServers.length, 0),
  };
}

const first = await phases();
const warm = [];
for (let i = 0; i < Number(process.env.WARM_CALLS ?? 3); i++) warm.push(await phases());
transport.close();
process.stdout.write(`${JSON.stringify({ open, first, warm })}\n`);
