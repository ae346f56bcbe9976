/**
 * address-refusal: the NetlinkError an address operation raises when the kernel refuses it,
 * with a hint that says what to do. The fake kernel raises the same errors.
 */
import { NetlinkError } from '../../netlink/netlink-error.js';
import type { AddressSpec } from '../ports.js';

/** describeAddressOperation names an operation in the words of `ip addr add|del`. */
export function describeAddressOperation(operation: 'add' | 'remove', spec: AddressSpec): string {
  return `${operation} address ${spec.address}/${spec.prefixLength} ${operation === 'add' ? 'to' : 'from'} interface index ${spec.ifindex}`;
}

const HINTS: Readonly<Record<string, string>> = {
  ENODEV: 'That interface no longer exists: re-read the links and check the interface named in the config',
  EPERM: 'Changing addresses needs CAP_NET_ADMIN: run tandem as root or grant the capability in its systemd unit',
  EACCES: 'IPv6 may be disabled on this interface: check net.ipv6.conf.<interface>.disable_ipv6',
  EINVAL: 'The kernel refused the address as given: check the VIP and its prefix length in the config',
};

/** addressRefusal builds the error for errno `errno` (positive) refusing `operation`. */
export function addressRefusal(operation: 'add' | 'remove', spec: AddressSpec, requestType: number, errno: number, extendedMessage?: string): NetlinkError {
  const reply = { errno, seq: 0, requestType, ...(extendedMessage === undefined ? {} : { extendedMessage }) };
  const error = new NetlinkError(describeAddressOperation(operation, spec), reply);
  const hint = HINTS[error.code];
  return hint === undefined ? error : new NetlinkError(describeAddressOperation(operation, spec), reply, hint);
}
