/**
 * virtual-server-fixture: typed config virtual servers built by the real schema, so the tests
 * see exactly what the loader hands the daemon (defaults and resolved ports included).
 */
import { virtualServerSchema } from '../../../src/config/schema-virtual-server.js';
import type { VirtualServer } from '../../../src/config/types.js';

/** virtualServer parses one service as it would be written in YAML. */
export function virtualServer(written: Record<string, unknown>): VirtualServer {
  return virtualServerSchema.parse(written);
}

/** web is a tcp service on 198.51.100.10:80 with three route real servers (weights 1, 2, 3). */
export function web(extra: Record<string, unknown> = {}): VirtualServer {
  return virtualServer({
    protocol: 'tcp',
    address: '198.51.100.10',
    port: 80,
    realServers: [
      { address: '10.0.0.1', weight: 1 },
      { address: '10.0.0.2', weight: 2 },
      { address: '10.0.0.3', weight: 3 },
    ],
    ...extra,
  });
}
