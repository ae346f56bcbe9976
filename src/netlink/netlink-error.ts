/**
 * netlink-error: a request the kernel refused, as a typed error with the errno's name.
 */
import { constants } from 'node:os';
import type { AckOrError } from './message.js';

const errnoNames = new Map<number, string>(
  Object.entries(constants.errno).map(([name, value]) => [value, name]),
);

/** errnoName turns a positive errno number into its symbolic name ("EEXIST"), or "E<n>". */
export function errnoName(errno: number): string {
  return errnoNames.get(errno) ?? `E${errno}`;
}

/**
 * NetlinkError is a negative NLMSG_ERROR for one request. `code` is the errno name, so callers
 * branch on `err.code === 'EEXIST'`; `operation` says what was asked in words; `hint` (set by
 * the protocol layer that knows the object) says what to do about it.
 */
export class NetlinkError extends Error {
  readonly code: string;
  readonly errno: number;
  readonly operation: string;
  readonly extendedMessage: string | undefined;

  constructor(operation: string, reply: AckOrError, hint?: string) {
    const code = errnoName(reply.errno);
    const kernelText = reply.extendedMessage === undefined ? '' : ` (kernel: ${reply.extendedMessage})`;
    super(`${operation}: ${code}${kernelText}${hint === undefined ? '' : `. ${hint}`}`);
    this.name = 'NetlinkError';
    this.code = code;
    this.errno = reply.errno;
    this.operation = operation;
    this.extendedMessage = reply.extendedMessage;
  }
}
