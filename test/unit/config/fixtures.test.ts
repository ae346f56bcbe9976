/**
 * Every invalid fixture states the issues it must produce in its header:
 *   # expect: LINE:COL CODE     (one line per issue, in file order)
 *   # node: NAME                (optional: load as if started with --node NAME)
 * and the loader must report exactly those, positions included. Every valid fixture must load.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../../src/config/load.js';

const fixtures = fileURLToPath(new URL('../../fixtures/config/', import.meta.url));
const invalid = readdirSync(`${fixtures}invalid`).filter((name) => name.endsWith('.yaml')).sort();
const valid = readdirSync(`${fixtures}valid`).filter((name) => name.endsWith('.yaml')).sort();

/** header reads the expectations a fixture declares about itself. */
function header(path: string): { expected: string[]; node: string | undefined } {
  const text = readFileSync(path, 'utf8');
  const expected = [...text.matchAll(/^# expect: (\d+:\d+ [a-z0-9-]+)$/gm)].map((match) => match[1] ?? '');
  const node = /^# node: (\S+)$/m.exec(text)?.[1];
  return { expected, node };
}

describe('invalid config fixtures', () => {
  it('there are at least 25 of them', () => {
    expect(invalid.length).toBeGreaterThanOrEqual(25);
  });

  it.each(invalid)('%s reports exactly its expected issues', async (name) => {
    const path = `${fixtures}invalid/${name}`;
    const { expected, node } = header(path);
    expect(expected.length).toBeGreaterThan(0);
    const result = await loadConfigFile(path, { node });
    expect(result.ok).toBe(false);
    const issues = result.ok ? [] : result.issues;
    expect(issues.map((issue) => `${issue.line}:${issue.column} ${issue.code}`)).toEqual(expected);
    for (const issue of issues) {
      expect(issue.file).toBe(path);
      expect(issue.message.length).toBeGreaterThan(0);
      expect(issue.hint.length).toBeGreaterThan(0);
    }
  });
});

describe('valid config fixtures', () => {
  it.each(valid)('%s loads', async (name) => {
    const result = await loadConfigFile(`${fixtures}valid/${name}`);
    expect(result.ok ? [] : result.issues).toEqual([]);
  });
});
