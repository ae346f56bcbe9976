/**
 * dns-verdict: the pure half of the dns check. Does a response answer our query, and does it
 * carry the expected rcode and answer?
 */
import { canonicalAddress } from '../ipvs/inet-address.js';
import { PASSED, failed, type CheckOutcome } from './check-result.js';
import type { CheckOf } from './checker.js';
import { rcodeName, type DnsMessage } from './dns-message.js';
import { sameName } from './dns-names.js';
import { DNS_TYPES, presentRdata, type RecordData } from './dns-rdata.js';

/** DnsCheck is a resolved dns check. */
export type DnsCheck = CheckOf<'dns'>;

/**
 * answersQuery says whether a response belongs to our query: same id, QR set, same question
 * (RFC 5452 §9.1). An error reply (non-zero rcode) may carry no question at all: servers answer
 * REFUSED, FORMERR or NOTIMP that way, and a check expecting such an rcode must see it rather
 * than time out. Anything else on the socket is ignored, not failed: it may be a late reply to
 * an earlier attempt.
 */
export function answersQuery(response: DnsMessage, id: number, check: DnsCheck): boolean {
  if (response.id !== id || !response.response) return false;
  const question = response.questions[0];
  if (question === undefined) return response.rcode !== 0;
  return question.type === DNS_TYPES[check.queryType] && sameName(question.name, check.queryName);
}

/** normalToken makes one field comparable: an address in canonical form, a name lower-case without its trailing dot. */
function normalToken(token: string): string {
  return canonicalAddress(token) ?? (token.endsWith('.') ? token.slice(0, -1) : token).toLowerCase();
}

/** matchesExpected compares one answer with expectAnswer; TXT text is compared exactly, other fields token by token. */
function matchesExpected(data: RecordData, expected: string): boolean {
  const shown = presentRdata(data);
  if (data.kind === 'txt') return shown === expected;
  const have = shown.split(/\s+/).map(normalToken);
  const want = expected.trim().split(/\s+/).map(normalToken);
  return have.length === want.length && have.every((token, i) => token === want[i]);
}

/**
 * dnsVerdict judges a response to our query: the rcode must be expectRcode, and when
 * expectAnswer is set, an answer of the queried type must equal it (a CNAME met on the way to an
 * A record is not the answer).
 */
export function dnsVerdict(response: DnsMessage, check: DnsCheck): CheckOutcome {
  const rcode = rcodeName(response.rcode);
  if (rcode !== check.expectRcode) return failed('rcode', `rcode ${rcode}, expected ${check.expectRcode}`);
  if (check.expectAnswer === null) return PASSED;
  const type = DNS_TYPES[check.queryType];
  const answers = response.answers.filter((record) => record.type === type);
  const expected = check.expectAnswer;
  if (answers.some((record) => matchesExpected(record.data, expected))) return PASSED;
  const got = answers.map((record) => presentRdata(record.data)).join(', ');
  const truncated = response.truncated ? ' (response truncated)' : '';
  return failed('answer', `no ${check.queryType} answer "${expected}"; got ${got === '' ? 'none' : got}${truncated}`);
}
