import { describe, expect, it } from 'vitest';
import type { VirtualServer } from '../../../src/config/types.js';
import { realServerRef } from '../../../src/lvs/config-to-ipvs.js';
import { type DesiredInputs, type Verdict, desiredTable } from '../../../src/lvs/desired-table.js';
import { virtualServer, web } from './virtual-server-fixture.js';

const sorry = { address: '10.0.9.9', weight: 4 };

function inputs(vs: VirtualServer, verdicts: Record<string, Verdict> = {}, drains: string[] = [], quorum = new Map<string, boolean>()): DesiredInputs {
  const byRef = new Map(Object.entries(verdicts).map(([address, verdict]) => [realServerRef(vs, { address, port: 80 }), verdict]));
  return { virtualServers: [vs], verdicts: byRef, drains: new Set(drains.map((address) => realServerRef(vs, { address, port: 80 }))), quorum };
}

function weights(input: DesiredInputs): Record<string, number> {
  const [service] = desiredTable(input).table.services;
  return Object.fromEntries((service?.realServers ?? []).map((rs) => [rs.address, rs.weight]));
}

describe('desiredTable', () => {
  it('maps the service settings as ipvsadm would set them', () => {
    const vs = virtualServer({
      protocol: 'udp',
      address: '2001:db8::10',
      port: 53,
      scheduler: 'sh',
      schedulerFlags: ['sh-port', 'sh-fallback'],
      persistence: { timeoutSeconds: 600, netmask: 64 },
      onePacketScheduling: true,
      realServers: [{ address: '2001:db8::a', forward: 'masquerade', port: 5353, upperThreshold: 10, lowerThreshold: 5 }],
    });
    const [service] = desiredTable(inputs(vs)).table.services;
    expect(service).toEqual({
      protocol: 'udp',
      family: 6,
      address: '2001:db8::10',
      port: 53,
      scheduler: 'sh',
      onePacket: true,
      schedulerFlags: ['flag-1', 'flag-2'],
      persistence: { timeoutSeconds: 600, netmaskPrefixLength: 64 },
      realServers: [{ address: '2001:db8::a', port: 5353, forward: 'masquerade', weight: 1, upperThreshold: 10, lowerThreshold: 5 }],
    });
  });

  it('maps fwmark services and tunnel options', () => {
    const vs = virtualServer({
      protocol: 'fwmark',
      fwmark: 7,
      family: 'inet',
      realServers: [{ address: '10.0.0.1', forward: 'tunnel', tunnelType: 'gue', tunnelPort: 6080, tunnelChecksum: 'csum' }],
    });
    const [service] = desiredTable(inputs(vs)).table.services;
    expect(service).toMatchObject({ protocol: 'fwmark', family: 4, fwmark: 7, scheduler: 'wlc', schedulerFlags: [] });
    expect(service?.persistence).toBeUndefined();
    expect(service?.realServers).toEqual([
      { address: '10.0.0.1', port: 0, forward: 'tunnel', weight: 1, upperThreshold: 0, lowerThreshold: 0, tunnel: { type: 'gue', port: 6080, checksum: 'csum' } },
    ]);
  });

  it('quiesces a failed real server by default and restores its weight on recovery', () => {
    const vs = web();
    expect(weights(inputs(vs, { '10.0.0.2': 'down' }))).toEqual({ '10.0.0.1': 1, '10.0.0.2': 0, '10.0.0.3': 3 });
    expect(weights(inputs(vs, { '10.0.0.2': 'up' }))).toEqual({ '10.0.0.1': 1, '10.0.0.2': 2, '10.0.0.3': 3 });
  });

  it('removes a failed real server with onFailure remove', () => {
    expect(weights(inputs(web({ onFailure: 'remove' }), { '10.0.0.2': 'down' }))).toEqual({ '10.0.0.1': 1, '10.0.0.3': 3 });
  });

  it('sets a drained real server to weight 0 and keeps it, whatever onFailure says', () => {
    expect(weights(inputs(web({ onFailure: 'remove' }), {}, ['10.0.0.3']))).toEqual({ '10.0.0.1': 1, '10.0.0.2': 2, '10.0.0.3': 0 });
  });

  it('uses a checked real server’s initialState until its first verdict', () => {
    const vs = web({ healthCheck: { kind: 'tcp', initialState: 'down' } });
    expect(weights(inputs(vs, { '10.0.0.1': 'up' }))).toEqual({ '10.0.0.1': 1, '10.0.0.2': 0, '10.0.0.3': 0 });
  });

  it('brings in the sorry server only while every real server is down (default quorum)', () => {
    const vs = web({ sorryServer: sorry });
    expect(weights(inputs(vs, { '10.0.0.1': 'down', '10.0.0.2': 'down' }))).toEqual({ '10.0.0.1': 0, '10.0.0.2': 0, '10.0.0.3': 3 });
    const allDown = inputs(vs, { '10.0.0.1': 'down', '10.0.0.2': 'down', '10.0.0.3': 'down' });
    expect(weights(allDown)).toEqual({ '10.0.0.1': 0, '10.0.0.2': 0, '10.0.0.3': 0, '10.0.9.9': 4 });
    expect(desiredTable(allDown).quorum.get('tcp:198.51.100.10:80')).toBe(false);
  });

  it('below quorum hands the service to the sorry server and takes the live ones out, with hysteresis', () => {
    const vs = web({ sorryServer: sorry, onFailure: 'remove', quorum: { minWeight: 4, hysteresis: 1 } });
    const key = 'tcp:198.51.100.10:80';
    // Live weight 2 (10.0.0.2) is below 4 − 1: quorum lost, only the sorry server stays.
    const lost = desiredTable(inputs(vs, { '10.0.0.1': 'down', '10.0.0.3': 'down' }, [], new Map([[key, true]])));
    expect(lost.quorum.get(key)).toBe(false);
    expect(lost.table.services[0]?.realServers.map((rs) => rs.address)).toEqual(['10.0.9.9']);
    // Live weight 4 (1 + 3) is not yet 4 + 1: still lost.
    expect(weights(inputs(vs, { '10.0.0.2': 'down' }, [], new Map([[key, false]])))).toEqual({ '10.0.9.9': 4 });
    // Live weight 5 (2 + 3) regains quorum; the sorry server leaves.
    expect(weights(inputs(vs, { '10.0.0.1': 'down' }, [], new Map([[key, false]])))).toEqual({ '10.0.0.2': 2, '10.0.0.3': 3 });
  });

  it('counts drained real servers out of the live weight', () => {
    const vs = web({ sorryServer: sorry, quorum: { minWeight: 1, hysteresis: 0 } });
    expect(weights(inputs(vs, {}, ['10.0.0.1', '10.0.0.2', '10.0.0.3']))).toMatchObject({ '10.0.9.9': 4 });
  });
});
