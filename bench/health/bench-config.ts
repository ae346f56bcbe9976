/**
 * bench-config: the cadence benchmark's director, described the way an operator would: a config
 * file and a key file, read back through the daemon's own loader (config/load.ts, key-file.ts).
 * So the election runs with the daemon's defaults (advertIntervalMs 50, the election thread's
 * nice) and the probes come from probesFor() over the virtual servers, as in the daemon.
 *
 * Node alpha (127.0.0.1) is this director; its peer beta (127.0.0.2) is the advert receiver, a
 * process that never adverts, so alpha becomes master and adverts at its interval. One tcp
 * service has one real server per distinct 127/8 address, all served by the loopback servers
 * process (it listens on 0.0.0.0), so every real server is its own probe (no dedupe).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigOrThrow } from '../../src/config/load.js';
import type { NodeSelection } from '../../src/config/select-node.js';
import type { Config } from '../../src/config/types.js';
import { readKeySet } from '../../src/election-runtime/key-file.js';
import type { KeySet } from '../../src/election/types.js';

/** BenchConfigRequest says what to put in the file. */
export interface BenchConfigRequest {
  readonly realServers: number;
  /** checkPort is where the loopback servers listen. */
  readonly checkPort: number;
  /** electionPort is the UDP port both nodes advert on (the receiver's port). */
  readonly electionPort: number;
}

/** BenchDirector is the loaded config, this node and its keys, and a way to delete the files. */
export interface BenchDirector {
  readonly config: Config;
  readonly node: NodeSelection;
  readonly keys: KeySet;
  readonly remove: () => Promise<void>;
}

/** PEER_ADDRESS is beta's address, where the advert receiver binds. */
export const PEER_ADDRESS = '127.0.0.2';

/** SERVICE_ADDRESS is the virtual service's VIP (TEST-NET-1, RFC 5737). */
const SERVICE_ADDRESS = '192.0.2.10';

/** realServerAddress is the i-th distinct address of 127/8 after 127.0.0.x (the nodes' own). */
export function realServerAddress(index: number): string {
  return `127.${Math.floor(index / 64_516) + 1}.${Math.floor(index / 254) % 254}.${(index % 254) + 1}`;
}

/** writeBenchConfig writes tandem.yaml and auth.key to a fresh directory and loads them as node alpha. */
export async function writeBenchConfig(request: BenchConfigRequest): Promise<BenchDirector> {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-cadence-'));
  const authKeyFile = join(dir, 'auth.key');
  // key-file.ts refuses a key other users can read: 0600, as an operator would install it.
  await writeFile(authKeyFile, randomBytes(32).toString('hex'), { mode: 0o600 });
  const document = {
    nodes: [
      { name: 'alpha', priority: 200, addresses: ['127.0.0.1'] },
      { name: 'beta', priority: 100, addresses: [PEER_ADDRESS] },
    ],
    election: { groupId: 51, authKeyFile, transport: 'unicast', port: request.electionPort },
    // A service address must be a VIP. The bench never adds it: it only hears the addVips notice.
    vips: [{ address: `${SERVICE_ADDRESS}/32`, interface: 'lo' }],
    virtualServers: [
      {
        name: 'bench',
        protocol: 'tcp',
        address: SERVICE_ADDRESS,
        port: request.checkPort,
        healthCheck: { kind: 'tcp' },
        realServers: Array.from({ length: request.realServers }, (_, index) => ({ address: realServerAddress(index) })),
      },
    ],
  };
  const path = join(dir, 'tandem.yaml');
  // JSON is YAML (YAML 1.2 §1.3), and the loader reads it like any other file.
  await writeFile(path, JSON.stringify(document, null, 1));
  const remove = (): Promise<void> => rm(dir, { recursive: true, force: true });
  try {
    const { config, node } = await loadConfigOrThrow(path, { node: 'alpha' });
    if (node === null) throw new Error('bench config: node alpha not selected');
    const keys = await readKeySet(config.election.authKeyFile, config.election.authKeyFileNext);
    return { config, node, keys, remove };
  } catch (error) {
    await remove();
    throw error;
  }
}
