/**
 * did-you-mean: suggestions for misspelt keys and keywords, by edit distance.
 */

/**
 * editDistance counts the insertions, deletions, substitutions and swaps of adjacent letters that
 * turn one string into the other (optimal string alignment), ignoring case. Swaps count as one
 * edit because "alpah" for "alpha" is the typo people make.
 */
export function editDistance(a: string, b: string): number {
  const left = a.toLowerCase();
  const right = b.toLowerCase();
  // rows[i][j] is the distance between the first i letters of left and the first j of right.
  const rows: number[][] = [Array.from({ length: right.length + 1 }, (_, j) => j)];
  for (let i = 1; i <= left.length; i++) {
    const row = [i];
    for (let j = 1; j <= right.length; j++) {
      const above = rows[i - 1] ?? [];
      const cost = left[i - 1] === right[j - 1] ? 0 : 1;
      let best = Math.min((above[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (above[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && left[i - 1] === right[j - 2] && left[i - 2] === right[j - 1]) {
        best = Math.min(best, (rows[i - 2]?.[j - 2] ?? 0) + 1);
      }
      row.push(best);
    }
    rows.push(row);
  }
  return rows[left.length]?.[right.length] ?? 0;
}

/**
 * suggest returns the candidate closest to `word`, or undefined when none is close enough to be a
 * plausible typo: at most a third of the word's length may differ (and at least one edit).
 */
export function suggest(word: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.max(1, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const distance = editDistance(word, candidate);
    if (distance <= limit && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** didYouMean renders a hint sentence for `word`, or '' when there is no close candidate. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const best = suggest(word, candidates);
  return best === undefined ? '' : `Did you mean '${best}'?`;
}
