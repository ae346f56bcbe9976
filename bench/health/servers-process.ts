/**
 * servers-process: starts loopback-servers.ts in its own process and reads its ports.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

/** LoopbackServers are the child's ports and a way to end it. */
export interface LoopbackServers {
  readonly tcpPort: number;
  readonly httpPort: number;
  readonly pid: number;
  readonly stop: () => Promise<void>;
}

/** startLoopbackServers runs the servers under tsx, in a separate process (its CPU is not ours). */
export async function startLoopbackServers(): Promise<LoopbackServers> {
  const script = fileURLToPath(new URL(`./loopback-servers.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url));
  const child = spawn(process.execPath, [...(script.endsWith('.ts') ? ['--import', 'tsx'] : []), script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(child.stdout, 'data')) as [Buffer];
  const ports = JSON.parse(line.toString()) as { tcpPort: number; httpPort: number };
  return {
    ...ports,
    pid: child.pid ?? 0,
    stop: async () => {
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}
