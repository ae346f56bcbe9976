/**
 * zod-issues: turns zod's issues into ConfigIssues: our stable codes, our wording, and a position
 * in the YAML text. Issues our own refinements raised already carry their code and hint.
 */
import type { z } from 'zod';
import { didYouMean } from './did-you-mean.js';
import { formatPath, type ConfigIssue, type IssueCode } from './issues.js';
import { knownKeysAt } from './known-keys.js';
import { offsetOf, type Target } from './locate.js';
import type { IssueParams } from './schema-primitives.js';
import { issueAtOffset, type YamlSource } from './yaml-source.js';

/** Draft is an issue before it has a position. */
interface Draft {
  readonly code: IssueCode;
  readonly path: readonly PropertyKey[];
  readonly target: Target;
  readonly message: string;
  readonly hint: string;
}

/** valueAt reads the plain data at a path; undefined when the path does not exist. */
function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let value = data;
  for (const step of path) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, step)) return undefined;
    value = (value as Record<PropertyKey, unknown>)[step];
  }
  return value;
}

/** describe names a value for a message: `the text "80x"`, `a list`, `null`. */
function describe(value: unknown): string {
  if (value === null) return 'an empty value';
  if (typeof value === 'string') return `the text ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return `${typeof value} ${String(value)}`;
  return typeof value;
}

/** EXPECTED words zod's `expected` types the way an operator reads YAML. */
const EXPECTED: Readonly<Record<string, string>> = {
  int: 'a whole number',
  number: 'a number',
  string: 'text',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
};

/** isIssueParams recognises the params our report() attaches. */
function isIssueParams(params: unknown): params is IssueParams {
  return typeof params === 'object' && params !== null && 'code' in params && 'hint' in params;
}

/** missingKey drafts the issue for a required key that is absent. */
function missingKey(path: readonly PropertyKey[], expected: string): Draft {
  const key = String(path.at(-1));
  return { code: 'missing-key', path, target: 'value', message: `required key '${key}' is missing`, hint: `Add \`${key}:\` with ${expected} here.` };
}

/** unknownKeys drafts one issue per unknown key, each with its best suggestion. */
function unknownKeys(schema: z.core.$ZodType, data: unknown, path: readonly PropertyKey[], keys: readonly string[]): Draft[] {
  const known = knownKeysAt(schema, path, data);
  return keys.map((key) => {
    const elsewhere = known.elsewhere.get(key);
    const suggestion = didYouMean(key, known.keys);
    const hint =
      elsewhere !== undefined
        ? `'${key}' applies only when ${elsewhere}; remove it here.`
        : suggestion !== ''
          ? suggestion
          : `Remove it; the keys allowed here are: ${known.keys.join(', ')}.`;
    return { code: 'unknown-key', path: [...path, key], target: 'key', message: `unknown key '${key}'`, hint };
  });
}

/** draftsOf maps one zod issue to drafts; unrecognized_keys may yield several. */
function draftsOf(issue: z.core.$ZodIssue, schema: z.core.$ZodType, data: unknown): Draft[] {
  const path = issue.path;
  const value = valueAt(data, path);
  switch (issue.code) {
    case 'custom':
      if (isIssueParams(issue.params)) return [{ code: issue.params.code, path, target: 'value', message: issue.message, hint: issue.params.hint }];
      return [{ code: 'invalid-value', path, target: 'value', message: issue.message, hint: '' }];
    case 'unrecognized_keys':
      return unknownKeys(schema, data, path, issue.keys);
    case 'invalid_type': {
      const expected = EXPECTED[issue.expected] ?? issue.expected;
      if (value === undefined && path.length > 0) return [missingKey(path, expected)];
      const hint = path.length === 0 ? 'A config file is a mapping with at least `nodes:` and `election:`; see config/tandem.example.yaml.' : `Write ${expected} here.`;
      return [{ code: 'wrong-type', path, target: 'value', message: `expected ${expected}, got ${describe(value)}`, hint }];
    }
    case 'invalid_union': {
      const options = 'options' in issue ? (issue.options ?? []).map(String) : [];
      if (value === undefined && path.length > 0) return [missingKey(path, `one of ${options.join(', ')}`)];
      if (options.length === 0) {
        return [{ code: 'wrong-type', path, target: 'value', message: `${describe(value)} is not allowed here`, hint: 'See docs/config.md for the forms this key takes.' }];
      }
      const hint = `${didYouMean(String(value), options)} Use one of: ${options.join(', ')}.`.trim();
      return [{ code: 'invalid-value', path, target: 'value', message: `${describe(value)} is not a valid ${String(path.at(-1))}`, hint }];
    }
    case 'too_small':
    case 'too_big': {
      const bound = issue.code === 'too_small' ? `at least ${issue.minimum}` : `at most ${issue.maximum}`;
      const unit = issue.origin === 'array' ? ' item(s)' : issue.origin === 'string' ? ' character(s)' : '';
      return [{ code: 'out-of-range', path, target: 'value', message: `must have ${bound}${unit}`, hint: `Give ${bound}${unit} here.` }];
    }
    default:
      return [{ code: 'invalid-value', path, target: 'value', message: issue.message, hint: 'Correct this value.' }];
  }
}

/** fromZodIssues maps zod's issues for a parsed file to positioned ConfigIssues. */
export function fromZodIssues(issues: readonly z.core.$ZodIssue[], source: YamlSource, schema: z.core.$ZodType): ConfigIssue[] {
  return issues.flatMap((issue) =>
    draftsOf(issue, schema, source.data).map((draft) =>
      issueAtOffset(source, offsetOf(source.doc, draft.path, draft.target), draft.code, formatPath(draft.path), draft.message, draft.hint),
    ),
  );
}
