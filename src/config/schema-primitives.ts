/**
 * schema-primitives: the leaf schemas the config is built from. Each reports its own problems as
 * custom zod issues that carry a stable IssueCode and a hint, so the message an operator reads is
 * ours, not zod's.
 */
import { z } from 'zod';
import { didYouMean } from './did-you-mean.js';
import { isMulticast, parseAddress, parseHostPort, parsePrefix, type ParsedPrefix } from './addresses.js';
import type { IssueCode } from './issues.js';

/** IssueParams is the payload our custom zod issues carry to the issue mapper. */
export interface IssueParams {
  readonly code: IssueCode;
  readonly hint: string;
}

/** report adds one custom issue; `path` is relative to the value being refined. */
export function report(
  ctx: z.core.$RefinementCtx,
  code: IssueCode,
  message: string,
  hint: string,
  path: readonly PropertyKey[] = [],
): void {
  const params: IssueParams = { code, hint };
  ctx.addIssue({ code: 'custom', message, params, path: [...path], input: undefined });
}

/**
 * whenValid runs a refinement only when everything beneath it parsed cleanly. zod runs
 * refinements after non-fatal child issues, but skips the transforms below them, so the data
 * would not be the refined type.
 */
export const whenValid = { when: (payload: z.core.ParsePayload): boolean => payload.issues.length === 0 };

/** intIn is an integer in [min, max]; `source` names the rule behind the bounds for the hint. */
export function intIn(min: number, max: number, source: string) {
  return z.int().superRefine((value, ctx) => {
    if (value < min || value > max) {
      report(ctx, 'out-of-range', `${value} is out of range ${min}..${max}`, `Use a whole number from ${min} to ${max} (${source}).`);
    }
  });
}

/**
 * INT32_MAX bounds a value the kernel stores as a signed int: real server thresholds and
 * weights, and sync_threshold's two values (an int vector sysctl).
 */
export const INT32_MAX = 2 ** 31 - 1;

/** port is a TCP/UDP port, 1..65535. */
export const port = intIn(1, 65535, 'a UDP/TCP port');

/** keyword is one string of a fixed set; `code` lets a set such as schedulers have its own code. */
export function keyword<const T extends string>(values: readonly T[], what: string, code: IssueCode = 'invalid-value') {
  const isMember = (text: string): text is T => (values as readonly string[]).includes(text);
  return z.string().transform((text, ctx): T => {
    if (isMember(text)) return text;
    const suggestion = didYouMean(text, values);
    report(ctx, code, `'${text}' is not a known ${what}`, `${suggestion} Use one of: ${values.join(', ')}.`.trim());
    return z.NEVER;
  });
}

/** ipAddress is a plain IPv4 or IPv6 address, returned in canonical form. */
export const ipAddress = z.string().transform((text, ctx): string => {
  const parsed = parseAddress(text);
  if (parsed !== undefined) return parsed.address;
  report(ctx, 'invalid-address', `'${text}' is not an IP address`, 'Write an IPv4 address such as 192.0.2.10 or an IPv6 address such as 2001:db8::10, without a port or prefix.');
  return z.NEVER;
});

/** ipPrefix is `ADDRESS[/LEN]`; a bare address means /32 or /128. */
export const ipPrefix = z.string().transform((text, ctx): ParsedPrefix => {
  const result = parsePrefix(text);
  if (result.ok) return result.value;
  if (result.reason === 'address') {
    report(ctx, 'invalid-address', `'${text}' is not an IP address with an optional /prefix`, 'Write 198.51.100.10/24, 2001:db8::10/64, or a bare address for a host route.');
  } else {
    report(ctx, 'invalid-prefix', `the prefix length in '${text}' is out of range`, 'Use /0../32 for IPv4 and /0../128 for IPv6.');
  }
  return z.NEVER;
});

/** multicastAddress is an IPv4 (224.0.0.0/4) or IPv6 (ff00::/8) multicast group. */
export const multicastAddress = ipAddress.superRefine((address, ctx) => {
  const parsed = parseAddress(address);
  if (parsed !== undefined && !isMulticast(parsed)) {
    report(ctx, 'not-multicast', `${address} is not a multicast address`, 'Use a group in 224.0.0.0/4 (IPv4) or ff00::/8 (IPv6).');
  }
});

/**
 * interfaceName is a Linux interface name. The kernel's dev_valid_name() allows at most 15 bytes
 * (IFNAMSIZ 16 with the NUL), not "." or "..", and no '/', ':' or whitespace.
 */
export const interfaceName = z.string().superRefine((name, ctx) => {
  if (name.length === 0 || name.length > 15 || name === '.' || name === '..' || /[/:\s]/.test(name)) {
    report(ctx, 'invalid-interface', `'${name}' is not a valid interface name`, 'Use a name as `ip link` shows it, 1 to 15 characters, without "/", ":" or spaces.');
  }
});

/** absolutePath is a file system path that starts with '/', because a daemon's cwd is not the operator's. */
export const absolutePath = z.string().superRefine((path, ctx) => {
  if (!path.startsWith('/') || path.includes('\0')) {
    report(ctx, 'not-absolute-path', `'${path}' is not an absolute path`, 'Write the full path, starting with "/".');
  }
});

/** regexSource is a JavaScript regular expression that must compile. */
export const regexSource = z.string().superRefine((source, ctx) => {
  try {
    new RegExp(source);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    report(ctx, 'invalid-regex', `the regular expression does not compile: ${reason}`, 'Fix the pattern; remember that YAML double quotes need "\\\\" for one backslash, single quotes do not.');
  }
});

/** listenAddress is `HOST:PORT` or `[V6]:PORT` for a TCP listener. */
export const listenAddress = z.string().superRefine((text, ctx) => {
  if (parseHostPort(text) === undefined) {
    report(ctx, 'invalid-listen-address', `'${text}' is not HOST:PORT`, 'Write 127.0.0.1:9640 or [::1]:9640, or null to turn it off.');
  }
});
