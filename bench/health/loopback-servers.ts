/**
 * loopback-servers: the plain HTTP real server the health benchmarks probe, run as a separate
 * process so its CPU time is not counted against the checker. Listens on 0.0.0.0, so every
 * address of 127/8 reaches it, and prints `{"httpPort":N}` on one line when ready. Its responses
 * are real node:http ones. The TCP real server is accept-loop.py, which costs far less per
 * connection than node:net's accept path (see CADENCE.md). Like accept-loop.py, it exits when its
 * stdin closes, so a benchmark that dies without stopping it does not leave it listening.
 *
 *   npx tsx bench/health/loopback-servers.ts   (started by servers-process.ts)
 */
import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const BODY = Buffer.from('ok\n');

const http = createHttpServer({ keepAlive: false }, (_request, response) => {
  response.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': BODY.length }).end(BODY);
});
process.stdin.on('end', () => process.exit(0)).resume();
http.on('clientError', (_error, socket) => socket.destroy());
http.listen({ port: 0, host: '0.0.0.0', backlog: 4096 });
await once(http, 'listening');
const address: AddressInfo | string | null = http.address();
console.log(JSON.stringify({ httpPort: typeof address === 'object' && address !== null ? address.port : 0 }));
