/**
 * addresses: IP parsing helpers for the config. Addresses are normalised to one canonical text
 * form so that equality in the config (duplicates, VIP membership) matches equality in the kernel.
 */
import { isIP } from 'node:net';
import { canonicalAddress } from '../ipvs/inet-address.js';

/** AddressFamily uses ipvsadm's words for the two families (`-6` selects inet6). */
export type AddressFamily = 'inet' | 'inet6';

/** ParsedAddress is a canonical IP address with its family. */
export interface ParsedAddress {
  readonly address: string;
  readonly family: AddressFamily;
}

/** ParsedPrefix is an address with a prefix length, as in `ip addr add 192.0.2.1/24`. */
export interface ParsedPrefix extends ParsedAddress {
  readonly prefixLength: number;
}

/** maxPrefixLength is 32 for IPv4 and 128 for IPv6. */
export function maxPrefixLength(family: AddressFamily): number {
  return family === 'inet' ? 32 : 128;
}

/**
 * parseAddress accepts a plain IPv4 or IPv6 address (no brackets, no zone) and returns it in
 * canonical form (RFC 5952 §4 for IPv6). It uses the same canonicaliser as the IPVS codec, so a
 * configured address equals the one a kernel dump reports.
 */
export function parseAddress(text: string): ParsedAddress | undefined {
  const address = canonicalAddress(text);
  return address === undefined ? undefined : { address, family: familyOf(address) };
}

/** PrefixResult is a parsed prefix, or why the text is not one. */
export type PrefixResult =
  | { readonly ok: true; readonly value: ParsedPrefix }
  | { readonly ok: false; readonly reason: 'address' | 'prefix' };

/** parsePrefix accepts `ADDRESS` or `ADDRESS/LEN`; a bare address is a host route (/32 or /128). */
export function parsePrefix(text: string): PrefixResult {
  const slash = text.indexOf('/');
  const parsed = parseAddress(slash === -1 ? text : text.slice(0, slash));
  if (parsed === undefined) return { ok: false, reason: 'address' };
  const max = maxPrefixLength(parsed.family);
  if (slash === -1) return { ok: true, value: { ...parsed, prefixLength: max } };
  const lengthText = text.slice(slash + 1);
  const length = Number(lengthText);
  if (!/^\d{1,3}$/.test(lengthText) || length > max) return { ok: false, reason: 'prefix' };
  return { ok: true, value: { ...parsed, prefixLength: length } };
}

/** isMulticast tells whether an address is in 224.0.0.0/4 (RFC 5771) or ff00::/8 (RFC 4291 §2.7). */
export function isMulticast(parsed: ParsedAddress): boolean {
  if (parsed.family === 'inet6') return parsed.address.startsWith('ff');
  const firstOctet = Number(parsed.address.split('.')[0]);
  return firstOctet >= 224 && firstOctet <= 239;
}

/**
 * netmaskToPrefixLength converts a dotted IPv4 netmask (ipvsadm -M 255.255.255.0) to its prefix
 * length, or undefined when the mask is not contiguous ones then zeros.
 */
export function netmaskToPrefixLength(text: string): number | undefined {
  if (isIP(text) !== 4) return undefined;
  const value = text.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
  for (let length = 0; length <= 32; length++) {
    const mask = length === 0 ? 0 : (0xffffffff - (2 ** (32 - length) - 1));
    if (mask === value) return length;
  }
  return undefined;
}

/** HostPort is a listen address: host and TCP port. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** parseHostPort accepts `192.0.2.1:9640` or `[2001:db8::1]:9640`. */
export function parseHostPort(text: string): HostPort | undefined {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  if (match === null) return undefined;
  const hostText = match[1] ?? match[2] ?? '';
  const parsed = parseAddress(hostText);
  const port = Number(match[3]);
  // A bracketed host must be IPv6, an unbracketed one IPv4, as in URLs (RFC 3986 §3.2.2).
  if (parsed === undefined || (match[1] !== undefined) !== (parsed.family === 'inet6')) return undefined;
  if (port < 1 || port > 65535) return undefined;
  return { host: parsed.address, port };
}

/** familyOf tells the family of an address that parseAddress already accepted. */
export function familyOf(address: string): AddressFamily {
  return address.includes(':') ? 'inet6' : 'inet';
}
