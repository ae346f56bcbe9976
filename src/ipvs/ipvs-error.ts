/**
 * ipvs-error: IPVS failures as typed errors. A kernel refusal names the object, the errno and
 * what to do (IpvsError); input that cannot be encoded is refused before anything is sent
 * (IpvsInputError). The fake kernel raises the same IpvsError, so callers branch the same way.
 */
import { constants } from 'node:os';
import { NetlinkError } from '../netlink/netlink-error.js';

/** IpvsAction is what was asked of the kernel, in ipvsadm's terms. */
export type IpvsAction =
  | 'add virtual service'
  | 'edit virtual service'
  | 'delete virtual service'
  | 'get virtual service'
  | 'list virtual services'
  | 'add real server'
  | 'edit real server'
  | 'delete real server'
  | 'list real servers'
  | 'zero counters'
  | 'flush'
  | 'set timeouts'
  | 'get timeouts'
  | 'get info'
  | 'start sync daemon'
  | 'stop sync daemon'
  | 'list sync daemons';

/** IpvsErrorContext carries the names a hint needs (scheduler module, interface). */
export interface IpvsErrorContext {
  readonly scheduler?: string;
  readonly persistenceEngine?: string;
  readonly mcastInterface?: string;
  readonly syncState?: string;
}

/**
 * IpvsError is a request the kernel refused. `code` is the errno name (EEXIST, ESRCH, ENOENT…),
 * `action` and `object` say what was asked about what (object: "tcp:192.0.2.1:80" or
 * "tcp:192.0.2.1:80 -> 10.0.0.1:80"), `hint` says what to do.
 */
export class IpvsError extends NetlinkError {
  readonly action: IpvsAction;
  readonly object: string;
  readonly hint: string | undefined;
  /** context holds the names the hint was built from, so the error can be rebuilt elsewhere. */
  readonly context: IpvsErrorContext;

  constructor(action: IpvsAction, object: string, errno: number, extendedMessage?: string, context: IpvsErrorContext = {}) {
    const hint = hintFor(action, errno, context);
    const reply = { errno, seq: 0, requestType: 0, ...(extendedMessage === undefined ? {} : { extendedMessage }) };
    super(object === '' ? action : `${action} ${object}`, reply, hint);
    this.name = 'IpvsError';
    this.action = action;
    this.object = object;
    this.hint = hint;
    this.context = context;
  }
}

/** IpvsInputError is input that cannot be put on the wire (a bad address, port or name). */
export class IpvsInputError extends Error {
  readonly code = 'TANDEM_IPVS_INVALID_INPUT';

  constructor(message: string) {
    super(message);
    this.name = 'IpvsInputError';
  }
}

const { EPERM, ENOENT, ESRCH, EEXIST, ENODEV, EINVAL, ERANGE } = constants.errno;

function hintFor(action: IpvsAction, errno: number, context: IpvsErrorContext): string | undefined {
  const isService = action.endsWith('virtual service') || action === 'zero counters';
  const isRealServer = action.endsWith('real server') || action === 'list real servers';
  switch (errno) {
    case EPERM:
      return 'changing IPVS needs CAP_NET_ADMIN: run as root';
    case ENOENT:
      if (action === 'add virtual service' || action === 'edit virtual service') return moduleHint(context);
      if (isRealServer) return 'no such real server in this virtual service: list them with "ipvsadm -Ln"';
      return undefined;
    case ESRCH:
      if (action === 'stop sync daemon') return `no ${daemonName(context)} is running; nothing to stop`;
      if (isService || isRealServer) return 'no such virtual service: list them with "ipvsadm -Ln"';
      return undefined;
    case EEXIST:
      if (action === 'add virtual service') return 'the virtual service already exists: edit it instead (ipvsadm -E)';
      if (action === 'add real server') return 'the real server already exists in this service: edit it instead (ipvsadm -e)';
      if (action === 'start sync daemon') return `a ${daemonName(context)} is already running: stop it first`;
      return undefined;
    case ERANGE:
      if (isRealServer) return 'the lower threshold must not exceed the upper one, and the weight must be 0 to 2147483647';
      return undefined;
    case EINVAL:
      if (isRealServer) return 'a real server of the other address family needs tunnel forwarding and no running sync daemon';
      if (action === 'start sync daemon') return 'the kernel refuses a sync daemon while real servers of mixed address families exist, or a setting is out of range';
      return undefined;
    case ENODEV:
      if (action === 'start sync daemon') return `no interface named "${context.mcastInterface ?? ''}": check --mcast-interface`;
      return undefined;
    default:
      return undefined;
  }
}

function daemonName(context: IpvsErrorContext): string {
  return context.syncState === undefined ? 'sync daemon' : `${context.syncState} sync daemon`;
}

function moduleHint(context: IpvsErrorContext): string {
  const scheduler = context.scheduler ?? 'XX';
  const engine = context.persistenceEngine;
  const engineText = engine === undefined ? '' : ` or persistence engine "${engine}" (modprobe ip_vs_pe_${engine})`;
  return `scheduler "${scheduler}"${engineText} is not available: load it with "modprobe ip_vs_${scheduler}"`;
}
