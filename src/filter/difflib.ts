/**
 * "Did you mean" suggestions computed as Python's `difflib.get_close_matches` does, so a misspelt field gets the
 * same suggestion from our CLI as from labtasker v1's (`Field 'arg' is unknown or not allowed. Maybe you meant
 * 'args'?`). Only the parts difflib uses for short strings are here: the junk heuristics of SequenceMatcher only
 * start at 200 characters, far beyond any field name.
 */

/** Longest common block of `a[aLo:aHi]` and `b[bLo:bHi]`: earliest in `a`, then earliest in `b`, as difflib picks. */
function longestMatch(a: string, b: string, aLo: number, aHi: number, bLo: number, bHi: number): [number, number, number] {
  let bestI = aLo;
  let bestJ = bLo;
  let bestSize = 0;
  // lengths[j] = length of the common suffix of a[..i] and b[..j], row by row (difflib's j2len).
  let previous = new Map<number, number>();
  for (let i = aLo; i < aHi; i++) {
    const current = new Map<number, number>();
    for (let j = bLo; j < bHi; j++) {
      if (a[i] !== b[j]) continue;
      const size = (previous.get(j - 1) ?? 0) + 1;
      current.set(j, size);
      if (size > bestSize) {
        bestI = i - size + 1;
        bestJ = j - size + 1;
        bestSize = size;
      }
    }
    previous = current;
  }
  return [bestI, bestJ, bestSize];
}

/** Total size of the matching blocks difflib finds (recursively left and right of each longest match). */
function matchingCharacters(a: string, b: string): number {
  let total = 0;
  const queue: Array<[number, number, number, number]> = [[0, a.length, 0, b.length]];
  while (queue.length > 0) {
    const [aLo, aHi, bLo, bHi] = queue.pop() as [number, number, number, number];
    const [i, j, size] = longestMatch(a, b, aLo, aHi, bLo, bHi);
    if (size === 0) continue;
    total += size;
    if (aLo < i && bLo < j) queue.push([aLo, i, bLo, j]);
    if (i + size < aHi && j + size < bHi) queue.push([i + size, aHi, j + size, bHi]);
  }
  return total;
}

/** `SequenceMatcher(None, a, b).ratio()`: 2 * matches / total length, 1.0 for two empty strings. */
export function similarityRatio(a: string, b: string): number {
  const length = a.length + b.length;
  return length === 0 ? 1 : (2 * matchingCharacters(a, b)) / length;
}

/**
 * `difflib.get_close_matches(word, possibilities, n, cutoff)`: the best `n` possibilities scoring at least
 * `cutoff`, best first; ties go to the lexicographically larger string, as Python's `heapq.nlargest` on
 * `(score, candidate)` tuples orders them.
 */
export function closeMatches(word: string, possibilities: readonly string[], n = 3, cutoff = 0.6): string[] {
  const scored: Array<[number, string]> = [];
  for (const candidate of possibilities) {
    // difflib compares with the candidate as sequence a and the word as sequence b.
    const score = similarityRatio(candidate, word);
    if (score >= cutoff) scored.push([score, candidate]);
  }
  scored.sort((x, y) => (y[0] !== x[0] ? y[0] - x[0] : y[1] < x[1] ? -1 : y[1] > x[1] ? 1 : 0));
  return scored.slice(0, n).map(([, candidate]) => candidate);
}
