/**
 * Property: whatever text arrives, random or a mangled copy of the example, parseConfig returns
 * a config or typed issues. It never throws, and every issue has a known code and a real position.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ISSUE_CODES } from '../../../src/config/issues.js';
import { parseConfig } from '../../../src/config/load.js';

const example = readFileSync(new URL('../../../config/tandem.example.yaml', import.meta.url), 'utf8');
const exampleLines = example.split('\n');
const knownCodes = new Set<string>(ISSUE_CODES);

/** Mutation is one edit of the example's lines. */
type Mutation = (lines: string[]) => string[];

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.nat().map((i): Mutation => (lines) => lines.filter((_, index) => index !== i % lines.length)),
  fc.nat().map((i): Mutation => (lines) => lines.flatMap((line, index) => (index === i % lines.length ? [line, line] : [line]))),
  fc.tuple(fc.nat(), fc.nat()).map(([i, j]): Mutation => (lines) =>
    lines.map((line, index) => {
      if (index !== i % lines.length || line.length < 2) return line;
      const at = j % (line.length - 1);
      return line.slice(0, at) + (line[at + 1] ?? '') + (line[at] ?? '') + line.slice(at + 2);
    }),
  ),
  fc.tuple(fc.nat(), fc.oneof(fc.integer(), fc.constantFrom(-1, 0, 65536, 2 ** 32, 2 ** 53, 1.5))).map(([i, n]): Mutation => (lines) =>
    lines.map((line, index) => (index === i % lines.length ? line.replace(/\d+/, String(n)) : line)),
  ),
  fc.tuple(fc.nat(), fc.nat(), fc.constantFrom(':', '-', '[', '{', '"', "'", '&a', '*a', '<<', '\t', ' ', '#', '!!binary')).map(
    ([i, j, text]): Mutation => (lines) =>
      lines.map((line, index) => (index === i % lines.length ? line.slice(0, j % (line.length + 1)) + text + line.slice(j % (line.length + 1)) : line)),
  ),
);

/** assertTyped checks the loader's answer has the promised shape. */
function assertTyped(text: string): void {
  const result = parseConfig(text, 'fuzz.yaml');
  if (result.ok) {
    expect(result.config.nodes).toHaveLength(2);
    return;
  }
  expect(result.issues.length).toBeGreaterThan(0);
  for (const issue of result.issues) {
    expect(knownCodes.has(issue.code)).toBe(true);
    expect(issue.line).toBeGreaterThanOrEqual(1);
    expect(issue.column).toBeGreaterThanOrEqual(1);
    expect(issue.message).not.toBe('');
  }
}

describe('parseConfig never throws', () => {
  it('on random text', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => { assertTyped(text); }), { numRuns: 200 });
  });

  it('on random YAML-ish text', () => {
    const token = fc.constantFrom('nodes:', 'election:', '  - ', '- ', ': ', '\n', '  ', '&x ', '*x', '<<: ', '{', '}', '[', ']', 'port: ', '80', 'null', '~', '"', 'tcp', '---\n');
    fc.assert(fc.property(fc.array(token, { maxLength: 60 }), (tokens) => { assertTyped(tokens.join('')); }), { numRuns: 300 });
  });

  it('on mutations of the example config', () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (edits) => {
        assertTyped(edits.reduce((lines, edit) => edit(lines), exampleLines).join('\n'));
      }),
      { numRuns: 300 },
    );
  });
});
