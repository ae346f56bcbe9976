/**
 * pattern-cache: compiles each configured regular expression once. A check runs every few
 * seconds for thousands of real servers; a config holds few distinct patterns.
 */

/** PatternCache returns the compiled RegExp for a source string (validated by the config loader). */
export type PatternCache = (source: string) => RegExp;

/** createPatternCache returns an empty cache; each checker instance keeps its own. */
export function createPatternCache(): PatternCache {
  const compiled = new Map<string, RegExp>();
  return (source) => {
    let regex = compiled.get(source);
    if (regex === undefined) {
      regex = new RegExp(source);
      compiled.set(source, regex);
    }
    return regex;
  };
}
