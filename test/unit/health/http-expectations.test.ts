/** The pure half of the HTTP check: Host (RFC 9110 §7.2), SNI (RFC 6066 §3), status sets, body reading. */
import { describe, expect, it } from 'vitest';
import { describeStatuses, hostHeader, readsBody, serverName, statusExpected } from '../../../src/health/http-expectations.js';
import { checkOf } from './check-fixtures.js';

describe('hostHeader', () => {
  it('sends the configured host as written', () => {
    expect(hostHeader(checkOf('http', 8080, { host: 'www.example.com' }), '192.0.2.1')).toBe('www.example.com');
  });
  it("sends the address, with the port unless it is the scheme's default", () => {
    expect(hostHeader(checkOf('http', 80), '192.0.2.1')).toBe('192.0.2.1');
    expect(hostHeader(checkOf('http', 8080), '192.0.2.1')).toBe('192.0.2.1:8080');
    expect(hostHeader(checkOf('https', 443), '2001:db8::1')).toBe('[2001:db8::1]');
    expect(hostHeader(checkOf('https', 80), '2001:db8::1')).toBe('[2001:db8::1]:80');
  });
});

describe('serverName', () => {
  it('prefers sni, then host without its port, and never an address', () => {
    expect(serverName(checkOf('https', 443, { sni: 'sni.example', host: 'host.example' }))).toBe('sni.example');
    expect(serverName(checkOf('https', 443, { host: 'host.example:8443' }))).toBe('host.example');
    expect(serverName(checkOf('https', 443, { host: '192.0.2.1:8443' }))).toBe('');
    expect(serverName(checkOf('https', 443, { host: '[2001:db8::1]:8443' }))).toBe('');
    expect(serverName(checkOf('https', 443, { host: '2001:db8::1' }))).toBe('');
    expect(serverName(checkOf('https', 443))).toBe('');
  });
});

describe('statusExpected', () => {
  const ranges = checkOf('http', 80, { expectStatus: ['200-299', 301, '404'] }).expectStatus;
  it.each([
    [200, true],
    [299, true],
    [300, false],
    [301, true],
    [404, true],
    [500, false],
  ])('%i → %s', (status, expected) => {
    expect(statusExpected(status, ranges)).toBe(expected);
  });
  it('describes ranges as the config writes them', () => {
    expect(describeStatuses(ranges)).toBe('200-299, 301, 404');
  });
});

describe('readsBody', () => {
  it('reads only when a regex or digest needs it, and never for HEAD', () => {
    expect(readsBody(checkOf('http', 80))).toBe(false);
    expect(readsBody(checkOf('http', 80, { bodyRegex: 'ok' }))).toBe(true);
    expect(readsBody(checkOf('https', 443, { bodySha256: 'a'.repeat(64) }))).toBe(true);
    expect(readsBody(checkOf('http', 80, { method: 'HEAD', bodyRegex: 'ok' }))).toBe(false);
  });
});
