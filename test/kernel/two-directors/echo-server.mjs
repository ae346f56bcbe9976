// echo-server: the real server of the two-director lab. It echoes every byte it receives, on
// each port given, and keeps the connection open for as long as the client does. Runs on the
// host in the real-server namespace (direct routing: the VIP is on its lo).
import { createServer } from 'node:net';

const ports = process.argv.slice(2).map(Number);
let listening = 0;
for (const port of ports) {
  createServer((socket) => {
    // A client that resets (a lost connection after a failover) must not take the server down.
    socket.on('error', () => undefined);
    socket.pipe(socket);
  }).listen(port, '0.0.0.0', () => {
    if (++listening === ports.length) process.stdout.write('listening\n');
  });
}
