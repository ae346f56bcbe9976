/**
 * servers-process: starts the benchmarks' real servers, each in its own child process so their
 * CPU is not the checker's: accept-loop.py (python3) for TCP and loopback-servers.ts (node:http)
 * for HTTP, and reads their ports.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

/** LoopbackServers are the children's ports and pids and a way to end them. */
export interface LoopbackServers {
  readonly tcpPort: number;
  readonly httpPort: number;
  /** tcpPid is the TCP accept loop's process. */
  readonly tcpPid: number;
  /** httpPid is the HTTP server's process. */
  readonly httpPid: number;
  readonly stop: () => Promise<void>;
}

/** Child is a started server and the one line it printed when ready. */
interface Child {
  readonly process: ChildProcess;
  readonly ready: Record<string, number>;
}

/** startChild runs a server; its stdin stays open while we live (accept-loop.py exits when it closes). */
async function startChild(command: string, args: readonly string[]): Promise<Child> {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const [line] = (await Promise.race([once(child.stdout, 'data'), once(child, 'exit').then(() => Promise.reject(new Error(`${command} ${args.join(' ')} exited before it was ready`)))])) as [Buffer];
  return { process: child, ready: JSON.parse(line.toString()) as Record<string, number> };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
}

function portOf(child: Child, name: string): number {
  const port = child.ready[name];
  if (port === undefined) throw new Error(`the servers' ready line lacks ${name}: ${JSON.stringify(child.ready)}`);
  return port;
}

/** startLoopbackServers runs the TCP and HTTP real servers in separate processes (their CPU is not ours). */
export async function startLoopbackServers(): Promise<LoopbackServers> {
  const here = (name: string): string => fileURLToPath(new URL(name, import.meta.url));
  const httpScript = here(`./loopback-servers.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`);
  // accept-loop.py is not compiled; it sits next to the .ts sources.
  const tcp = await startChild('python3', [import.meta.url.endsWith('.ts') ? here('./accept-loop.py') : here('../../../bench/health/accept-loop.py')]);
  const http = await startChild(process.execPath, [...(httpScript.endsWith('.ts') ? ['--import', 'tsx'] : []), httpScript]).catch(async (error: unknown) => {
    await stopChild(tcp.process);
    throw error;
  });
  return {
    tcpPort: portOf(tcp, 'tcpPort'),
    httpPort: portOf(http, 'httpPort'),
    tcpPid: tcp.process.pid ?? 0,
    httpPid: http.process.pid ?? 0,
    stop: async () => {
      await Promise.all([stopChild(tcp.process), stopChild(http.process)]);
    },
  };
}
