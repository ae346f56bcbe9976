// real-server: a real server for the health lab. TCP on port 80 (accepts and closes) and HTTP on
// 8080 (GET /health answers 200 "ok"). A "close" line on stdin closes both listeners (connections
// are then refused), "open" opens them again: a flap without the start-up cost of a new process.
// (Not signals: Node reserves SIGUSR1 for its inspector.)
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { createInterface } from 'node:readline';

const tcp = createTcpServer((socket) => {
  socket.on('error', () => undefined);
  socket.end();
});
const http = createHttpServer((request, response) => {
  response.writeHead(request.url === '/health' ? 200 : 404, { 'Content-Type': 'text/plain' }).end('ok\n');
});
http.on('clientError', (_error, socket) => socket.destroy());

function open(then) {
  let waiting = 2;
  const done = () => { if (--waiting === 0) then(); };
  tcp.listen(80, '0.0.0.0', done);
  http.listen(8080, '0.0.0.0', done);
}

function shut(then) {
  let waiting = 2;
  const done = () => { if (--waiting === 0) then(); };
  tcp.close(done);
  http.close(done);
  http.closeAllConnections();
}

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'close') shut(() => process.stdout.write('closed\n'));
  if (line === 'open') open(() => process.stdout.write('listening\n'));
});
open(() => process.stdout.write('listening\n'));
