// client-pool: long-lived TCP connections through the VIP, driven by JSON lines on stdin and
// answering with one JSON line per request on stdout. Runs on the host in the client namespace.
//
//   {"cmd":"open","cohort":"pre","count":100,"host":"192.0.2.100","port":8001,"timeoutMs":10000}
//     opens `count` connections; each sends one line and waits for its echo, so the director
//     sees the handshake and a data packet (the sync daemon sends an established connection on
//     its 3rd inbound packet, sysctl sync_threshold).  → {"opened":N,"failed":M}
//   {"cmd":"probe","cohorts":["pre"],"timeoutMs":10000}
//     sends a line on every connection still alive and waits for its echo. A connection that
//     errs, closes or stays silent counts as lost from then on.  → {"pre":{"alive":A,"lost":L}}
//   {"cmd":"exit"}
import { connect } from 'node:net';
import { createInterface } from 'node:readline';

/** cohorts maps a cohort name to its connections: { socket, alive, waiter, buffer }. */
const cohorts = new Map();
let probeSeq = 0;

function openOne(host, port, timeoutMs) {
  return new Promise((resolve) => {
    const conn = { socket: connect({ host, port }), alive: true, waiter: undefined, buffer: '' };
    const lose = () => {
      conn.alive = false;
      conn.socket.destroy();
      conn.waiter?.(false);
      conn.waiter = undefined;
    };
    conn.socket.setNoDelay(true);
    conn.socket.on('error', lose);
    conn.socket.on('close', lose);
    conn.socket.on('data', (data) => {
      conn.buffer += data.toString('latin1');
      const newline = conn.buffer.indexOf('\n');
      if (newline < 0) return;
      const line = conn.buffer.slice(0, newline);
      conn.buffer = conn.buffer.slice(newline + 1);
      conn.waiter?.(line);
      conn.waiter = undefined;
    });
    conn.socket.on('connect', () => {
      exchange(conn, 'hello', timeoutMs).then((ok) => resolve(ok ? conn : undefined));
    });
    setTimeout(() => { if (conn.socket.connecting) { lose(); resolve(undefined); } }, timeoutMs);
  });
}

/** exchange sends one line and resolves true when the same line comes back in time. */
function exchange(conn, text, timeoutMs) {
  if (!conn.alive) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      conn.waiter = undefined;
      conn.alive = false;
      conn.socket.destroy();
      resolve(false);
    }, timeoutMs);
    conn.waiter = (line) => {
      clearTimeout(timer);
      resolve(line === text);
    };
    conn.socket.write(`${text}\n`);
  });
}

async function handle(request) {
  switch (request.cmd) {
    case 'open': {
      const opened = await Promise.all(
        Array.from({ length: request.count }, () => openOne(request.host, request.port, request.timeoutMs)),
      );
      const live = opened.filter(Boolean);
      cohorts.set(request.cohort, [...(cohorts.get(request.cohort) ?? []), ...live]);
      return { opened: live.length, failed: request.count - live.length };
    }
    case 'probe': {
      const seq = ++probeSeq;
      const answer = {};
      await Promise.all(request.cohorts.map(async (name) => {
        const conns = cohorts.get(name) ?? [];
        const results = await Promise.all(conns.map((conn, i) => exchange(conn, `probe ${seq} ${i}`, request.timeoutMs)));
        const alive = results.filter(Boolean).length;
        answer[name] = { alive, lost: conns.length - alive };
      }));
      return answer;
    }
    case 'exit':
      for (const conns of cohorts.values()) for (const conn of conns) conn.socket.destroy();
      setImmediate(() => process.exit(0));
      return { bye: true };
    default:
      return { error: `unknown command ${String(request.cmd)}` };
  }
}

// One request at a time, answered in order.
let queue = Promise.resolve();
createInterface({ input: process.stdin }).on('line', (line) => {
  queue = queue.then(async () => {
    const answer = await handle(JSON.parse(line)).catch((error) => ({ error: String(error) }));
    process.stdout.write(`${JSON.stringify(answer)}\n`);
  });
});
process.stdout.write('{"ready":true}\n');
