/**
 * fake-addresses: an in-memory AddressPort with the kernel's rules, checked by the same
 * contract suite as the real one:
 * - add: ENODEV for an unknown interface; 'already-present' for the same IPv4 address and
 *   prefix length, or the same IPv6 address with any prefix length, on that interface;
 * - remove: needs the exact address and prefix length, else 'absent';
 * - IPv4 addresses get IFA_F_PERMANENT, IPv6 ones IFA_F_PERMANENT | IFA_F_NODAD;
 * - a link going down loses its IPv6 addresses, and a deleted link all of them, with
 *   'removed' notifications, as Linux does without keep_addr_on_down;
 * - notifications arrive asynchronously, after the call that caused them.
 */
import type { AddOutcome, AddressEvent, AddressPort, AddressSpec, InterfaceAddress, RemoveOutcome, ResyncEvent, Unsubscribe } from '../../src/kernel/ports.js';
import { constants } from 'node:os';
import { formatInetBytes, requireInetBytes } from '../../src/frames/inet-bytes.js';
import { addressRequest } from '../../src/kernel/rtnetlink/address-codec.js';
import { addressRefusal } from '../../src/kernel/rtnetlink/address-refusal.js';
import { IFA_F_NODAD, IFA_F_PERMANENT } from '../../src/kernel/rtnetlink/constants.js';
import type { FakeLinks } from './fake-links.js';

type AddressHandler = (event: AddressEvent | ResyncEvent) => void;

/** FakeAddresses keeps addresses on the links of a FakeLinks. */
export class FakeAddresses implements AddressPort {
  private readonly links: FakeLinks;
  private addresses: InterfaceAddress[] = [];
  private readonly handlers = new Set<AddressHandler>();
  private readonly refusals: { operation: 'add' | 'remove'; errno: number }[] = [];

  constructor(links: FakeLinks) {
    this.links = links;
    links.subscribe((event) => {
      if (event.kind !== 'link') return;
      if (event.deleted) this.drop((a) => a.ifindex === event.link.index);
      else if (!event.link.up) this.drop((a) => a.ifindex === event.link.index && a.family === 6);
    });
  }

  /** refuseNext makes the next `operation` fail with errno `code` (e.g. 'EPERM'), once. */
  refuseNext(operation: 'add' | 'remove', code: keyof typeof constants.errno): void {
    this.refusals.push({ operation, errno: constants.errno[code] });
  }

  list(ifindex?: number): Promise<InterfaceAddress[]> {
    // The kernel dumps AF_INET before AF_INET6, each in interface order.
    const sorted = [...this.addresses].sort((a, b) => a.family - b.family || a.ifindex - b.ifindex);
    return Promise.resolve(sorted.filter((a) => ifindex === undefined || a.ifindex === ifindex));
  }

  add(spec: AddressSpec): Promise<AddOutcome> {
    return this.attempt('add', spec, (address) => {
      const present = this.addresses.some(
        (a) => a.ifindex === address.ifindex && a.address === address.address && (a.family === 6 || a.prefixLength === address.prefixLength),
      );
      if (present) return 'already-present';
      this.addresses.push(address);
      this.emit({ kind: 'address', change: 'added', address });
      return 'added';
    });
  }

  remove(spec: AddressSpec): Promise<RemoveOutcome> {
    return this.attempt('remove', spec, (address) => {
      const match = (a: InterfaceAddress): boolean =>
        a.ifindex === address.ifindex && a.address === address.address && a.prefixLength === address.prefixLength;
      return this.drop(match) ? 'removed' : 'absent';
    });
  }

  subscribe(handler: AddressHandler): Unsubscribe {
    const wrapped: AddressHandler = (event) => {
      handler(event);
    };
    this.handlers.add(wrapped);
    return () => {
      this.handlers.delete(wrapped);
    };
  }

  /** attempt validates as the real port does, then applies the kernel's ENODEV and injected refusals. */
  private attempt<T>(operation: 'add' | 'remove', spec: AddressSpec, apply: (address: InterfaceAddress) => T): Promise<T> {
    try {
      const request = addressRequest(operation, spec);
      const refusal = this.refusals.findIndex((r) => r.operation === operation);
      const refused = refusal >= 0 ? this.refusals.splice(refusal, 1)[0] : undefined;
      if (refused !== undefined) throw addressRefusal(operation, spec, request.type, refused.errno);
      if (!this.links.has(spec.ifindex)) throw addressRefusal(operation, spec, request.type, constants.errno.ENODEV);
      const { family, bytes } = requireInetBytes(spec.address);
      const flags = family === 6 ? IFA_F_PERMANENT | IFA_F_NODAD : IFA_F_PERMANENT;
      return Promise.resolve(apply({ ifindex: spec.ifindex, family, address: formatInetBytes(bytes), prefixLength: spec.prefixLength, flags }));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** drop removes matching addresses with notifications and says whether any matched. */
  private drop(match: (address: InterfaceAddress) => boolean): boolean {
    const gone = this.addresses.filter(match);
    this.addresses = this.addresses.filter((a) => !match(a));
    for (const address of gone) this.emit({ kind: 'address', change: 'removed', address });
    return gone.length > 0;
  }

  private emit(event: AddressEvent | ResyncEvent): void {
    const handlers = [...this.handlers];
    queueMicrotask(() => {
      for (const handler of handlers) if (this.handlers.has(handler)) handler(event);
    });
  }
}
