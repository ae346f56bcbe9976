/**
 * locate: from a path in the parsed data back to a position in the YAML text, so every issue can
 * name file:line:column even when the problem is a key that is missing.
 */
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';

/** Target says what to point at: the value at the path, or the key that names it. */
export type Target = 'value' | 'key';

/** Position is 1-based, as editors and compilers print it. */
export interface Position {
  readonly line: number;
  readonly column: number;
}

/** keyMatches compares a YAML key node with a path step (keys may be numbers in YAML). */
function keyMatches(key: unknown, step: PropertyKey): boolean {
  return isScalar(key) && String(key.value) === String(step);
}

/**
 * offsetOf finds the text offset for `path`. When the path runs past what the file contains (a
 * missing key), it points at the key of the deepest mapping that exists, which is where the
 * missing key belongs.
 */
export function offsetOf(doc: Document, path: readonly PropertyKey[], target: Target): number {
  let node: unknown = doc.contents;
  let keyNode: Node | undefined;
  for (const step of path) {
    if (isAlias(node)) node = node.resolve(doc);
    let next: unknown;
    let nextKey: Node | undefined;
    if (isMap(node)) {
      const pair = node.items.find((item) => keyMatches(item.key, step));
      next = pair?.value ?? pair?.key;
      nextKey = isScalar(pair?.key) ? pair.key : undefined;
    } else if (isSeq(node) && typeof step === 'number') {
      next = node.items[step];
    }
    if (next === undefined || next === null) return rangeStart(keyNode ?? node);
    node = next;
    keyNode = nextKey;
  }
  return rangeStart(target === 'key' ? (keyNode ?? node) : node);
}

/** rangeStart is a node's first offset, or 0 for an empty document. */
function rangeStart(node: unknown): number {
  if (typeof node === 'object' && node !== null && 'range' in node && Array.isArray(node.range)) {
    const start: unknown = node.range[0];
    if (typeof start === 'number') return start;
  }
  return 0;
}

/** positionOf converts an offset to a 1-based line and column. */
export function positionOf(lineCounter: LineCounter, offset: number): Position {
  const { line, col } = lineCounter.linePos(offset);
  return { line, column: col };
}
