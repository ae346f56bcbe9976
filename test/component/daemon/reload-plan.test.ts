/**
 * planReload: which changes of a reloaded config apply live and which need a restart.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import type { NodeSelection } from '../../../src/config/select-node.js';
import type { Config } from '../../../src/config/types.js';
import { planReload } from '../../../src/daemon/reload-plan.js';

const BASE = {
  nodes: [
    { name: 'alpha', priority: 200, addresses: ['192.0.2.11'] },
    { name: 'beta', priority: 100, addresses: ['192.0.2.12'] },
  ],
  election: { groupId: 1, authKeyFile: '/etc/tandem/auth.key' },
  vips: [{ address: '192.0.2.100/24', interface: 'eth0' }],
};

function load(edit: (doc: typeof BASE & Record<string, unknown>) => void = () => undefined): { config: Config; node: NodeSelection } {
  const doc = structuredClone(BASE) as typeof BASE & Record<string, unknown>;
  edit(doc);
  const result = parseConfig(JSON.stringify(doc), 'test.yaml', { node: 'alpha' });
  if (!result.ok || result.node === null) throw new Error(`fixture invalid: ${JSON.stringify(result)}`);
  return { config: result.config, node: result.node };
}

function plan(edit: (doc: typeof BASE & Record<string, unknown>) => void) {
  const running = load();
  const next = load(edit);
  return planReload(running.config, running.node, next.config, next.node);
}

describe('planReload', () => {
  it('finds nothing to do for the same file', () => {
    expect(plan(() => undefined)).toEqual({ vips: false, lvs: false, logLevel: null, restartNeeded: [], notYetApplied: [] });
  });

  it('applies a VIP interface move live without a restart (the digest holds addresses only)', () => {
    const result = plan((doc) => { doc.vips = [{ address: '192.0.2.100/24', interface: 'eth1' }]; });
    expect(result).toMatchObject({ vips: true, restartNeeded: [] });
  });

  it('applies a new VIP live but says the election digest needs a restart', () => {
    const result = plan((doc) => { doc.vips.push({ address: '192.0.2.101/24', interface: 'eth0' }); });
    expect(result.vips).toBe(true);
    expect(result.restartNeeded).toEqual(['vips (in the election config digest)']);
  });

  it('takes announce settings and the log level live', () => {
    const result = plan((doc) => {
      doc.election = { ...doc.election, announce: { count: 9 } } as typeof doc.election;
      doc.log = { level: 'debug' };
    });
    expect(result).toMatchObject({ vips: true, logLevel: 'debug', restartNeeded: [] });
  });

  it('needs a restart for election timing and node changes', () => {
    const result = plan((doc) => {
      doc.election = { ...doc.election, advertIntervalMs: 100 } as typeof doc.election;
      doc.nodes[0] = { name: 'alpha', priority: 150, addresses: ['192.0.2.11'] };
    });
    expect(result.restartNeeded).toEqual(['election.advertIntervalMs', 'nodes[alpha]']);
  });

  it('takes virtual servers, health, the sync daemon and IPVS timeouts live', () => {
    const edits: ((doc: typeof BASE & Record<string, unknown>) => void)[] = [
      (doc) => { doc.virtualServers = [{ protocol: 'tcp', address: '192.0.2.100', port: 80, realServers: [{ address: '198.51.100.1' }] }]; },
      (doc) => { doc.health = { maxConcurrent: 8 }; },
      (doc) => { doc.syncDaemon = { mcastInterface: 'eth0', syncid: 3 }; },
      (doc) => { doc.ipvs = { timeouts: { tcpSeconds: 900 } }; },
    ];
    for (const edit of edits) expect(plan(edit)).toMatchObject({ lvs: true, vips: false, restartNeeded: [], notYetApplied: [] });
  });

  it('names the sections this daemon does not manage yet', () => {
    const result = plan((doc) => {
      doc.hooks = { onMaster: { command: '/usr/local/bin/became-master' } };
    });
    expect(result).toMatchObject({ lvs: false, notYetApplied: ['hooks'] });
  });
});
