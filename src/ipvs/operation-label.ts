/**
 * operation-label: names an operation for errors and logs, so the kernel adapter and the fake
 * word their IpvsErrors identically ("add real server tcp:192.0.2.1:80 -> 10.0.0.1:80").
 */
import type { IpvsAction, IpvsErrorContext } from './ipvs-error.js';
import { IpvsError } from './ipvs-error.js';
import type { IpvsOperation } from './ipvs-port.js';
import { type RealServerId, type VirtualServiceId, realServerKey, serviceKey } from './model.js';

/** OperationLabel is what an IpvsError needs to know about the request it refuses. */
export interface OperationLabel {
  readonly action: IpvsAction;
  readonly object: string;
  readonly context: IpvsErrorContext;
}

const ACTIONS: Readonly<Record<IpvsOperation['kind'], IpvsAction>> = {
  'add-service': 'add virtual service',
  'edit-service': 'edit virtual service',
  'delete-service': 'delete virtual service',
  'add-real-server': 'add real server',
  'edit-real-server': 'edit real server',
  'delete-real-server': 'delete real server',
};

/** realServerObject names a real server within its service. */
function realServerObject(service: VirtualServiceId, realServer: RealServerId): string {
  return `${serviceKey(service)} -> ${realServerKey(realServer)}`;
}

/** labelOperation names one table operation. */
export function labelOperation(operation: IpvsOperation): OperationLabel {
  const action = ACTIONS[operation.kind];
  switch (operation.kind) {
    case 'add-service':
    case 'edit-service': {
      const { scheduler, persistenceEngine } = operation.service;
      const context = persistenceEngine === undefined ? { scheduler } : { scheduler, persistenceEngine };
      return { action, object: serviceKey(operation.service), context };
    }
    case 'delete-service':
      return { action, object: serviceKey(operation.service), context: {} };
    default:
      return { action, object: realServerObject(operation.service, operation.realServer), context: {} };
  }
}

/** refusal builds the IpvsError for a labelled request the kernel refused with `errno`. */
export function refusal(label: OperationLabel, errno: number, extendedMessage?: string): IpvsError {
  return new IpvsError(label.action, label.object, errno, extendedMessage, label.context);
}
