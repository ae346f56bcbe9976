/**
 * inet-bytes: an IP address as the bytes that go on the wire or into a netlink attribute,
 * 4 for IPv4 and 16 for IPv6. Parsing and RFC 5952 formatting are the shared ones in
 * src/ipvs/inet-address.ts.
 */
import { type AddressFamily, NF_INET_ADDR_LEN, formatInetAddress, writeInetAddress } from '../ipvs/inet-address.js';

/** InetBytes is a parsed address: its family and its network-order bytes. */
export interface InetBytes {
  readonly family: AddressFamily;
  readonly bytes: Buffer;
}

/** inetBytes parses an IPv4 or IPv6 address, or returns undefined for anything else. */
export function inetBytes(text: string): InetBytes | undefined {
  const buf = Buffer.alloc(NF_INET_ADDR_LEN);
  const family = writeInetAddress(buf, 0, text);
  if (family === undefined) return undefined;
  return { family, bytes: family === 4 ? buf.subarray(0, 4) : buf };
}

/**
 * requireInetBytes is inetBytes for callers whose input was already validated (config, kernel
 * replies): it throws a TypeError naming the text instead of returning undefined.
 */
export function requireInetBytes(text: string, family?: AddressFamily): InetBytes {
  const parsed = inetBytes(text);
  if (parsed === undefined || (family !== undefined && parsed.family !== family)) {
    throw new TypeError(`"${text}" is not an ${family === undefined ? 'IP' : `IPv${family}`} address`);
  }
  return parsed;
}

/** formatInetBytes turns 4 or 16 bytes back into text (RFC 5952 form for IPv6). */
export function formatInetBytes(bytes: Uint8Array): string {
  const buf = Buffer.alloc(NF_INET_ADDR_LEN);
  buf.set(bytes);
  return formatInetAddress(buf, bytes.length === 4 ? 4 : 6);
}
