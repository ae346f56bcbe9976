/**
 * desired-table: the IPVS table tandem wants, from the config, the health verdicts and the
 * operator's drains. Pure: the previous quorum states come in and the next ones go out with
 * the table, so the owner only carries them from one pass to the next.
 *
 * Per real server (keyed by realServerRef):
 * - up and not drained: its configured weight;
 * - drained by the operator: weight 0, so its connections finish and no new ones arrive;
 * - down: weight 0 with onFailure "quiesce" (the default), absent with "remove". Recovery
 *   restores the configured weight, because the entry is rebuilt from the config each pass.
 *
 * Per virtual server, the quorum (quorum.ts) is evaluated on the live weight. Below quorum the
 * service stops using its real servers, as keepalived does: each is treated as failed (quiesced
 * or removed by onFailure) and the sorry server, when configured, takes the new connections.
 * With the default minWeight of 1 that happens exactly when every real server is down.
 */
import type { RealServer as ConfigRealServer, VirtualServer } from '../config/types.js';
import { type RealServer, type VirtualService, realServerKey, serviceKey } from '../ipvs/model.js';
import { ipvsRealServer, ipvsService, realServerRef } from './config-to-ipvs.js';
import { nextQuorum } from './quorum.js';

/** Verdict is a health checker's last word on a real server. */
export type Verdict = 'up' | 'down';

/** DesiredService is one virtual service with the real servers it should have. */
export type DesiredService = VirtualService & { readonly realServers: readonly RealServer[] };

/** DesiredTable is the whole table tandem manages; IpvsTable (a listing) has the same shape plus counters. */
export interface DesiredTable {
  readonly services: readonly DesiredService[];
}

/** DesiredInputs are everything the desired table depends on. */
export interface DesiredInputs {
  readonly virtualServers: readonly VirtualServer[];
  /** Health verdicts by realServerRef; a real server without one uses its check's initialState. */
  readonly verdicts: ReadonlyMap<string, Verdict>;
  /** Real servers the operator drained, by realServerRef. */
  readonly drains: ReadonlySet<string>;
  /** Each service's quorum after the previous pass, by serviceKey; missing means never evaluated. */
  readonly quorum: ReadonlyMap<string, boolean>;
}

/** DesiredResult is the table plus every configured service's quorum, by serviceKey. */
export interface DesiredResult {
  readonly table: DesiredTable;
  readonly quorum: ReadonlyMap<string, boolean>;
}

/** desiredTable computes the table and the quorum states; see the file comment. */
export function desiredTable(inputs: DesiredInputs): DesiredResult {
  const quorum = new Map<string, boolean>();
  const services = inputs.virtualServers.map((vs): DesiredService => {
    const { service, hasQuorum } = desiredService(vs, inputs);
    quorum.set(serviceKey(service), hasQuorum);
    return service;
  });
  return { table: { services }, quorum };
}

/** DesiredServiceResult is one virtual service's entry and its quorum. */
export interface DesiredServiceResult {
  readonly service: DesiredService;
  readonly hasQuorum: boolean;
}

/**
 * desiredService computes one virtual service, as desiredTable does for each. Everything a
 * verdict or a drain can change (weights, quorum, the sorry server) is per service, so the
 * owner's fast path recomputes only the service a verdict touched.
 */
export function desiredService(vs: VirtualServer, inputs: Omit<DesiredInputs, 'virtualServers'>): DesiredServiceResult {
  const settings = ipvsService(vs);
  const live = (rs: ConfigRealServer): boolean => isUp(vs, rs, inputs.verdicts) && !inputs.drains.has(realServerRef(vs, rs));
  const liveWeight = vs.realServers.reduce((sum, rs) => sum + (live(rs) ? rs.weight : 0), 0);
  const hasQuorum = nextQuorum(inputs.quorum.get(serviceKey(settings)), liveWeight, vs.quorum);
  // A Map by kernel identity: a sorry server at a real server's address and port takes its place.
  const servers = new Map<string, RealServer>();
  for (const rs of vs.realServers) {
    const failed = !hasQuorum || !isUp(vs, rs, inputs.verdicts);
    if (failed && vs.onFailure === 'remove') continue;
    servers.set(realServerKey(rs), ipvsRealServer(rs, failed || inputs.drains.has(realServerRef(vs, rs)) ? 0 : rs.weight));
  }
  if (!hasQuorum && vs.sorryServer !== null) servers.set(realServerKey(vs.sorryServer), ipvsRealServer(vs.sorryServer, vs.sorryServer.weight));
  return { service: { ...settings, realServers: [...servers.values()] }, hasQuorum };
}

/** isUp is a real server's health: its verdict, else its check's initial state; unchecked is always up. */
function isUp(vs: VirtualServer, rs: ConfigRealServer, verdicts: ReadonlyMap<string, Verdict>): boolean {
  const verdict = verdicts.get(realServerRef(vs, rs));
  if (verdict !== undefined) return verdict === 'up';
  return rs.healthCheck === null || rs.healthCheck.initialState === 'up';
}
