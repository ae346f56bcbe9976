/**
 * schema-health: health checks, one variant per `kind`. A check written on a virtual server is the
 * default for its real servers; a real server may override it (or opt out with `healthCheck: null`).
 */
import { z } from 'zod';
import { absolutePath, intIn, ipAddress, keyword, port, regexSource, report } from './schema-primitives.js';

/** orNull makes a key optional, with null as the explicit "not set" in the typed config. */
export function orNull<T extends z.ZodType>(schema: T) {
  return schema.nullable().default(null);
}

/** commonShape holds the timing keys every kind shares. Defaults follow keepalived's spirit: 2 up, 3 down. */
const commonShape = {
  intervalMs: intIn(100, 3_600_000, 'between 0.1 s and one hour').default(2000),
  timeoutMs: intIn(10, 3_600_000, 'between 10 ms and one hour').default(1000),
  rise: intIn(1, 100, 'consecutive successes before up').default(2),
  fall: intIn(1, 100, 'consecutive failures before down').default(3),
  initialState: keyword(['up', 'down'], 'initial state').default('up'),
  // Spreads probes of many real servers over time so they do not fire in lockstep.
  jitterPercent: intIn(0, 50, 'percent of intervalMs').default(10),
  sourceAddress: orNull(ipAddress),
  /** null means the real server's port. */
  port: orNull(port),
};

/** StatusRange is an inclusive range of HTTP status codes. */
export interface StatusRange {
  readonly min: number;
  readonly max: number;
}

/** statusRange accepts 204 or '200-299' (RFC 9110 §15: status codes are three digits, 100..599). */
const statusRange = z.union([z.int(), z.string()]).transform((value, ctx): StatusRange => {
  const match = /^(\d{3})(?:-(\d{3}))?$/.exec(String(value));
  const min = Number(match?.[1]);
  const max = Number(match?.[2] ?? match?.[1]);
  if (match !== null && min >= 100 && max <= 599 && min <= max) return { min, max };
  report(ctx, 'invalid-status', `'${String(value)}' is not an HTTP status code or range`, "Write a code such as 200 or a range such as '200-399' (100..599, low first).");
  return z.NEVER;
});

const httpShape = {
  ...commonShape,
  method: keyword(['GET', 'HEAD', 'OPTIONS'], 'HTTP method').default('GET'),
  path: z.string().regex(/^\//, { error: 'must start with "/"' }).default('/'),
  /** null sends the real server's address as Host. */
  host: orNull(z.string().min(1)),
  expectStatus: z.array(statusRange).min(1).default([{ min: 200, max: 299 }]),
  bodyRegex: orNull(regexSource),
  bodySha256: orNull(
    z.string().superRefine((text, ctx) => {
      if (!/^[0-9a-fA-F]{64}$/.test(text)) {
        report(ctx, 'invalid-sha256', 'bodySha256 is not 64 hexadecimal digits', 'Paste the output of `curl -s URL | sha256sum` without the trailing " -".');
      }
    }),
  ),
};

/** hexPayload checks `hex:` payloads, which let a UDP probe send binary data. */
const udpPayload = z.string().superRefine((text, ctx) => {
  if (text.startsWith('hex:') && !/^([0-9a-fA-F]{2})*$/.test(text.slice(4))) {
    report(ctx, 'invalid-hex', 'the hex: payload is not an even number of hexadecimal digits', "Write bytes as pairs of hex digits, e.g. 'hex:0a0b0c'.");
  }
});

/** DNS_QUERY_TYPES are the record types a probe may ask for (RFC 1035 §3.2.2, RFC 3596). */
const DNS_QUERY_TYPES = ['A', 'AAAA', 'CNAME', 'MX', 'NS', 'PTR', 'SOA', 'SRV', 'TXT'] as const;
/** DNS_RCODES are the response codes a probe may expect (RFC 1035 §4.1.1). */
const DNS_RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'] as const;

const variants = [
  z.strictObject({ kind: z.literal('tcp'), ...commonShape }),
  z.strictObject({ kind: z.literal('http'), ...httpShape }),
  z.strictObject({
    kind: z.literal('https'),
    ...httpShape,
    tlsVerify: z.boolean().default(true),
    /** null sends `host`, or no SNI when the target is an address. */
    sni: orNull(z.string().min(1)),
  }),
  z.strictObject({
    kind: z.literal('udp'),
    ...commonShape,
    payload: udpPayload.default(''),
    /** null: success is the absence of an ICMP port-unreachable within timeoutMs. */
    expect: orNull(regexSource),
  }),
  z.strictObject({
    kind: z.literal('dns'),
    ...commonShape,
    queryName: z.string().min(1),
    queryType: keyword(DNS_QUERY_TYPES, 'DNS query type').default('A'),
    expectRcode: keyword(DNS_RCODES, 'DNS response code').default('NOERROR'),
    /** null: any answer with the expected rcode passes. */
    expectAnswer: orNull(z.string().min(1)),
  }),
  z.strictObject({
    kind: z.literal('exec'),
    ...commonShape,
    command: absolutePath,
    args: z.array(z.string()).default([]),
  }),
] as const;

/** healthCheckSchema is one health check; timeoutMs is also the kill deadline of an exec check. */
export const healthCheckSchema = z.discriminatedUnion('kind', [...variants]).superRefine((check, ctx) => {
  if (check.timeoutMs >= check.intervalMs) {
    report(ctx, 'timeout-not-below-interval', `timeoutMs ${check.timeoutMs} is not below intervalMs ${check.intervalMs}`, 'A probe must finish before the next one starts: lower timeoutMs or raise intervalMs.', ['timeoutMs']);
  }
});

/** HealthCheckInput is a health check as written, before its port is resolved. */
export type HealthCheckInput = z.output<typeof healthCheckSchema>;

/** HEALTH_CHECK_KINDS_WITHOUT_PORT are kinds that do not need a port to probe. */
export const HEALTH_CHECK_KINDS_WITHOUT_PORT: readonly HealthCheckInput['kind'][] = ['exec'];

/** maxConcurrentSchema is 'auto' or a whole number of probes in flight. */
const maxConcurrentSchema = z.union([z.literal('auto'), z.int()]).superRefine((value, ctx) => {
  if (value !== 'auto' && (value < 1 || value > 100_000)) {
    report(ctx, 'out-of-range', `${value} is out of range 1..100000`, "Write 'auto', or a whole number of probes in flight from 1 to 100000.");
  }
});

/** healthSchema holds settings for all checks together. */
export const healthSchema = z
  .strictObject({
    /**
     * Caps probes in flight. 'auto' (the default) sizes the cap from the probe set so that no run
     * waits for a slot even when every probe times out (autoMaxConcurrent in src/health/max-concurrent.ts); a
     * number caps sockets and processes at the cost of late runs when it is too small.
     */
    maxConcurrent: maxConcurrentSchema.default('auto'),
  })
  .prefault({});
