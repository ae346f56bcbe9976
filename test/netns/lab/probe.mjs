// probe: from the client namespace, connect to HOST:PORT every INTERVAL ms and print one JSON
// line per answer: {"atMs": <epoch ms, fractional>, "from": "<director name>"}. Failures are silent.
// Each attempt may take up to a second: on a loaded machine a shorter timeout fires before the
// answer is read and would hide a director that did answer.
import { connect } from 'node:net';

const [host, port, intervalMs] = process.argv.slice(2);
const nowMs = () => performance.timeOrigin + performance.now();
function attempt() {
  const socket = connect({ host, port: Number(port) });
  let text = '';
  socket.setTimeout(1000, () => socket.destroy());
  socket.on('data', (chunk) => { text += chunk; });
  socket.on('end', () => process.stdout.write(`${JSON.stringify({ atMs: nowMs(), from: text.trim() })}\n`));
  socket.on('error', () => undefined);
}
setInterval(attempt, Number(intervalMs));
