/**
 * loopback: servers on 127.0.0.1 for the checker tests, and the leak assertions they share.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Server as NodeServer } from 'node:http';
import { expect } from 'vitest';

/** HANDLE_TYPES are the resources a checker may open: sockets, datagram sockets, child processes. */
const HANDLE_TYPES = new Set(['TCPSocketWrap', 'TCPWRAP', 'UDPWrap', 'UDPWRAP', 'ProcessWrap', 'PROCESSWRAP', 'PipeWrap', 'PIPEWRAP', 'TLSWrap', 'TLSWRAP']);

/** openHandles counts this process's live sockets, pipes and children (both ends of loopback connections). */
export function openHandles(): number {
  return process.getActiveResourcesInfo().filter((type) => HANDLE_TYPES.has(type)).length;
}

/** eventually retries an assertion until it holds or timeoutMs passes (close events cross the loop). */
export async function eventually(assertion: () => void | Promise<void>, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await assertion();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

/** expectNoLeak waits until the open handles are back to `baseline`. */
export async function expectNoLeak(baseline: number): Promise<void> {
  await eventually(() => {
    expect(openHandles()).toBe(baseline);
  });
}

/** expectNoOpenConnections waits until a server holds no connection: the checker closed its end. */
export async function expectNoOpenConnections(server: Server | NodeServer): Promise<void> {
  await eventually(async () => {
    const count = await new Promise<number>((resolve, reject) => {
      server.getConnections((error, connections) => {
        if (error === null) resolve(connections);
        else reject(error);
      });
    });
    expect(count).toBe(0);
  });
}

/** portOf reads the port a server listens on. */
export function portOf(server: { address(): AddressInfo | string | null }): number {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('server is not listening on TCP/UDP');
  return address.port;
}

/** TcpServer is a listening server and the remote address of every connection it accepted. */
export interface TcpServer {
  readonly server: Server;
  readonly port: number;
  readonly remotes: string[];
  readonly close: () => Promise<void>;
}

/** listenTcp listens on 127.0.0.1 (all of 127/8 reaches it) and hands each connection to `onConnection`. */
export async function listenTcp(onConnection: (socket: Socket) => void = () => undefined): Promise<TcpServer> {
  const remotes: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    remotes.push(socket.remoteAddress ?? '');
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    onConnection(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    server,
    port: portOf(server),
    remotes,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

/** closedPort returns a loopback port nothing listens on (briefly bound, then released). */
export async function closedPort(): Promise<number> {
  const { port, close } = await listenTcp();
  await close();
  return port;
}

/**
 * unansweredTcpPort is a port whose SYNs go unanswered: a stopped child's listener with a full
 * accept queue, where Linux drops new SYNs (no RST), as a firewall's DROP would.
 */
export async function unansweredTcpPort(): Promise<{ port: number; release: () => Promise<void> }> {
  const child = spawn(process.execPath, ['-e', "const s=require('net').createServer();s.listen(0,'127.0.0.1',1,()=>{console.log(s.address().port)})"], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(child.stdout, 'data')) as [Buffer];
  const port = Number(line.toString().trim());
  child.kill('SIGSTOP');
  // Fill the accept queue (backlog 1 admits two on Linux) so the next SYN is dropped.
  const fillers = [0, 1, 2].map(() => connect({ host: '127.0.0.1', port }).on('error', () => undefined));
  await new Promise((resolve) => setTimeout(resolve, 50));
  return {
    port,
    release: async () => {
      for (const filler of fillers) filler.destroy();
      child.kill('SIGKILL');
      await once(child, 'exit');
    },
  };
}
