/**
 * check-config through the real commander program, in process: exit codes and printed lines.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../../src/cli/main.js';
import { runCheckConfig, type CheckConfigIo } from '../../../src/cli/check-config.js';

const example = fileURLToPath(new URL('../../../config/tandem.example.yaml', import.meta.url));
const fixtures = fileURLToPath(new URL('../../fixtures/config/', import.meta.url));
const severalErrors = `${fixtures}invalid/47-several-rule-errors.yaml`;

/** capture records what the command writes. */
function capture(host = 'testhost'): CheckConfigIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (text) => out.push(text), stderr: (text) => err.push(text), hostname: () => host };
}

describe('tandem check-config via runCli', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('exits 0 and prints a one-line summary for the example config', async () => {
    const written: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    expect(await runCli(['check-config', example, '--node', 'alpha'])).toBe(0);
    expect(written.join('')).toBe(`${example}: OK (node alpha: 3 virtual server(s), 8 real server(s))\n`);
  });

  it('exits 1 and prints every problem, one per line', async () => {
    const written: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(await runCli(['check-config', severalErrors])).toBe(1);
    const lines = written.join('').trimEnd().split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toBe(
      `${severalErrors}:13:17: duplicate-address at nodes[1].addresses[0]: 192.0.2.11 is also an address of nodes[0]. Each node's addresses are its own; the peer's addresses are taken from the other node.`,
    );
    for (const line of lines) expect(line).toMatch(/^\S+:\d+:\d+: [a-z-]+ at \S+: .+\. .+$/);
  });

  it('exits non-zero for an unknown --node, listing the known names', async () => {
    const io = capture();
    expect(await runCheckConfig(example, { node: 'gamma' }, io)).toBe(1);
    expect(io.out.join('')).toContain('unknown-node at nodes: there is no node named \'gamma\'. The nodes in this file are: alpha, beta.');
  });

  it('without --node, picks the node by host name, or says the whole file was checked', async () => {
    const byHost = capture('lvs-b.example.net');
    expect(await runCheckConfig(example, {}, byHost)).toBe(0);
    expect(byHost.out.join('')).toContain('OK (node beta:');
    const noMatch = capture('elsewhere');
    expect(await runCheckConfig(example, {}, noMatch)).toBe(0);
    expect(noMatch.out.join('')).toContain("host 'elsewhere' matches no node");
  });

  it('prints JSON with --json', async () => {
    const io = capture();
    expect(await runCheckConfig(severalErrors, { json: true }, io)).toBe(1);
    const body = JSON.parse(io.out.join('')) as { ok: boolean; issues: { code: string; line: number; column: number; path: string }[] };
    expect(body.ok).toBe(false);
    expect(body.issues.map((issue) => issue.code)).toEqual([
      'duplicate-address',
      'duplicate-vip',
      'dr-port-mismatch',
      'threshold-order',
      'port-zero-without-persistence',
    ]);
    expect(body.issues[2]).toMatchObject({ line: 28, column: 15, path: 'virtualServers[0].realServers[0].port' });
  });

  it('reports a missing file as an issue, not a crash', async () => {
    const io = capture();
    expect(await runCheckConfig(`${fixtures}does-not-exist.yaml`, {}, io)).toBe(1);
    expect(io.out.join('')).toMatch(/:1:1: file-unreadable at the document: cannot read the file: ENOENT/);
  });
});
