/**
 * yaml-source: parses config text into a YAML document and plain data. Syntax errors, duplicate
 * keys and aliases without an anchor become issues here; nothing the YAML library throws escapes.
 */
import { isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, visit, type Document } from 'yaml';
import { didYouMean } from './did-you-mean.js';
import { formatPath, type ConfigIssue, type IssueCode } from './issues.js';
import { offsetOf, positionOf } from './locate.js';

/** YamlSource is a parsed file: the document (for positions), its data, and the YAML-level issues. */
export interface YamlSource {
  readonly file: string;
  readonly doc: Document;
  readonly lineCounter: LineCounter;
  /** The plain data; undefined when the YAML itself has issues. */
  readonly data: unknown;
  readonly issues: readonly ConfigIssue[];
}

/** MAX_ALIAS_COUNT caps alias expansion, against "billion laughs" documents. */
const MAX_ALIAS_COUNT = 1000;

/** issueAtOffset builds an issue at an offset of the source. */
export function issueAtOffset(
  source: Pick<YamlSource, 'file' | 'lineCounter'>,
  offset: number,
  code: IssueCode,
  path: string,
  message: string,
  hint: string,
): ConfigIssue {
  const { line, column } = positionOf(source.lineCounter, offset);
  return { code, file: source.file, line, column, path, message, hint };
}

/** yamlIssueHint tells how to fix a YAML library error, by its error code. */
function yamlIssueHint(code: string): string {
  if (code === 'DUPLICATE_KEY') return 'Keep one of the two entries: YAML tools disagree about which one wins.';
  if (code === 'MULTIPLE_DOCS') return 'Put the whole config in one YAML document (remove the second "---").';
  if (code === 'BAD_INDENT' || code === 'MISSING_CHAR') return 'Check the indentation and brackets or quotes on this line and the one before.';
  return 'Check the YAML syntax near this position; indent with spaces, not tabs.';
}

/** anchorsOf lists every anchor name in the document, for alias suggestions. */
function anchorsOf(doc: Document): string[] {
  const anchors: string[] = [];
  visit(doc, (_key, node) => {
    if (isNode(node) && node.anchor !== undefined) anchors.push(node.anchor);
  });
  return anchors;
}

/** unresolvedAliases finds `*name` with no `&name` before it, which would make toJS throw. */
function unresolvedAliases(source: Omit<YamlSource, 'data' | 'issues'>): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const anchors = anchorsOf(source.doc);
  visit(source.doc, {
    Alias(_key, node) {
      if (node.resolve(source.doc) === undefined) {
        const hint = `${didYouMean(node.source, anchors)} Define \`&${node.source}\` on a node above this line, or correct the name.`.trim();
        const offset = node.range?.[0] ?? 0;
        issues.push(issueAtOffset(source, offset, 'unresolved-alias', pathAt(source.doc, offset), `alias *${node.source} has no anchor &${node.source} before it`, hint));
      }
    },
  });
  return issues;
}

/** spanOf is the [start, end) offsets of a node, or undefined when it has no range. */
function spanOf(node: unknown): [number, number] | undefined {
  return isNode(node) && node.range ? [node.range[0], node.range[2]] : undefined;
}

/** pathAt renders the path of the innermost value at an offset, for errors that carry only a position. */
function pathAt(doc: Document, offset: number): string {
  const path: PropertyKey[] = [];
  let node: unknown = doc.contents;
  for (;;) {
    if (isMap(node)) {
      const pair = node.items.find((item) => {
        const start = spanOf(item.key)?.[0];
        const end = (spanOf(item.value) ?? spanOf(item.key))?.[1];
        return start !== undefined && end !== undefined && start <= offset && offset < end;
      });
      if (pair === undefined || !isScalar(pair.key)) break;
      path.push(String(pair.key.value));
      node = pair.value;
    } else if (isSeq(node)) {
      const index = node.items.findIndex((item) => {
        const span = spanOf(item);
        return span !== undefined && span[0] <= offset && offset < span[1];
      });
      if (index === -1) break;
      path.push(index);
      node = node.items[index];
    } else {
      break;
    }
  }
  return formatPath(path);
}

/** readYaml parses config text. It never throws: every failure is an issue. */
export function readYaml(text: string, file: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, merge: true, prettyErrors: false });
  const base = { file, doc, lineCounter };
  const issues = doc.errors.map((error) => {
    const offset = error.pos[0];
    const code: IssueCode = error.code === 'DUPLICATE_KEY' ? 'duplicate-key' : 'yaml-syntax';
    return issueAtOffset(base, offset, code, pathAt(doc, offset), error.message.split('\n')[0] ?? error.message, yamlIssueHint(error.code));
  });
  issues.push(...unresolvedAliases(base));
  if (issues.length > 0) return { ...base, data: undefined, issues };
  try {
    return { ...base, data: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }), issues };
  } catch (error) {
    // toJS throws ReferenceError for alias trouble (e.g. too many expansions); report, don't crash.
    const message = error instanceof Error ? error.message : String(error);
    return { ...base, data: undefined, issues: [issueAtOffset(base, offsetOf(doc, [], 'value'), 'yaml-unreadable', '', message, 'Simplify the anchors and aliases in this file.')] };
  }
}
