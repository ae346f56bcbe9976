/**
 * load: text or file in, a typed Config or every issue out. Loading returns a value; the
 * throwing wrapper is for callers that treat a bad config as fatal.
 */
import { readFile } from 'node:fs/promises';
import { compareIssues, ConfigError, formatPath, type ConfigIssue } from './issues.js';
import { offsetOf } from './locate.js';
import { configSchema } from './schema.js';
import { nodeForHost, selectNode, type NodeSelection } from './select-node.js';
import type { Config } from './types.js';
import { issueAtOffset, readYaml } from './yaml-source.js';
import { fromZodIssues } from './zod-issues.js';

/** LoadOptions choose this director: `node` by name (must exist), else `hostname` (may match none). */
export interface LoadOptions {
  readonly node?: string | undefined;
  readonly hostname?: string | undefined;
}

/** LoadResult is a valid config, with this director when one was chosen, or every issue found. */
export type LoadResult =
  | { readonly ok: true; readonly config: Config; readonly node: NodeSelection | null }
  | { readonly ok: false; readonly issues: readonly ConfigIssue[] };

/** sortedUnique orders issues by position and drops exact repeats. */
function sortedUnique(issues: readonly ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return [...issues].sort(compareIssues).filter((issue) => {
    const key = `${issue.line}:${issue.column}:${issue.code}:${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** parseConfig validates config text. `file` is only used to label issues. It never throws. */
export function parseConfig(text: string, file: string, options: LoadOptions = {}): LoadResult {
  const source = readYaml(text, file);
  if (source.issues.length > 0) return { ok: false, issues: sortedUnique(source.issues) };
  const parsed = configSchema.safeParse(source.data);
  if (!parsed.success) return { ok: false, issues: sortedUnique(fromZodIssues(parsed.error.issues, source, configSchema)) };
  const config = parsed.data;
  if (options.node !== undefined) {
    const selection = selectNode(config, options.node);
    if ('code' in selection) {
      const offset = offsetOf(source.doc, ['nodes'], 'key');
      return { ok: false, issues: [issueAtOffset(source, offset, selection.code, formatPath(['nodes']), selection.message, selection.hint)] };
    }
    return { ok: true, config, node: selection };
  }
  return { ok: true, config, node: options.hostname === undefined ? null : (nodeForHost(config, options.hostname) ?? null) };
}

/** loadConfigFile reads and validates a config file; an unreadable file is an issue, too. */
export async function loadConfigFile(path: string, options: LoadOptions = {}): Promise<LoadResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const issue: ConfigIssue = { code: 'file-unreadable', file: path, line: 1, column: 1, path: '', message: `cannot read the file: ${reason}`, hint: 'Check the path and that this user may read it.' };
    return { ok: false, issues: [issue] };
  }
  return parseConfig(text, path, options);
}

/** loadConfigOrThrow is loadConfigFile for callers that stop on a bad config: it throws ConfigError. */
export async function loadConfigOrThrow(path: string, options: LoadOptions = {}): Promise<{ config: Config; node: NodeSelection | null }> {
  const result = await loadConfigFile(path, options);
  if (!result.ok) throw new ConfigError(result.issues);
  return { config: result.config, node: result.node };
}
