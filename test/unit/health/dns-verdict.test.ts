/** The dns check's verdict: response matching (RFC 5452 §9.1), rcode, and expected answers. */
import { describe, expect, it } from 'vitest';
import { CLASS_IN, type DnsMessage, type DnsRecord } from '../../../src/health/dns-message.js';
import { DNS_TYPES, type RecordData } from '../../../src/health/dns-rdata.js';
import { answersQuery, dnsVerdict } from '../../../src/health/dns-verdict.js';
import { checkOf } from './check-fixtures.js';

const answer = (type: number, data: RecordData): DnsRecord => ({ name: 'www.example.com', type, class: CLASS_IN, ttlSeconds: 60, data });

function response(fields: Partial<DnsMessage> = {}): DnsMessage {
  return {
    id: 7,
    response: true,
    opcode: 0,
    authoritative: true,
    truncated: false,
    recursionDesired: true,
    recursionAvailable: false,
    rcode: 0,
    questions: [{ name: 'WWW.example.com.', type: DNS_TYPES.A, class: CLASS_IN }],
    answers: [answer(DNS_TYPES.CNAME, { kind: 'name', name: 'web.example.com' }), answer(DNS_TYPES.A, { kind: 'address', address: '198.51.100.7' })],
    ...fields,
  };
}

describe('answersQuery', () => {
  const check = checkOf('dns', 53, { queryName: 'www.example.com' });
  it('matches id, QR and the question (names case-insensitively)', () => {
    expect(answersQuery(response(), 7, check)).toBe(true);
    expect(answersQuery(response(), 8, check)).toBe(false);
    expect(answersQuery(response({ response: false }), 7, check)).toBe(false);
    expect(answersQuery(response({ questions: [{ name: 'www.example.com', type: DNS_TYPES.AAAA, class: CLASS_IN }] }), 7, check)).toBe(false);
  });

  it('takes an error reply without a question (REFUSED, FORMERR), but not a NOERROR one', () => {
    expect(answersQuery(response({ questions: [], rcode: 5 }), 7, check)).toBe(true);
    expect(answersQuery(response({ questions: [], rcode: 1 }), 7, check)).toBe(true);
    expect(answersQuery(response({ questions: [] }), 7, check)).toBe(false);
    expect(answersQuery(response({ questions: [], rcode: 5 }), 8, check)).toBe(false);
  });
});

describe('dnsVerdict', () => {
  it('passes on the expected rcode when no answer is expected', () => {
    expect(dnsVerdict(response({ answers: [] }), checkOf('dns', 53, { queryName: 'x' }))).toEqual({ ok: true });
    expect(dnsVerdict(response({ rcode: 3 }), checkOf('dns', 53, { queryName: 'x', expectRcode: 'NXDOMAIN' }))).toEqual({ ok: true });
  });

  it('fails with rcode when another comes back', () => {
    expect(dnsVerdict(response({ rcode: 2 }), checkOf('dns', 53, { queryName: 'x' }))).toEqual({ ok: false, reason: 'rcode', detail: 'rcode SERVFAIL, expected NOERROR' });
  });

  it('finds the expected answer among records of the queried type', () => {
    expect(dnsVerdict(response(), checkOf('dns', 53, { queryName: 'x', expectAnswer: '198.51.100.7' })).ok).toBe(true);
    // The CNAME is on the way, not the answer to an A query.
    const viaCname = dnsVerdict(response(), checkOf('dns', 53, { queryName: 'x', expectAnswer: 'web.example.com' }));
    expect(viaCname).toEqual({ ok: false, reason: 'answer', detail: 'no A answer "web.example.com"; got 198.51.100.7' });
  });

  it('compares addresses canonically, names without case or trailing dot, TXT exactly', () => {
    const aaaa = response({ answers: [answer(DNS_TYPES.AAAA, { kind: 'address', address: '2001:db8::7' })] });
    expect(dnsVerdict(aaaa, checkOf('dns', 53, { queryName: 'x', queryType: 'AAAA', expectAnswer: '2001:0DB8:0:0::7' })).ok).toBe(true);
    const mx = response({ answers: [answer(DNS_TYPES.MX, { kind: 'mx', preference: 10, exchange: 'Mail.example.com' })] });
    expect(dnsVerdict(mx, checkOf('dns', 53, { queryName: 'x', queryType: 'MX', expectAnswer: '10 mail.example.com.' })).ok).toBe(true);
    expect(dnsVerdict(mx, checkOf('dns', 53, { queryName: 'x', queryType: 'MX', expectAnswer: '20 mail.example.com' })).ok).toBe(false);
    const txt = response({ answers: [answer(DNS_TYPES.TXT, { kind: 'txt', strings: ['v=spf1 ', '-all'] })] });
    expect(dnsVerdict(txt, checkOf('dns', 53, { queryName: 'x', queryType: 'TXT', expectAnswer: 'v=spf1 -all' })).ok).toBe(true);
    expect(dnsVerdict(txt, checkOf('dns', 53, { queryName: 'x', queryType: 'TXT', expectAnswer: 'V=SPF1 -all' })).ok).toBe(false);
  });

  it('says when the answer may be missing because the response was truncated', () => {
    const verdict = dnsVerdict(response({ truncated: true, answers: [] }), checkOf('dns', 53, { queryName: 'x', expectAnswer: '192.0.2.1' }));
    expect(verdict).toEqual({ ok: false, reason: 'answer', detail: 'no A answer "192.0.2.1"; got none (response truncated)' });
  });
});
