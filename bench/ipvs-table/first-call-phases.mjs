// first-call-phases.mjs: runs INSIDE the IPVS guest (run.ts starts it after guest-bench.mjs),
// in a fresh node process, against the table another process programmed. It opens the IPVS
// port as the daemon does (src/cli/run.ts: NativeNetlinkTransport.open(NETLINK_GENERIC), then
// NetlinkIpvs.open) and times the process's first listRules() phase by phase, then WARM_CALLS
// (default 3) more the same way, and prints one JSON line. Phases: each addon exchange (the
// GET_SERVICE dump, then the GET_DEST dumps 64 at a time: system calls, copying into the
// receive buffer; wall ms while in flight and minor page faults, /proc/self/stat field 10),
// the JS thread's busy time (framing, decoding; event loop utilisation), the time it waited
// for the addon, and the garbage collections.
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { NetlinkIpvs } from '../../dist/ipvs/netlink-ipvs.js';
import { NETLINK_GENERIC } from '../../dist/netlink/constants.js';
import { NativeNetlinkTransport } from '../../dist/netlink/native-transport.js';
import { minorFaults } from './minor-faults.mjs';

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
runner.run = async (data, chunkEnds, ...rest) => {
  const started = performance.now();
  const faults = minorFaults();
  const bytes = await run(data, chunkEnds, ...rest);
  exchanges.push({ dumps: chunkEnds.length, ms: performance.now() - started, faults: minorFaults() - faults, bytes: bytes.length });
  return bytes;
};

async function phases() {
  exchanges.length = 0;
  const heapBefore = process.memoryUsage().heapTotal;
  const faults = minorFaults();
  const loop = performance.eventLoopUtilization();
  const started = performance.now();
  const rules = await ipvs.listRules();
  const { active } = performance.eventLoopUtilization(loop);
  const ms = performance.now() - started;
  // gc entries are queued: let the observer see this call's before counting them.
  await new Promise((resolve) => setImmediate(resolve));
  const gc = collections.filter((entry) => entry.startTime >= started && entry.startTime < started + ms);
  return {
    ms,
    faults: minorFaults() - faults,
    exchanges: exchanges.slice(),
    // The JS thread's busy time (event loop utilisation): the exchanges run on the addon's
    // thread, partly while the JS thread decodes the previous batch, so their times overlap it.
    javascriptMs: active,
    waitMs: ms - active,
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
