/**
 * http-expectations: the pure half of the HTTP check. Which Host header and SNI name to send,
 * whether a status is expected, and what a body must look like.
 */
import { isIP } from 'node:net';
import type { StatusRange } from '../config/types.js';
import { bracketHost, formatHostPort } from '../net/host-port.js';
import type { CheckOf } from './checker.js';

/** HttpCheck is an http or https check. */
export type HttpCheck = CheckOf<'http'> | CheckOf<'https'>;

/** BODY_LIMIT_BYTES caps what a check reads of a body, so a huge page cannot exhaust memory. */
export const BODY_LIMIT_BYTES = 1024 * 1024;

/** DEFAULT_PORTS are the ports a Host header leaves out (RFC 9110 §7.2, §4.2.1, §4.2.2). */
const DEFAULT_PORTS = { http: 80, https: 443 } as const;

/**
 * hostHeader is the Host field (RFC 9110 §7.2): the configured `host` as written, or else the
 * real server's address (an IPv6 literal in brackets, RFC 3986 §3.2.2) with the port unless it
 * is the scheme's default.
 */
export function hostHeader(check: HttpCheck, address: string): string {
  if (check.host !== null) return check.host;
  return check.port === DEFAULT_PORTS[check.kind] ? bracketHost(address) : formatHostPort(address, check.port);
}

/**
 * serverName is the TLS SNI name, or '' for none: `sni`, else `host` without a port. RFC 6066 §3
 * forbids an IP literal in SNI, so an address-only target sends none.
 */
export function serverName(check: CheckOf<'https'>): string {
  if (check.sni !== null) return check.sni;
  const host = check.host;
  // An address literal: bare, or an IPv6 one in brackets with or without a port.
  if (host === null || isIP(host) !== 0 || host.startsWith('[')) return '';
  const name = host.replace(/:\d+$/, '');
  return isIP(name) === 0 ? name : '';
}

/** statusExpected says whether an HTTP status falls in any of the expected inclusive ranges. */
export function statusExpected(status: number, expected: readonly StatusRange[]): boolean {
  return expected.some((range) => status >= range.min && status <= range.max);
}

/** describeStatuses renders expected ranges as written in the config: "200-299, 301". */
export function describeStatuses(expected: readonly StatusRange[]): string {
  return expected.map((range) => (range.min === range.max ? String(range.min) : `${range.min}-${range.max}`)).join(', ');
}

/** readsBody says whether the check must read the body: a regex or digest is set and the method returns one. */
export function readsBody(check: HttpCheck): boolean {
  return check.method !== 'HEAD' && (check.bodyRegex !== null || check.bodySha256 !== null);
}
