/**
 * host-port: how an address is written next to a port. An IPv6 address goes in brackets
 * (RFC 3986 §3.2.2, RFC 5952 §6) so its colons cannot be read as the port's.
 */

/**
 * bracketHost is `address` as the host part of a host:port: an IPv6 address (the only kind with
 * a colon) in brackets, anything else as it is.
 */
export function bracketHost(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}

/** formatHostPort writes an address and a port: 192.0.2.1:80, [2001:db8::1]:80. */
export function formatHostPort(address: string, port: number): string {
  return `${bracketHost(address)}:${port}`;
}
