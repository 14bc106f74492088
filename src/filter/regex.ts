/**
 * MongoDB regular expressions (PCRE with options `i m s x`) as JavaScript RegExps, plus the same pattern as a
 * JSONata regex literal. Both evaluators use the source this module produces, so they agree on every pattern.
 *
 * What is translated: a leading inline-flag group such as `(?i)` or `(?ims)` (v1's documented way to ask for case
 * insensitivity) becomes flags; the `x` option strips whitespace and `#` comments; `\A`, `\z`, `\Z` become
 * lookarounds, and so does `$` outside multiline mode (PCRE lets it match before a final newline);
 * `(?P<name>...)` becomes `(?<name>...)`. PCRE-only constructs JavaScript lacks (possessive
 * quantifiers, atomic groups, inline flags in mid-pattern) fail to compile and are reported, never mis-read.
 *
 * Catastrophic backtracking (`^(a+)+$` against `aaaa…_`) would block the whole process, and JavaScript cannot
 * interrupt a running regex. Two guards: V8 re-runs a regex that backtracks too much on its linear-time engine
 * (enabled below; it covers patterns without lookarounds, backreferences and the `i` flag, which is why the
 * translation avoids lookarounds where it can), and a pattern the linear engine cannot run is refused when it
 * repeats a group that itself repeats or alternates (`(a+)+`, `(a|aa)*`, `(.*a){20}`), the shapes that blow up.
 */
import { setFlagsFromString } from "node:v8";

// The linear-time fallback for regexes that backtrack too much, and the `l` flag that tells which patterns qualify.
setFlagsFromString("--enable-experimental-regexp-engine-on-excessive-backtracks");
setFlagsFromString("--enable-experimental-regexp-engine");

export interface TranslatedRegex {
  /** JavaScript RegExp source. */
  source: string;
  /** JavaScript flags, a subset of `ims`. */
  flags: string;
}

const VALID_OPTIONS = new Set(["i", "m", "s", "x"]);

/** Throws an Error whose message explains what is wrong with the pattern or its options. */
export function translateRegex(pattern: string, options = ""): TranslatedRegex {
  const flags = new Set<string>();
  for (const option of options) {
    if (!VALID_OPTIONS.has(option)) throw new Error(`invalid flag in regex options: ${option}`);
    flags.add(option);
  }
  if (pattern.includes("\0")) throw new Error("Regular expression cannot contain an embedded null byte");
  let body = pattern;
  const inline = /^\(\?([imsx]+)\)/.exec(body);
  if (inline !== null) {
    for (const flag of inline[1] as string) flags.add(flag);
    body = body.slice(inline[0].length);
  }
  const source = rewrite(body, flags.has("x"), flags.has("m"));
  const jsFlags = ["i", "m", "s"].filter((flag) => flags.has(flag)).join("");
  try {
    new RegExp(source, jsFlags);
  } catch (error) {
    throw new Error(`Regular expression is invalid: ${(error as Error).message.replace(/^Invalid regular expression: /, "")}`);
  }
  assertSafeRegex(source, jsFlags, pattern);
  return { source, flags: jsFlags };
}

/** Whether V8's linear-time engine can run the pattern (then its fallback bounds any backtracking). */
function runsInLinearTime(source: string, flags: string): boolean {
  try {
    new RegExp(source, `${flags}l`);
    return true;
  } catch {
    return false; // not linear, or a V8 without the flag: the static check decides
  }
}

/**
 * True when a quantifier that repeats (`*`, `+`, `{n,}`, `{n,m}` with m > 1) applies to a group that itself holds a
 * repeating quantifier or an alternation: the shapes whose backtracking grows exponentially with the input.
 */
export function hasNestedRepetition(source: string): boolean {
  interface Group {
    repeats: boolean;
    alternates: boolean;
  }
  const stack: Group[] = [{ repeats: false, alternates: false }];
  let lastGroup: Group | null = null;
  for (let pos = 0; pos < source.length; pos++) {
    const char = source[pos] as string;
    if (char === "\\") {
      pos++;
      lastGroup = null;
      continue;
    }
    if (char === "[") {
      pos++;
      if (source[pos] === "^") pos++;
      if (source[pos] === "]") pos++;
      while (pos < source.length && source[pos] !== "]") pos += source[pos] === "\\" ? 2 : 1;
      lastGroup = null;
      continue;
    }
    if (char === "(") {
      stack.push({ repeats: false, alternates: false });
      lastGroup = null;
      continue;
    }
    if (char === ")" && stack.length > 1) {
      const group = stack.pop() as Group;
      const parent = stack[stack.length - 1] as Group;
      parent.repeats ||= group.repeats;
      parent.alternates ||= group.alternates;
      lastGroup = group;
      continue;
    }
    if (char === "|") {
      (stack[stack.length - 1] as Group).alternates = true;
      lastGroup = null;
      continue;
    }
    const counted = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(pos));
    const repeats = char === "*" || char === "+" || (counted !== null && (counted[2] === undefined ? Number(counted[1]) > 1 : counted[3] === "" || Number(counted[3]) > 1));
    if (counted !== null) pos += counted[0].length - 1;
    if (repeats) {
      if (lastGroup !== null && (lastGroup.repeats || lastGroup.alternates)) return true;
      (stack[stack.length - 1] as Group).repeats = true;
    }
    if (char !== "?") lastGroup = null;
  }
  return false;
}

/**
 * Refuses a regex that could backtrack for ever: one the linear-time engine cannot run (lookarounds, backreferences,
 * case-insensitive) that repeats a repeating or alternating group. `shown` is the pattern as the user wrote it.
 */
export function assertSafeRegex(source: string, flags: string, shown = source): void {
  if (runsInLinearTime(source, flags) || !hasNestedRepetition(source)) return;
  throw new Error(
    `Regular expression ${JSON.stringify(shown)} could take exponential time: it repeats a group that itself repeats or ` +
      "alternates, and uses case-insensitivity, lookarounds or backreferences; simplify the repeated group " +
      "(e.g. `(a+)+` -> `a+`)",
  );
}

/** Whether nothing but closing parentheses follows position `pos` (the last character of an anchor). */
function endsPattern(pattern: string, pos: number): boolean {
  return /^\)*$/.test(pattern.slice(pos + 1));
}

/** Walks the pattern once, applying the PCRE-to-JavaScript rewrites of the module comment. */
function rewrite(pattern: string, extended: boolean, multiline: boolean): string {
  let out = "";
  let inClass = false;
  for (let pos = 0; pos < pattern.length; pos++) {
    const char = pattern[pos] as string;
    if (char === "\\") {
      const next = pattern[pos + 1] ?? "";
      pos++;
      // Outside multiline mode `^` and `$` mean the same without a lookaround, which keeps the linear engine usable.
      if (!inClass && next === "A") out += multiline ? "(?<![\\s\\S])" : "^";
      else if (!inClass && next === "z") out += multiline ? "(?![\\s\\S])" : "$";
      else if (!inClass && next === "Z") out += !multiline && endsPattern(pattern, pos) ? "\\n?$" : "(?=\\n?(?![\\s\\S]))";
      else out += `\\${next}`;
      continue;
    }
    if (inClass) {
      if (char === "]") inClass = false;
      out += char;
      continue;
    }
    if (char === "[") {
      inClass = true;
      out += char;
      // A `]` right after `[` or `[^` is a literal in PCRE; JavaScript reads `[]` as an empty class.
      if (pattern[pos + 1] === "^") {
        out += "^";
        pos++;
      }
      if (pattern[pos + 1] === "]") {
        out += "\\]";
        pos++;
      }
      continue;
    }
    if (extended && /\s/.test(char)) continue;
    if (extended && char === "#") {
      while (pos < pattern.length && pattern[pos] !== "\n") pos++;
      continue;
    }
    if (char === "$" && !multiline) {
      // PCRE's `$` also matches before a final newline; JavaScript's only at the very end. At the end of the pattern
      // consuming that newline is the same test, and needs no lookaround.
      out += endsPattern(pattern, pos) ? "\\n?$" : "(?=\\n?(?![\\s\\S]))";
      continue;
    }
    if (pattern.startsWith("(?P<", pos)) {
      out += "(?<";
      pos += 3;
      continue;
    }
    if (pattern.startsWith("(?#", pos)) {
      const close = pattern.indexOf(")", pos);
      pos = close === -1 ? pattern.length : close;
      continue;
    }
    out += char;
  }
  return out;
}

/**
 * The same regex as a JSONata literal (`/source/flags`). JSONata knows only the `i` and `m` flags and finds the
 * closing slash by counting brackets, so: `s` becomes `[\s\S]` for each `.` outside classes, every `/`, every
 * bracket character inside a class and every literal `]` outside one is escaped, a literal backslash is written
 * `\x5c`, and a `{` or `}` that is not part of a quantifier is escaped. Each rewrite keeps the meaning of the JavaScript source.
 */
export function toJsonataRegex({ source, flags }: TranslatedRegex): string {
  const dotAll = flags.includes("s");
  let out = "";
  let inClass = false;
  for (let pos = 0; pos < source.length; pos++) {
    const char = source[pos] as string;
    if (char === "\\") {
      const next = source[pos + 1] ?? "";
      pos++;
      out += next === "\\" ? "\\x5c" : next === "/" ? "\\/" : `\\${next}`;
      continue;
    }
    if (inClass) {
      if (char === "]") {
        inClass = false;
        out += "]";
      } else if ("[(){}/".includes(char)) {
        out += `\\${char}`;
      } else {
        out += char;
      }
      continue;
    }
    if (char === "[") {
      inClass = true;
      out += "[";
      if (source[pos + 1] === "^") {
        out += "^";
        pos++;
      }
      continue;
    }
    if (char === "/" || char === "]") out += `\\${char}`;
    else if (char === "." && dotAll) out += "[\\s\\S]";
    else if (char === "{") {
      // A quantifier is copied whole; any other brace is a literal and must not count as a bracket.
      const quantifier = /^\{\d+(,\d*)?\}/.exec(source.slice(pos))?.[0];
      out += quantifier ?? "\\{";
      if (quantifier !== undefined) pos += quantifier.length - 1;
    } else if (char === "}") out += "\\}";
    else out += char;
  }
  const jsonataFlags = flags.replace("s", "");
  return `/${out === "" ? "(?:)" : out}/${jsonataFlags}`;
}
