/**
 * The loader's typed output: defaults filled in, values resolved from their service, and the
 * throwing wrapper. Assertions use the example config, so they also pin what it promises.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, formatIssue } from '../../../src/config/issues.js';
import { loadConfigOrThrow, parseConfig } from '../../../src/config/load.js';
import type { Config } from '../../../src/config/types.js';

const examplePath = fileURLToPath(new URL('../../../config/tandem.example.yaml', import.meta.url));
const example = readFileSync(examplePath, 'utf8');
const minimal = readFileSync(new URL('../../fixtures/config/valid/minimal.yaml', import.meta.url), 'utf8');

/** load parses text that must be valid. */
function load(text: string): Config {
  const result = parseConfig(text, 'test.yaml');
  if (!result.ok) throw new Error(result.issues.map(formatIssue).join('\n'));
  return result.config;
}

describe('defaults', () => {
  const config = load(minimal);

  it('fills election defaults', () => {
    expect(config.election).toMatchObject({ advertIntervalMs: 50, preempt: true, preemptDelayMs: 5000, transport: 'unicast', port: 5999, multicastGroup: null, authKeyFileNext: null });
    expect(config.election.announce).toEqual({ count: 5, intervalMs: 20, repeatAfterMs: 5000, refreshIntervalMs: 0 });
  });

  it('fills service and real server defaults as ipvsadm would', () => {
    const vs = config.virtualServers[0];
    expect(vs).toMatchObject({ name: 'tcp/198.51.100.10:80', scheduler: 'wlc', persistence: null, onFailure: 'quiesce', quorum: { minWeight: 1, hysteresis: 0 } });
    expect(vs?.realServers[0]).toEqual({
      address: '10.0.0.1', family: 'inet', port: 80, forward: 'route', weight: 1, upperThreshold: 0, lowerThreshold: 0,
      tunnelType: 'ipip', tunnelPort: 0, tunnelChecksum: 'nocsum', healthCheck: null,
    });
  });

  it('fills the global sections and leaves the sync daemon off', () => {
    expect(config.syncDaemon).toBeNull();
    expect(config.ipvs).toEqual({ timeouts: { tcpSeconds: 0, tcpFinSeconds: 0, udpSeconds: 0 }, purgeUnmanaged: false });
    expect(config.control.socketPath).toBe('/run/tandem/control.sock');
    expect(config.metrics.listen).toBe('127.0.0.1:9640');
    expect(config.log.level).toBe('info');
    expect(config.health.maxConcurrent).toBe('auto');
  });
});

describe('the example config', () => {
  const config = load(example);
  const [web, app, dns] = config.virtualServers;

  it('gives each real server the service check, with the real server port', () => {
    expect(web?.realServers.map((rs) => rs.healthCheck?.kind)).toEqual(['http', 'http', 'http', 'tcp']);
    expect(app?.realServers[0]?.healthCheck).toMatchObject({ kind: 'http', port: 8080, path: '/status', expectStatus: [{ min: 200, max: 299 }] });
    expect(web?.sorryServer).toMatchObject({ address: '10.0.1.250', port: 80, forward: 'route' });
  });

  it('reads a dotted persistence netmask as a prefix length', () => {
    expect(app?.persistence).toEqual({ timeoutSeconds: 300, netmask: 24 });
  });

  it('keeps the NAT port mapping and the udp service flags', () => {
    expect(app?.realServers.map((rs) => [rs.port, rs.forward, rs.weight])).toEqual([[8080, 'masquerade', 3], [8080, 'masquerade', 1]]);
    expect(dns).toMatchObject({ protocol: 'udp', scheduler: 'sh', schedulerFlags: ['sh-fallback'], onePacketScheduling: true });
    expect(config.syncDaemon).toEqual({
      mode: 'both', mcastInterface: 'eth1', syncid: 51, maxlen: 0, group: '224.0.0.81', port: 8848, ttl: 1,
      sysctls: { syncThresholdPackets: 3, syncPeriodPackets: 0, syncRefreshPeriodSeconds: 1 },
    });
  });
});

describe('resolution details', () => {
  it('canonicalises IPv6 so equal addresses compare equal', () => {
    const text = minimal
      .replace('198.51.100.10/24', '2001:DB8:0:0::10/64')
      .replace('address: 198.51.100.10\n', 'address: 2001:db8::10\n')
      .replace(/10\.0\.0\.(\d)/g, '2001:db8:1::$1');
    const config = load(text);
    expect(config.vips[0]).toEqual({ address: '2001:db8::10', family: 'inet6', prefixLength: 64, interface: 'eth0' });
    expect(config.virtualServers[0]).toMatchObject({ family: 'inet6', name: 'tcp/[2001:db8::10]:80' });
  });

  it('lets a real server opt out of the service check with null', () => {
    const text = minimal.replace('    port: 80\n', '    port: 80\n    healthCheck: {kind: tcp}\n').replace('      - address: 10.0.0.2\n', '      - address: 10.0.0.2\n        healthCheck: null\n');
    const rs = load(text).virtualServers[0]?.realServers;
    expect(rs?.map((server) => server.healthCheck?.kind ?? null)).toEqual(['tcp', null]);
  });

  it('gives a fwmark real server without a port port 0, which keeps the packet port', () => {
    const text = minimal.replace('  - protocol: tcp\n    address: 198.51.100.10\n    port: 80\n', '  - protocol: fwmark\n    fwmark: 7\n');
    const vs = load(text).virtualServers[0];
    expect(vs).toMatchObject({ protocol: 'fwmark', fwmark: 7, family: 'inet', name: 'fwmark/7' });
    expect(vs?.realServers.map((rs) => rs.port)).toEqual([0, 0]);
  });

  it('supports YAML anchors and merge keys for shared checks', () => {
    const text = minimal.replace('    port: 80\n', '    port: 80\n    healthCheck: &check {kind: http, path: /a}\n').replace('      - address: 10.0.0.2\n', '      - address: 10.0.0.2\n        healthCheck: {<<: *check, path: /b}\n');
    const rs = load(text).virtualServers[0]?.realServers;
    expect(rs?.map((server) => server.healthCheck?.kind === 'http' ? server.healthCheck.path : null)).toEqual(['/a', '/b']);
  });
});

describe('loadConfigOrThrow', () => {
  it('returns the config and the selected node', async () => {
    const { config, node } = await loadConfigOrThrow(examplePath, { node: 'beta' });
    expect(node?.self.name).toBe('beta');
    expect(node?.peer.addresses).toEqual(['192.0.2.11']);
    expect(config.nodes).toHaveLength(2);
  });

  it('throws a ConfigError carrying every issue', async () => {
    const path = fileURLToPath(new URL('../../fixtures/config/invalid/47-several-rule-errors.yaml', import.meta.url));
    const error: unknown = await loadConfigOrThrow(path).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(ConfigError);
    const configError = error as ConfigError;
    expect(configError.code).toBe('TANDEM_CONFIG_INVALID');
    expect(configError.issues).toHaveLength(5);
    expect(configError.message).toContain('(and 4 more)');
  });
});
