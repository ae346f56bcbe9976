import { describe, expect, it } from 'vitest';
import { bracketHost, formatHostPort } from '../../../src/net/host-port.js';

describe('bracketHost', () => {
  it('leaves an IPv4 address bare', () => {
    expect(bracketHost('192.0.2.1')).toBe('192.0.2.1');
  });

  it('brackets an IPv6 address', () => {
    expect(bracketHost('2001:db8::1')).toBe('[2001:db8::1]');
    expect(bracketHost('::')).toBe('[::]');
  });
});

describe('formatHostPort', () => {
  it('joins an IPv4 address and a port with a colon', () => {
    expect(formatHostPort('198.51.100.10', 80)).toBe('198.51.100.10:80');
  });

  it('brackets an IPv6 address before the port', () => {
    expect(formatHostPort('2001:db8::1', 5999)).toBe('[2001:db8::1]:5999');
  });
});
