// datagram-server: a real server for the health lab's udp and dns checks, run in a real server's
// namespace (helpers/health-lab.ts). It prints "listening" once it serves.
//   UDP 7: echo (RFC 862), each datagram sent back as it came.
//   DNS 53, UDP and TCP: a tiny authoritative server for one name, www.lab.test (a reserved
//     name, RFC 2606), whose A record is 192.0.2.53 (TEST-NET-1, RFC 5737). Another name gets
//     NXDOMAIN, another type NOERROR with no answer.
// Lines on stdin steer it; each is acknowledged with "ok <line>", except close and open, which
// print "closed" and "listening" as lab/real-server.mjs does:
//   close | open              close every socket (the kernel then answers ICMP port unreachable
//                             and RST) or open them again
//   mode SERVICE answer|drop  what the service (echo or dns) does with each UDP query from now on
//   pattern SERVICE LETTERS   the next queries, one letter each (a: answer, d: drop), before the
//                             mode applies again; "done SERVICE" is printed when the last is used
//   rcode NAME|auto           answer every DNS query with this rcode and no record (auto: by the zone)
//   answer A.B.C.D            the address www.lab.test resolves to from now on
//   truncate on|off           UDP DNS answers carry TC and no record, so the client must ask over
//                             TCP (RFC 1035 §4.2.1, RFC 7766 §5)
//   stats                     prints "stats {json}": queries answered and dropped per service, the
//                             DNS queries answered over TCP, and each service's client addresses
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';

const ECHO_PORT = 7;
const DNS_PORT = 53;
const ZONE_NAME = 'www.lab.test';
// RFC 1035 §3.2.2 and §3.2.4; RCODEs from §4.1.1.
const TYPE_A = 1;
const CLASS_IN = 1;
const RCODES = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 };
const LETTERS = { a: 'answer', d: 'drop' };

const state = {
  address: [192, 0, 2, 53],
  rcode: null,
  truncate: false,
  mode: { echo: 'answer', dns: 'answer' },
  pattern: { echo: [], dns: [] },
};
const stats = { echo: { answered: 0, dropped: 0, peers: [] }, dns: { answered: 0, dropped: 0, tcp: 0, peers: [] } };
let sockets = null;

function say(line) {
  process.stdout.write(`${line}\n`);
}

/** decide says whether to answer the next UDP query of `service` from `peer`, and counts it. */
function decide(service, peer) {
  // An IPv4 client reaches the :: socket as an IPv4-mapped address (RFC 4291 §2.5.5.2).
  const address = peer.address.replace(/^::ffff:/, '');
  if (!stats[service].peers.includes(address)) stats[service].peers.push(address);
  const queued = state.pattern[service];
  const fromPattern = queued.length > 0;
  const action = fromPattern ? queued.shift() : state.mode[service];
  stats[service][action === 'answer' ? 'answered' : 'dropped'] += 1;
  if (fromPattern && queued.length === 0) say(`done ${service}`);
  return action === 'answer';
}

/** parseQuestion reads the one question of a query (RFC 1035 §4.1.2), or returns null. */
function parseQuestion(query) {
  if (query.length < 12 || (query[2] & 0x80) !== 0 || query.readUInt16BE(4) !== 1) return null;
  const labels = [];
  let offset = 12;
  while (offset < query.length && query[offset] !== 0) {
    const length = query[offset];
    // A label is at most 63 bytes (RFC 1035 §2.3.4); a query's only name needs no pointer.
    if (length > 63 || offset + 1 + length > query.length) return null;
    labels.push(query.toString('latin1', offset + 1, offset + 1 + length));
    offset += 1 + length;
  }
  if (offset + 5 > query.length) return null;
  // Names compare case-insensitively (RFC 4343).
  return { name: labels.join('.').toLowerCase(), type: query.readUInt16BE(offset + 1), end: offset + 5 };
}

/** dnsResponse answers a query as the zone and the state say, or returns null for a non-query. */
function dnsResponse(query, truncated) {
  const question = parseQuestion(query);
  if (question === null) return null;
  const known = question.name === ZONE_NAME;
  const rcode = state.rcode ?? (known ? RCODES.NOERROR : RCODES.NXDOMAIN);
  const answered = rcode === RCODES.NOERROR && known && question.type === TYPE_A && !truncated;
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.readUInt16BE(0), 0);
  // QR, the query's opcode, AA, TC, the query's RD; RA clear (no recursion here); RCODE (RFC 1035 §4.1.1).
  header[2] = 0x80 | (query[2] & 0x78) | 0x04 | (truncated ? 0x02 : 0) | (query[2] & 0x01);
  header[3] = rcode;
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(answered ? 1 : 0, 6);
  const parts = [header, query.subarray(12, question.end)];
  // The owner is a pointer to the question's name at offset 12 (RFC 1035 §4.1.4); TTL 60 s, RDLENGTH 4.
  if (answered) parts.push(Buffer.from([0xc0, 0x0c, 0, TYPE_A, 0, CLASS_IN, 0, 0, 0, 60, 0, 4, ...state.address]));
  return Buffer.concat(parts);
}

/** serveTcp answers DNS over TCP, each message framed by a 2-byte length (RFC 1035 §4.2.2). */
function serveTcp(socket) {
  socket.on('error', () => undefined);
  let buffered = Buffer.alloc(0);
  socket.on('data', (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
      const query = buffered.subarray(2, 2 + buffered.readUInt16BE(0));
      buffered = buffered.subarray(2 + query.length);
      const response = dnsResponse(query, false);
      if (response === null) continue;
      stats.dns.tcp += 1;
      const length = Buffer.alloc(2);
      length.writeUInt16BE(response.length);
      socket.write(Buffer.concat([length, response]));
    }
  });
}

// Every socket is bound to :: and so serves IPv4 (as mapped addresses) and IPv6 alike (ipv6(7)).
function open(then) {
  const echo = createSocket('udp6');
  echo.on('error', () => undefined);
  echo.on('message', (datagram, peer) => {
    if (decide('echo', peer)) echo.send(datagram, peer.port, peer.address);
  });
  const dns = createSocket('udp6');
  dns.on('error', () => undefined);
  dns.on('message', (query, peer) => {
    const response = dnsResponse(query, state.truncate);
    if (response !== null && decide('dns', peer)) dns.send(response, peer.port, peer.address);
  });
  const tcp = createServer(serveTcp);
  sockets = { echo, dns, tcp };
  let waiting = 3;
  const done = () => { if (--waiting === 0) then(); };
  echo.bind(ECHO_PORT, '::', done);
  dns.bind(DNS_PORT, '::', done);
  tcp.listen(DNS_PORT, '::', done);
}

function shut(then) {
  const { echo, dns, tcp } = sockets;
  sockets = null;
  let waiting = 3;
  const done = () => { if (--waiting === 0) then(); };
  echo.close(done);
  dns.close(done);
  tcp.close(done);
}

/** service checks a command's service argument. */
function service(name) {
  if (name !== 'echo' && name !== 'dns') throw new Error(`unknown service ${name}: echo or dns`);
  return name;
}

/** action checks a mode or pattern letter. */
function action(word) {
  const known = LETTERS[word] ?? (word === 'answer' || word === 'drop' ? word : undefined);
  if (known === undefined) throw new Error(`unknown action ${word}: answer, drop, a or d`);
  return known;
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const [command, first, second] = line.trim().split(/\s+/);
  switch (command) {
    case 'close':
      shut(() => say('closed'));
      return;
    case 'open':
      open(() => say('listening'));
      return;
    case 'stats':
      say(`stats ${JSON.stringify(stats)}`);
      return;
    case 'mode':
      state.mode[service(first)] = action(second);
      break;
    case 'pattern':
      state.pattern[service(first)] = [...second].map(action);
      break;
    case 'rcode':
      if (first !== 'auto' && RCODES[first] === undefined) throw new Error(`unknown rcode ${first}`);
      state.rcode = first === 'auto' ? null : RCODES[first];
      break;
    case 'answer':
      state.address = first.split('.').map(Number);
      break;
    case 'truncate':
      state.truncate = first === 'on';
      break;
    default:
      throw new Error(`unknown command: ${line}`);
  }
  say(`ok ${line}`);
});
open(() => say('listening'));
