// fine-probe: from the client namespace, a TCP connect to HOST:PORT every INTERVAL ms while told
// to, reporting every attempt, failed ones included (bench/failover's planned-handover figures).
//
// stdin lines: `start` begins probing, `stop` ends it; once every attempt begun has settled it
// prints {"stopped":true}. One JSON line per attempt, as it settles:
//   {"sentMs":…, "doneMs":…, "from":"<director>"}   answered (the responder's name, then its FIN)
//   {"sentMs":…, "doneMs":…, "error":"<code>", "connected":<bool>}
//       ECONNRESET (an RST), ECONNREFUSED, EHOSTUNREACH (ICMP or no ARP answer), ETIMEDOUT (our
//       timeout), EMPTY (closed without a name); connected: the handshake had completed.
// Times are epoch ms (fractional). The timeout is TIMEOUT ms: below TCP's first SYN retransmission
// (initial RTO 1 s, RFC 6298 §2.1), so a SYN lost in the handover counts as failed rather than
// as a connect answered a second late.
import { connect } from 'node:net';
import { createInterface } from 'node:readline';

const [host, port, intervalMs, timeoutMs] = process.argv.slice(2);
const nowMs = () => performance.timeOrigin + performance.now();
let pending = 0;
let ticker;
let stopping = false;

const report = (line) => process.stdout.write(`${JSON.stringify(line)}\n`);

function settled() {
  pending--;
  if (stopping && pending === 0) {
    stopping = false;
    report({ stopped: true });
  }
}

function attempt() {
  const sentMs = nowMs();
  pending++;
  const socket = connect({ host, port: Number(port) });
  let text = '';
  let done = false;
  let connected = false;
  socket.on('connect', () => { connected = true; });
  const finish = (outcome) => {
    if (done) return;
    done = true;
    report({ sentMs, doneMs: nowMs(), ...outcome, ...(outcome.error === undefined ? {} : { connected }) });
    socket.destroy();
    settled();
  };
  socket.setTimeout(Number(timeoutMs), () => finish({ error: 'ETIMEDOUT' }));
  socket.on('data', (chunk) => { text += chunk; });
  socket.on('end', () => finish(text.trim() === '' ? { error: 'EMPTY' } : { from: text.trim() }));
  socket.on('error', (error) => finish({ error: error.code ?? String(error) }));
  socket.on('close', () => finish({ error: 'EMPTY' }));
}

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'start' && ticker === undefined) {
    ticker = setInterval(attempt, Number(intervalMs));
    attempt();
  } else if (line === 'stop' && ticker !== undefined) {
    clearInterval(ticker);
    ticker = undefined;
    stopping = true;
    if (pending === 0) {
      stopping = false;
      report({ stopped: true });
    }
  }
});
report({ ready: true });
