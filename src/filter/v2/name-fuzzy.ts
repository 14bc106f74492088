/**
 * `name_fuzzy`, v2's name search box (labtasker 2.8.0's `name_search.py`): the query splits into words at
 * whitespace, and a name matches when each word's characters appear in it in order (a subsequence), case-folded,
 * each word searched from the start of the name on its own. `"res swp"` matches `"resnet50 lr sweep"`. A blank
 * query matches every task, a null name no non-blank query. No ranking, no fzf operators, no accent folding
 * (`uber` does not find `Über`).
 */
import { splitPythonWords } from "./values.js";

const folded = new Map<string, string>();

/**
 * Python's `str.casefold()` for one character. Lower, upper, lower again reaches the same classes as casefold for
 * every character Python 3.11 knows (checked over all code points): `ß` and `ẞ` become `ss`, `ς` `σ`, Cherokee
 * pairs meet. The exception is dotless `ı`, which casefold keeps apart from `i`.
 */
function foldCharacter(character: string): string {
  let out = folded.get(character);
  if (out === undefined) {
    out = character === "ı" ? character : character.toLowerCase().toUpperCase().toLowerCase();
    if (folded.size < 65_536) folded.set(character, out);
  }
  return out;
}

/** A string case-folded character by character (as casefold works; a whole-string toLowerCase applies final sigma). */
export function caseFold(text: string): string {
  let out = "";
  for (const character of text) out += foldCharacter(character);
  return out;
}

/** The words of a `name_fuzzy` query, case-folded; none for a blank query. */
export function fuzzyWords(query: string): string[] {
  return splitPythonWords(caseFold(query));
}

/** Whether a task's name matches a `name_fuzzy` query (see the module comment). */
export function nameMatchesFuzzy(name: string | null | undefined, query: string): boolean {
  return compileNameFuzzy(query)(name);
}

/** The matcher of one query, to run over many names without splitting and folding the query each time. */
export function compileNameFuzzy(query: string): (name: string | null | undefined) => boolean {
  const words = fuzzyWords(query);
  if (words.length === 0) return () => true;
  return (name) => {
    if (typeof name !== "string") return false;
    const haystack = caseFold(name);
    for (const word of words) {
      let position = 0;
      for (const character of word) {
        const index = haystack.indexOf(character, position);
        if (index < 0) return false;
        position = index + character.length;
      }
    }
    return true;
  };
}
