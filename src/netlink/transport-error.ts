/**
 * transport-error: how a NativeNetlinkTransport call fails other than by a kernel refusal
 * (NetlinkError): the conversation itself, with a code and a message that says what to do.
 */
import { isErrnoException } from '../kernel/native.js';

/** NetlinkTransportErrorCode names each way a transport call can fail other than a refusal. */
export type NetlinkTransportErrorCode =
  | 'TANDEM_NETLINK_TIMEOUT'
  | 'TANDEM_NETLINK_OVERRUN'
  | 'TANDEM_NETLINK_CLOSED'
  | 'TANDEM_NETLINK_DUMP_INTERRUPTED'
  | 'TANDEM_NETLINK_DUMP_IN_BATCH'
  | 'TANDEM_NETLINK_NOT_A_DUMP'
  | 'TANDEM_NETLINK_SOCKET';

/**
 * NetlinkTransportError is a failure of the conversation itself: no reply in time, replies
 * lost to a full receive buffer, a closed socket, or a failed system call (`cause` holds the
 * addon's errno error). After OVERRUN or TIMEOUT the caller should re-read kernel state.
 */
export class NetlinkTransportError extends Error {
  readonly code: NetlinkTransportErrorCode;

  constructor(code: NetlinkTransportErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'NetlinkTransportError';
    this.code = code;
  }
}

/** transportError turns the addon's errno error into a NetlinkTransportError that says what to do. */
export function transportError(error: unknown, operation: string, timeoutMs: number): Error {
  if (!isErrnoException(error)) return error instanceof Error ? error : new Error(String(error));
  switch (error.code) {
    case 'ETIMEDOUT':
      return new NetlinkTransportError(
        'TANDEM_NETLINK_TIMEOUT',
        `${operation}: no reply from the kernel within ${timeoutMs} ms; the outcome is unknown, re-read the kernel state`,
        { cause: error },
      );
    case 'ENOBUFS':
      return new NetlinkTransportError(
        'TANDEM_NETLINK_OVERRUN',
        `${operation}: netlink replies were lost (receive buffer full); re-read the kernel state`,
        { cause: error },
      );
    case 'EBADF':
      return new NetlinkTransportError('TANDEM_NETLINK_CLOSED', `${operation}: the netlink socket is closed`, { cause: error });
    default:
      return new NetlinkTransportError('TANDEM_NETLINK_SOCKET', `${operation}: ${error.message}`, { cause: error });
  }
}
