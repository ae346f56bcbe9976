/**
 * advert-peer: starts advert-receiver.ts in its own process and reads its arrival times back.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** AdvertPeer is the receiver's port, its arrivals since the last take, and a way to end it. */
export interface AdvertPeer {
  readonly port: number;
  /** take returns arrival times (ms, the receiver's monotonic clock) since the previous take. */
  readonly take: () => Promise<number[]>;
  readonly stop: () => Promise<void>;
}

/** startAdvertPeer runs the receiver bound to address (port chosen by the kernel), under tsx when run from source. */
export async function startAdvertPeer(address: string): Promise<AdvertPeer> {
  const script = fileURLToPath(new URL(`./advert-receiver.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url));
  const loader = script.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const child = spawn(process.execPath, [...loader, script, address, '0'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async <T>(): Promise<T> => {
    const line = await lines.next();
    if (line.done === true) throw new Error('advert receiver exited');
    return JSON.parse(line.value) as T;
  };
  const { port } = await next<{ port: number }>();
  return {
    port,
    take: async () => {
      child.stdin.write('report\n');
      return (await next<{ arrivalsMs: number[] }>()).arrivalsMs;
    },
    stop: async () => {
      const exited = once(child, 'exit');
      child.stdin.end('exit\n');
      await exited;
    },
  };
}
