// responder: a tiny TCP server for the lab. Every connection gets this director's name and is closed.
// A client that resets (a probe killed or timing out mid-answer) must not take the server down.
import { createServer } from 'node:net';

const [name, port] = process.argv.slice(2);
createServer((socket) => {
  socket.on('error', () => undefined);
  socket.end(`${name}\n`);
}).listen(Number(port), '0.0.0.0', () => process.stdout.write('listening\n'));
