/** From config to probes: identical checks on one address are one probe that fans out. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import type { Config } from '../../../src/config/types.js';
import { probeKey, probesFor } from '../../../src/health/probe-set.js';
import { checkOf } from './check-fixtures.js';

const HEAD = `
nodes:
  - { name: alpha, priority: 200, addresses: [192.0.2.11] }
  - { name: beta, priority: 100, addresses: [192.0.2.12] }
election: { groupId: 1, authKeyFile: /etc/tandem/auth.key }
vips: [{ address: 198.51.100.10/24, interface: eth0 }]
`;

function load(virtualServers: string): Config {
  const result = parseConfig(HEAD + virtualServers, 'test.yaml');
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.config;
}

describe('probesFor', () => {
  const config = load(`
virtualServers:
  - name: web
    protocol: tcp
    address: 198.51.100.10
    port: 80
    healthCheck: { kind: http, path: /health }
    realServers:
      - address: 10.0.0.1
      - address: 10.0.0.2
      - { address: 10.0.0.3, healthCheck: null }
  - name: web-mark
    protocol: fwmark
    fwmark: 7
    healthCheck: { kind: http, path: /health, port: 80 }
    realServers:
      - address: 10.0.0.1
      - { address: 10.0.0.2, healthCheck: { kind: http, path: /health, port: 80, intervalMs: 5000 } }
  - name: web-tls
    protocol: tcp
    address: 198.51.100.10
    port: 443
    healthCheck: { kind: tcp }
    realServers:
      - address: 10.0.0.1
`);
  const probes = probesFor(config.virtualServers);

  it('shares one probe between services with the same check on the same address and port', () => {
    const shared = probes.find((probe) => probe.target.address === '10.0.0.1' && probe.target.check.kind === 'http');
    expect(shared?.realServers).toEqual([
      { virtualServer: 'web', address: '10.0.0.1', port: 80 },
      { virtualServer: 'web-mark', address: '10.0.0.1', port: 0 },
    ]);
  });

  it('keeps checks apart when any option differs, and skips unchecked servers', () => {
    expect(probes.map((probe) => [probe.target.address, probe.target.check.kind, probe.target.check.port, probe.realServers.length])).toEqual([
      ['10.0.0.1', 'http', 80, 2],
      ['10.0.0.2', 'http', 80, 1],
      ['10.0.0.2', 'http', 80, 1],
      ['10.0.0.1', 'tcp', 443, 1],
    ]);
  });

  it('gives every probe a distinct key', () => {
    expect(new Set(probes.map((probe) => probe.key)).size).toBe(probes.length);
  });
});

describe('probeKey', () => {
  it('ignores key order but not values, address, port or source address', () => {
    const check = checkOf('https', 443, { host: 'a.example', expectStatus: [200, '300-399'] });
    const reordered = Object.fromEntries(Object.entries(check).reverse()) as typeof check;
    expect(probeKey('10.0.0.1', reordered)).toBe(probeKey('10.0.0.1', check));
    expect(probeKey('10.0.0.2', check)).not.toBe(probeKey('10.0.0.1', check));
    expect(probeKey('10.0.0.1', { ...check, port: 8443 })).not.toBe(probeKey('10.0.0.1', check));
    expect(probeKey('10.0.0.1', { ...check, sourceAddress: '10.0.0.9' })).not.toBe(probeKey('10.0.0.1', check));
    expect(probeKey('10.0.0.1', { ...check, expectStatus: [{ min: 200, max: 200 }] })).not.toBe(probeKey('10.0.0.1', check));
  });
});
