import { describe, expect, it } from 'vitest';
import type { RealServer } from '../../../src/ipvs/model.js';
import { type DesiredService, type DesiredTable, desiredTable } from '../../../src/lvs/desired-table.js';
import { reconcile } from '../../../src/lvs/reconcile.js';
import { web } from './virtual-server-fixture.js';

const manage = { purgeUnmanaged: false } as const;

function table(...services: DesiredService[]): DesiredTable {
  return { services };
}

function configured(): DesiredService {
  const [service] = desiredTable({ virtualServers: [web()], verdicts: new Map(), drains: new Set(), quorum: new Map() }).table.services;
  if (service === undefined) throw new Error('fixture has one service');
  return service;
}

function withServers(service: DesiredService, realServers: readonly RealServer[]): DesiredService {
  return { ...service, realServers };
}

const unmanaged: DesiredService = {
  protocol: 'udp',
  family: 4,
  address: '198.51.100.99',
  port: 53,
  scheduler: 'rr',
  onePacket: false,
  schedulerFlags: [],
  realServers: [{ address: '10.9.0.1', port: 53, forward: 'masquerade', weight: 1, upperThreshold: 0, lowerThreshold: 0 }],
};

describe('reconcile', () => {
  it('has nothing to do when the kernel matches', () => {
    expect(reconcile(table(configured()), table(configured()), manage)).toEqual([]);
  });

  it('adds a service before its real servers', () => {
    const ops = reconcile(table(configured()), table(), manage);
    expect(ops.map((op) => op.kind)).toEqual(['add-service', 'add-real-server', 'add-real-server', 'add-real-server']);
    const [first] = ops;
    expect(first?.kind === 'add-service' && 'realServers' in first.service).toBe(false);
  });

  it('changes one weight with exactly one edit carrying the whole entry', () => {
    const service = configured();
    const [first, second, third] = service.realServers;
    if (first === undefined || second === undefined || third === undefined) throw new Error('fixture has three real servers');
    const quiesced = { ...second, weight: 0 };
    expect(reconcile(table(withServers(service, [first, quiesced, third])), table(service), manage)).toEqual([
      { kind: 'edit-real-server', service: { protocol: 'tcp', family: 4, address: '198.51.100.10', port: 80 }, realServer: quiesced },
    ]);
  });

  it('deletes real servers first, then services, then adds and edits', () => {
    const service = configured();
    const [first, second] = service.realServers;
    if (first === undefined || second === undefined) throw new Error('fixture has real servers');
    const actual = table(withServers({ ...service, scheduler: 'rr' }, [first, { ...second, weight: 9 }, { ...first, address: '10.0.0.99' }]), unmanaged);
    const ops = reconcile(table(service), actual, { purgeUnmanaged: true });
    expect(ops.map((op) => op.kind)).toEqual(['delete-real-server', 'delete-service', 'edit-service', 'edit-real-server', 'add-real-server']);
    expect(ops[0]).toMatchObject({ realServer: { address: '10.0.0.99', port: 80 } });
    expect(ops[1]).toEqual({ kind: 'delete-service', service: { protocol: 'udp', family: 4, address: '198.51.100.99', port: 53 } });
  });

  it('leaves unmanaged services alone unless told to purge, or unless they were retired from the config', () => {
    expect(reconcile(table(configured()), table(configured(), unmanaged), manage)).toEqual([]);
    expect(reconcile(table(configured()), table(configured(), unmanaged), { purgeUnmanaged: false, retired: new Set(['udp:198.51.100.99:53']) })).toHaveLength(1);
    expect(reconcile(table(), table(unmanaged), { purgeUnmanaged: true })).toEqual([
      { kind: 'delete-service', service: { protocol: 'udp', family: 4, address: '198.51.100.99', port: 53 } },
    ]);
  });

  it('edits a service whose settings changed, with its full settings and no real servers', () => {
    const service = configured();
    const wanted = { ...service, persistence: { timeoutSeconds: 360, netmaskPrefixLength: 32 }, schedulerFlags: ['flag-2' as const] };
    const ops = reconcile(table(wanted), table(service), manage);
    expect(ops).toMatchObject([{ kind: 'edit-service', service: { scheduler: 'wlc', onePacket: false, schedulerFlags: ['flag-2'], persistence: wanted.persistence } }]);
    expect(ops.some((op) => 'service' in op && 'realServers' in op.service)).toBe(false);
  });

  it('accepts the kernel’s "local" for a real server at the director’s own address', () => {
    const service = configured();
    const local = withServers(service, service.realServers.map((rs) => ({ ...rs, forward: 'local' as const })));
    expect(reconcile(table(service), table(local), manage)).toEqual([]);
  });

  it('compares tunnels with the kernel’s default filled in', () => {
    const service = configured();
    const tunnel = withServers(service, service.realServers.map((rs) => ({ ...rs, forward: 'tunnel' as const })));
    const listed = withServers(service, tunnel.realServers.map((rs) => ({ ...rs, tunnel: { type: 'ipip' as const, port: 0, checksum: 'nocsum' as const } })));
    expect(reconcile(table(tunnel), table(listed), manage)).toEqual([]);
    const gre = withServers(service, listed.realServers.map((rs) => ({ ...rs, tunnel: { type: 'gre' as const, port: 0, checksum: 'csum' as const } })));
    expect(reconcile(table(gre), table(listed), manage).map((op) => op.kind)).toEqual(['edit-real-server', 'edit-real-server', 'edit-real-server']);
  });
});
