/**
 * ipvs-batch-report: how the IPVS owner logs and counts one batch's outcomes.
 *
 * Each accepted operation is one line at info (a warn when it repaired drift), each refusal one
 * line at error, but a refusal that the previous pass logged too drops to debug, so a kernel
 * that keeps refusing the same change every tick does not fill the log. A batch larger than
 * DETAILED_LOG_LIMIT (the whole table at start or after `ipvsadm -C`) is one summary line at
 * info, its operations at debug. A service's quorum lost or regained is one warn line.
 */
import type { Logger } from 'pino';
import type { IpvsOperation, OperationOutcome } from '../ipvs/ipvs-port.js';
import { realServerKey, serviceKey } from '../ipvs/model.js';
import type { IpvsOwnerStats } from './ipvs-owner.js';

/** DETAILED_LOG_LIMIT is the most operations a batch logs one line each at info (or warn for repairs). */
const DETAILED_LOG_LIMIT = 20;

/** BatchReportContext is where a report goes: the owner's logger and counters, and the refusals logged last time. */
export interface BatchReportContext {
  readonly log: Logger;
  readonly stats: IpvsOwnerStats;
  readonly refusedBefore: ReadonlySet<string>;
}

/** reportBatch logs and counts a batch's outcomes (see the file comment) and returns the labels of its refused operations. */
export function reportBatch(operations: readonly IpvsOperation[], outcomes: readonly OperationOutcome[], drift: boolean, context: BatchReportContext): Set<string> {
  const detailed = operations.length <= DETAILED_LOG_LIMIT;
  const refusedNow = new Set<string>();
  operations.forEach((operation, index) => {
    const label = recordOperation(operation, outcomes[index], drift, detailed, context);
    if (label !== undefined) refusedNow.add(label);
  });
  if (!detailed) {
    const refused = outcomes.filter((outcome) => !outcome.ok).length;
    context.log.info({ event: 'ipvs.applied', operations: operations.length, refused, drift }, 'IPVS table changed');
  }
  return refusedNow;
}

/** recordOperation logs and counts one operation, and returns its label when the kernel refused it. */
function recordOperation(operation: IpvsOperation, outcome: OperationOutcome | undefined, drift: boolean, detailed: boolean, context: BatchReportContext): string | undefined {
  const { log, stats } = context;
  const fields = {
    vs: serviceKey(operation.service),
    ...('realServer' in operation ? { rs: realServerKey(operation.realServer) } : {}),
    ...(operation.kind === 'add-real-server' || operation.kind === 'edit-real-server' ? { weight: operation.realServer.weight } : {}),
  };
  if (outcome === undefined || !outcome.ok) {
    stats.refused++;
    const label = `${operation.kind} ${fields.vs} ${fields.rs ?? ''}`;
    const level = context.refusedBefore.has(label) ? 'debug' : 'error';
    log[level]({ ...fields, event: `ipvs.${operation.kind}.refused`, err: outcome?.error }, 'the kernel refused an IPVS change; retrying on the next tick');
    return label;
  }
  stats.operations++;
  if (drift) {
    stats.repairs++;
    log[detailed ? 'warn' : 'debug']({ ...fields, event: 'ipvs.repair', operation: operation.kind }, 'the IPVS table drifted from the config; repaired');
  } else {
    log[detailed ? 'info' : 'debug']({ ...fields, event: `ipvs.${operation.kind}` }, 'IPVS table changed');
  }
  return undefined;
}

/** reportQuorum logs each service whose quorum in `next` differs from `before` (a service new to `before` is not a change). */
export function reportQuorum(log: Logger, before: ReadonlyMap<string, boolean>, next: ReadonlyMap<string, boolean>): void {
  for (const [vs, hasQuorum] of next) {
    const was = before.get(vs);
    if (was === undefined || was === hasQuorum) continue;
    const event = hasQuorum ? 'ipvs.quorum.gained' : 'ipvs.quorum.lost';
    log.warn({ vs, event }, hasQuorum ? 'quorum regained' : 'quorum lost; the sorry server, if any, takes new connections');
  }
}
