/**
 * MongoDB regular expressions (PCRE with options `i m s x`) as JavaScript RegExps, plus the same pattern as a
 * JSONata regex literal. Both evaluators use the source this module produces, so they agree on every pattern.
 *
 * What is translated: a leading inline-flag group such as `(?i)` or `(?ims)` (v1's documented way to ask for case
 * insensitivity) becomes flags; the `x` option strips whitespace and `#` comments; `\A`, `\z`, `\Z` become
 * lookarounds, and so does `$` outside multiline mode (PCRE lets it match before a final newline);
 * `(?P<name>...)` becomes `(?<name>...)`. PCRE-only constructs JavaScript lacks (possessive
 * quantifiers, atomic groups, inline flags in mid-pattern) fail to compile and are reported, never mis-read.
 */

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
  return { source, flags: jsFlags };
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
      if (!inClass && next === "A") out += "(?<![\\s\\S])";
      else if (!inClass && next === "z") out += "(?![\\s\\S])";
      else if (!inClass && next === "Z") out += "(?=\\n?(?![\\s\\S]))";
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
      // PCRE's `$` also matches before a final newline; JavaScript's only at the very end.
      out += "(?=\\n?(?![\\s\\S]))";
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
