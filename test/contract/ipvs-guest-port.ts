/**
 * ipvs-guest-port: the host side of test/kernel/programs/ipvs-rpc/server.mjs. It implements
 * IpvsPort and SyncDaemonPort by asking the program, running in the guest, to make each call
 * against the guest kernel, so the IPVS contract suite can run on the host against real IPVS.
 * Refusals come back as the same IpvsError / IpvsInputError classes the kernel adapter raises.
 */
import { existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { IpvsError, type IpvsAction, type IpvsErrorContext, IpvsInputError } from '../../src/ipvs/ipvs-error.js';
import type { IpvsOperation, OperationOutcome } from '../../src/ipvs/ipvs-port.js';
import type {
  IpvsInfo,
  IpvsRules,
  IpvsTable,
  RealServer,
  RealServerEntry,
  RealServerId,
  SyncDaemon,
  SyncState,
  Timeouts,
  VirtualService,
  VirtualServiceEntry,
  VirtualServiceId,
} from '../../src/ipvs/model.js';
import type { ContractPort } from './ipvs.contract.js';
import { reviveJson, toJson } from './ipvs-json.js';

interface RemoteError {
  readonly name: string;
  readonly message: string;
  readonly errno?: number;
  readonly action?: IpvsAction;
  readonly object?: string;
  readonly extendedMessage?: string;
  readonly context?: IpvsErrorContext;
}

type Answer = { ok: true; value: unknown; elapsedMs: number } | { ok: false; error: RemoteError };

function rebuild(error: RemoteError): Error {
  if (error.name === 'IpvsError' && error.action !== undefined && error.errno !== undefined) {
    return new IpvsError(error.action, error.object ?? '', error.errno, error.extendedMessage, error.context ?? {});
  }
  if (error.name === 'IpvsInputError') return new IpvsInputError(error.message);
  return new Error(`${error.name} in the guest: ${error.message}`);
}

/** GuestIpvsPort forwards every call to the guest program serving `dir`. */
export class GuestIpvsPort implements ContractPort {
  private readonly dir: string;
  private serverExit: string | undefined;
  private next = 1;
  private queue: Promise<unknown> = Promise.resolve();
  /** lastElapsedMs is how long the last call took inside the guest (excludes the file relay). */
  lastElapsedMs = 0;

  /** `server` settles when the guest program ends; a call then fails at once with its output. */
  constructor(dir: string, server: Promise<{ readonly code: number; readonly stdout: string; readonly stderr: string }>) {
    this.dir = dir;
    server.then(
      (result) => {
        this.serverExit = `exited with status ${result.code}: ${result.stderr}${result.stdout}`;
      },
      (error: unknown) => {
        this.serverExit = `failed: ${String(error)}`;
      },
    );
  }

  /** call runs one method in the guest; calls are strictly sequential, as the server is. */
  call(method: string, args: readonly unknown[] = [], timeoutMs = 120_000): Promise<unknown> {
    const run = this.queue.then(() => this.exchange(method, args, timeoutMs));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async exchange(method: string, args: readonly unknown[], timeoutMs: number): Promise<unknown> {
    const n = this.next++;
    await writeFile(join(this.dir, `req-${n}.tmp`), toJson({ method, args }));
    await rename(join(this.dir, `req-${n}.tmp`), join(this.dir, `req-${n}.json`));
    if (method === 'exit') return undefined;
    const answerFile = join(this.dir, `res-${n}.json`);
    const deadline = performance.now() + timeoutMs;
    while (!existsSync(answerFile)) {
      if (this.serverExit !== undefined) throw new Error(`the guest IPVS program ${this.serverExit}`);
      if (performance.now() > deadline) throw new Error(`the guest did not answer ${method} within ${timeoutMs} ms`);
      await new Promise((resolveWait) => setTimeout(resolveWait, 5));
    }
    const answer = JSON.parse(await readFile(answerFile, 'utf8'), reviveJson) as Answer;
    if (!answer.ok) throw rebuild(answer.error);
    this.lastElapsedMs = answer.elapsedMs;
    return answer.value;
  }

  /** reset empties the guest's table, stops its daemons and restores the default timeouts. */
  async reset(): Promise<void> {
    await this.call('reset');
  }

  /** exit ends the guest program. */
  async exit(): Promise<void> {
    await this.call('exit');
  }

  async addVirtualService(service: VirtualService): Promise<void> {
    await this.call('addVirtualService', [service]);
  }
  async editVirtualService(service: VirtualService): Promise<void> {
    await this.call('editVirtualService', [service]);
  }
  async deleteVirtualService(service: VirtualServiceId): Promise<void> {
    await this.call('deleteVirtualService', [service]);
  }
  async getVirtualService(service: VirtualServiceId): Promise<VirtualServiceEntry | undefined> {
    return ((await this.call('getVirtualService', [service])) ?? undefined) as VirtualServiceEntry | undefined;
  }
  async listVirtualServices(): Promise<readonly VirtualServiceEntry[]> {
    return (await this.call('listVirtualServices')) as VirtualServiceEntry[];
  }
  async addRealServer(service: VirtualServiceId, realServer: RealServer): Promise<void> {
    await this.call('addRealServer', [service, realServer]);
  }
  async editRealServer(service: VirtualServiceId, realServer: RealServer): Promise<void> {
    await this.call('editRealServer', [service, realServer]);
  }
  async deleteRealServer(service: VirtualServiceId, realServer: RealServerId): Promise<void> {
    await this.call('deleteRealServer', [service, realServer]);
  }
  async listRealServers(service: VirtualServiceId): Promise<readonly RealServerEntry[]> {
    return (await this.call('listRealServers', [service])) as RealServerEntry[];
  }
  async list(): Promise<IpvsTable> {
    return (await this.call('list')) as IpvsTable;
  }
  async listRules(): Promise<IpvsRules> {
    return (await this.call('listRules')) as IpvsRules;
  }
  async apply(operations: readonly IpvsOperation[]): Promise<readonly OperationOutcome[]> {
    const outcomes = (await this.call('apply', [operations])) as ({ ok: true } | { ok: false; error: RemoteError })[];
    return outcomes.map((outcome): OperationOutcome => {
      if (outcome.ok) return outcome;
      const error = rebuild(outcome.error);
      if (!(error instanceof IpvsError)) throw error;
      return { ok: false, error };
    });
  }
  async zeroCounters(service?: VirtualServiceId): Promise<void> {
    await this.call('zeroCounters', service === undefined ? [] : [service]);
  }
  async flush(): Promise<void> {
    await this.call('flush');
  }
  async getTimeouts(): Promise<Timeouts> {
    return (await this.call('getTimeouts')) as Timeouts;
  }
  async setTimeouts(timeouts: Partial<Timeouts>): Promise<void> {
    await this.call('setTimeouts', [timeouts]);
  }
  async getInfo(): Promise<IpvsInfo> {
    return (await this.call('getInfo')) as IpvsInfo;
  }
  async startDaemon(daemon: SyncDaemon): Promise<void> {
    await this.call('startDaemon', [daemon]);
  }
  async stopDaemon(state: SyncState): Promise<void> {
    await this.call('stopDaemon', [state]);
  }
  async listDaemons(): Promise<readonly SyncDaemon[]> {
    return (await this.call('listDaemons')) as SyncDaemon[];
  }
}
