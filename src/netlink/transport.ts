/**
 * transport: the port through which protocol code (rtnetlink, generic netlink, IPVS) talks to
 * a netlink socket. The real implementation drives the native addon; tests use fakes.
 *
 * Protocol modules build NetlinkRequest values and decode NetlinkMessage replies; they never see
 * sequence numbers, sockets or threads.
 */
import type { DumpViewDecoder } from './dump-view.js';
import type { NetlinkMessage, NetlinkRequest } from './message.js';

/**
 * RequestOutcome is the result of one request inside a batch: the reply messages (dump parts or
 * a data reply, without the terminating ack/DONE) or the kernel's refusal.
 */
export type RequestOutcome =
  | { readonly ok: true; readonly replies: readonly NetlinkMessage[] }
  | { readonly ok: false; readonly errno: number; readonly extendedMessage?: string };

/**
 * DumpOutcome is what became of one dump of dumpMany: the value its decoder made of the
 * parts, or the kernel's refusal.
 */
export type DumpOutcome<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly errno: number; readonly extendedMessage?: string };

/**
 * DumpDecoder makes a value of one dump's parts (`index` is the dump's place in the request
 * list). It runs before dumpMany resolves and must not keep the parts or their payloads: the
 * transport reads later dumps into the same memory, so large read-backs touch no new pages.
 */
export type DumpDecoder<T> = (parts: readonly NetlinkMessage[], index: number) => T;

/** NetlinkTransport is one netlink socket, used by one owner that serialises its calls. */
export interface NetlinkTransport {
  /**
   * request sends one request and resolves with its replies: the parts of a dump (NLM_F_DUMP),
   * a data reply, or nothing for a bare ack. It rejects with a NetlinkError when the kernel
   * refuses, and with a timeout or parse error instead of hanging on a bad reply.
   * `operation` names the request in words for that error ("add virtual server tcp 192.0.2.1:80").
   */
  request(request: NetlinkRequest, operation: string): Promise<readonly NetlinkMessage[]>;

  /**
   * batch sends many requests in as few system calls as the socket allows and resolves with one
   * outcome per request, in order. One refused request does not stop the others: the kernel
   * handles each message on its own.
   */
  batch(requests: readonly NetlinkRequest[]): Promise<readonly RequestOutcome[]>;

  /**
   * dumpMany runs many dump requests (NLM_F_DUMP) in one call, one after another, and resolves
   * with one outcome per request, in order: what `decode` made of the dump's parts, or the
   * kernel's refusal. One refused dump does not stop the others. Like request(), it rejects
   * when the conversation itself fails, when a dump stays interrupted by table changes
   * (NLM_F_DUMP_INTR), or with what `decode` threw.
   */
  dumpMany<T>(requests: readonly NetlinkRequest[], decode: DumpDecoder<T>): Promise<readonly DumpOutcome<T>[]>;

  /**
   * dumpManyInPlace, where offered, is dumpMany with each dump's parts handed to `decode` in
   * place (a DumpView) instead of as message objects. Callers go through dumpManyInPlace() of
   * dump-view.ts, which falls back to dumpMany for transports without it.
   */
  dumpManyInPlace?<T>(requests: readonly NetlinkRequest[], decode: DumpViewDecoder<T>): Promise<readonly DumpOutcome<T>[]>;

  /** close releases the socket; later calls reject. */
  close(): void;
}
