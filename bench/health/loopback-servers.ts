/**
 * loopback-servers: the real servers the health benchmarks probe, run as a separate process so
 * their CPU time is not counted against the checker. Listens on 0.0.0.0, so every address of
 * 127/8 reaches it, and prints `{"tcpPort":N,"httpPort":N}` on one line when ready.
 *
 *   npx tsx bench/health/loopback-servers.ts   (started by throughput.ts and cadence.ts)
 */
import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';

const BODY = Buffer.from('ok\n');

// TCP: accept; the checker resets the connection, so just drop errors and let the socket go.
const tcp = createTcpServer({ noDelay: true }, (socket) => {
  socket.on('error', () => undefined);
  socket.resume();
});
const http = createHttpServer({ keepAlive: false }, (_request, response) => {
  response.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': BODY.length }).end(BODY);
});
http.on('clientError', (_error, socket) => socket.destroy());
tcp.listen({ port: 0, host: '0.0.0.0', backlog: 4096 });
http.listen({ port: 0, host: '0.0.0.0', backlog: 4096 });
await Promise.all([once(tcp, 'listening'), once(http, 'listening')]);
const portOf = (address: AddressInfo | string | null): number => (typeof address === 'object' && address !== null ? address.port : 0);
console.log(JSON.stringify({ tcpPort: portOf(tcp.address()), httpPort: portOf(http.address()) }));
