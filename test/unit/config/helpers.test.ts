/**
 * The small pure helpers: address parsing, suggestions, node selection, issue formatting.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isMulticast, netmaskToPrefixLength, parseAddress, parseHostPort, parsePrefix } from '../../../src/config/addresses.js';
import { editDistance, suggest } from '../../../src/config/did-you-mean.js';
import { formatIssue, formatPath } from '../../../src/config/issues.js';
import { parseConfig } from '../../../src/config/load.js';
import { nodeForHost, selectNode } from '../../../src/config/select-node.js';

describe('addresses', () => {
  it('parses and canonicalises', () => {
    expect(parseAddress('192.0.2.1')).toEqual({ address: '192.0.2.1', family: 'inet' });
    expect(parseAddress('2001:DB8:0::1')).toEqual({ address: '2001:db8::1', family: 'inet6' });
    expect(parseAddress('fe80::1%eth0')).toBeUndefined();
    expect(parseAddress('192.0.2.256')).toBeUndefined();
  });

  it('parses prefixes and rejects bad lengths', () => {
    expect(parsePrefix('10.0.0.1')).toEqual({ ok: true, value: { address: '10.0.0.1', family: 'inet', prefixLength: 32 } });
    expect(parsePrefix('2001:db8::/128')).toMatchObject({ ok: true, value: { prefixLength: 128 } });
    expect(parsePrefix('10.0.0.1/33')).toEqual({ ok: false, reason: 'prefix' });
    expect(parsePrefix('10.0.0.1/')).toEqual({ ok: false, reason: 'prefix' });
    expect(parsePrefix('nope/24')).toEqual({ ok: false, reason: 'address' });
  });

  it('knows multicast ranges', () => {
    expect(isMulticast({ address: '224.0.0.81', family: 'inet' })).toBe(true);
    expect(isMulticast({ address: '239.255.255.255', family: 'inet' })).toBe(true);
    expect(isMulticast({ address: '240.0.0.1', family: 'inet' })).toBe(false);
    expect(isMulticast({ address: 'ff02::12', family: 'inet6' })).toBe(true);
    expect(isMulticast({ address: 'fe80::1', family: 'inet6' })).toBe(false);
  });

  it('converts contiguous netmasks only', () => {
    expect(netmaskToPrefixLength('255.255.255.0')).toBe(24);
    expect(netmaskToPrefixLength('0.0.0.0')).toBe(0);
    expect(netmaskToPrefixLength('255.255.255.255')).toBe(32);
    expect(netmaskToPrefixLength('255.0.255.0')).toBeUndefined();
  });

  it('parses listen addresses', () => {
    expect(parseHostPort('127.0.0.1:9640')).toEqual({ host: '127.0.0.1', port: 9640 });
    expect(parseHostPort('[::1]:80')).toEqual({ host: '::1', port: 80 });
    expect(parseHostPort('::1:80')).toBeUndefined();
    expect(parseHostPort('[127.0.0.1]:80')).toBeUndefined();
    expect(parseHostPort('127.0.0.1:0')).toBeUndefined();
  });
});

describe('did-you-mean', () => {
  it('measures edits, ignoring case', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('advertIntervalMS', 'advertIntervalMs')).toBe(0);
  });

  it('suggests only plausible typos', () => {
    expect(suggest('wrrr', ['rr', 'wrr', 'wlc'])).toBe('wrr');
    expect(suggest('preemt', ['preempt', 'port'])).toBe('preempt');
    expect(suggest('xyz', ['rr', 'wrr', 'wlc'])).toBeUndefined();
  });
});

describe('node selection', () => {
  const text = readFileSync(new URL('../../../config/tandem.example.yaml', import.meta.url), 'utf8');
  const result = parseConfig(text, 'example.yaml');
  if (!result.ok) throw new Error('the example config must be valid');
  const { config } = result;

  it('selects by name, with the other node as peer', () => {
    expect(selectNode(config, 'alpha')).toMatchObject({ self: { name: 'alpha' }, peer: { name: 'beta' } });
  });

  it('explains an unknown name', () => {
    expect(selectNode(config, 'alpah')).toEqual({ code: 'unknown-node', message: "there is no node named 'alpah'", hint: "Did you mean 'alpha'? The nodes in this file are: alpha, beta." });
  });

  it('matches the host name in full or up to its first dot', () => {
    expect(nodeForHost(config, 'lvs-a.example.net')?.self.name).toBe('alpha');
    expect(nodeForHost(config, 'lvs-b')?.self.name).toBe('beta');
    expect(nodeForHost(config, 'alpha')).toBeUndefined();
  });
});

describe('issue formatting', () => {
  it('renders paths and lines', () => {
    expect(formatPath(['virtualServers', 1, 'realServers', 0, 'port'])).toBe('virtualServers[1].realServers[0].port');
    expect(formatPath([])).toBe('');
    const line = formatIssue({ code: 'out-of-range', file: 'a.yaml', line: 3, column: 7, path: 'nodes[0].priority', message: '255 is out of range 1..254', hint: 'Use 1..254.' });
    expect(line).toBe('a.yaml:3:7: out-of-range at nodes[0].priority: 255 is out of range 1..254. Use 1..254.');
  });
});
