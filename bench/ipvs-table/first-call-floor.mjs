// first-call-floor.mjs: runs INSIDE the IPVS guest (run.ts starts it after first-call-phases.mjs),
// in a fresh node process, against the table another process programmed. It times what any
// read-back of that table must do before it decodes a single real server, as a process's first
// call: the GET_SERVICE dump with the services decoded (listVirtualServices), then the one
// GET_DEST dump per service, framed in place by the transport and handed to a decoder that reads
// nothing. The process is opened as the daemon opens its table-read port (first-call-phases.mjs).
// So this is a floor for the first listRules() of a fresh process: a decoder that cost nothing
// would still take this long. Prints one JSON line: { ms, servicesMs, destDumpsMs, faults, dumps }.
import { performance } from 'node:perf_hooks';
import { IPVS_GENL_NAME } from '../../dist/ipvs/constants.js';
import { NetlinkIpvs } from '../../dist/ipvs/netlink-ipvs.js';
import { IpvsRequestEncoder } from '../../dist/ipvs/request-encoder.js';
import { NETLINK_GENERIC } from '../../dist/netlink/constants.js';
import { dumpManyInPlace } from '../../dist/netlink/dump-view.js';
import { resolveGenericFamily } from '../../dist/netlink/generic-family.js';
import { NativeNetlinkTransport } from '../../dist/netlink/native-transport.js';
import { minorFaults } from './minor-faults.mjs';

const transport = NativeNetlinkTransport.open(NETLINK_GENERIC);
// What NetlinkIpvs.open does, with the family id kept for the GET_DEST requests.
const familyId = (await resolveGenericFamily(transport, IPVS_GENL_NAME)).id;
const ipvs = new NetlinkIpvs(transport, familyId);

const faults = minorFaults();
const started = performance.now();
const services = await ipvs.listVirtualServices();
const servicesMs = performance.now() - started;
const encoder = new IpvsRequestEncoder(familyId, services.length);
const outcomes = await dumpManyInPlace(transport, services.map((service) => encoder.dumpRealServers(service)), () => 0);
const ms = performance.now() - started;
const refused = outcomes.filter((outcome) => !outcome.ok).length;
if (refused > 0) throw new Error(`${refused} of ${outcomes.length} GET_DEST dumps were refused`);
process.stdout.write(`${JSON.stringify({ ms, servicesMs, destDumpsMs: ms - servicesMs, faults: minorFaults() - faults, dumps: outcomes.length })}\n`);
transport.close();
