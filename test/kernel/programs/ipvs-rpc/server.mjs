// ipvs-rpc/server.mjs DIR [--record FILE]: runs inside the guest and serves IpvsPort and
// SyncDaemonPort calls for a host-side test, through files in DIR (the guest has no network
// to the host, and one `node` start costs about a second there, so one long-lived program
// answers every call). The host writes DIR/req-N.json = {"method", "args"}; this program
// answers DIR/res-N.json = {"ok": true, "value"} | {"ok": false, "error": {...}}, each file
// written under a temporary name and renamed, so neither side reads half a file.
// Method "exit" ends it. bigint values travel as {"$bigint": "123"}.
//
// --record FILE appends one JSON line per netlink exchange (request and replies in hex,
// without seq/pid, which differ per run): the golden fixtures under test/fixtures/ipvs.
import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NetlinkIpvs } from '../../../../dist/ipvs/netlink-ipvs.js';
import { NativeNetlinkTransport } from '../../../../dist/netlink/native-transport.js';
import { NETLINK_GENERIC } from '../../../../dist/netlink/constants.js';
import { recordingTransport, reviveJson, toJson } from './wire.mjs';

const [dir, flag, recordFile] = process.argv.slice(2);
if (dir === undefined) throw new Error('usage: server.mjs DIR [--record FILE]');
let transport = NativeNetlinkTransport.open(NETLINK_GENERIC, { timeoutMs: 60_000 });
if (flag === '--record' && recordFile !== undefined) transport = recordingTransport(transport, (line) => appendFileSync(recordFile, `${line}\n`));
const ipvs = await NetlinkIpvs.open(transport);

/** reset empties the table, stops the daemons and restores the boot-time timeouts. */
async function reset() {
  await ipvs.flush();
  for (const state of ['master', 'backup']) await ipvs.stopDaemon(state).catch((error) => { if (error.code !== 'ESRCH') throw error; });
  await ipvs.setTimeouts({ tcpSeconds: 900, tcpFinSeconds: 120, udpSeconds: 300 });
}

function describeError(error) {
  return { name: error.name, message: error.message, code: error.code, errno: error.errno, action: error.action, object: error.object, extendedMessage: error.extendedMessage, context: error.context };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
for (let n = 1; ; n++) {
  const requestFile = join(dir, `req-${n}.json`);
  while (!existsSync(requestFile)) await sleep(3);
  const { method, args } = JSON.parse(readFileSync(requestFile, 'utf8'), reviveJson);
  if (method === 'exit') break;
  let answer;
  try {
    const started = performance.now();
    const value = method === 'reset' ? await reset() : method === 'requestCount' ? ipvs.requestCount : await ipvs[method](...args);
    answer = { ok: true, value, elapsedMs: performance.now() - started };
  } catch (error) {
    answer = { ok: false, error: describeError(error) };
  }
  writeFileSync(join(dir, `res-${n}.tmp`), toJson(answer));
  renameSync(join(dir, `res-${n}.tmp`), join(dir, `res-${n}.json`));
}
transport.close();
