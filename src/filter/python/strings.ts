/**
 * Decoding of Python string literal bodies: the escapes of Python 3 `str` literals (`\n`, `\x41`, `\u00e9`,
 * `\U0001F600`, octal `\101`, line continuation), raw strings kept as written, and Python's rule that an unknown
 * escape such as `\d` stays as the two characters (which is why `regex(f, '\d+')` works without an r prefix).
 */

const SIMPLE_ESCAPES: Record<string, string> = {
  "\\": "\\",
  "'": "'",
  '"': '"',
  a: "\x07",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
};

/** Why an escape could not be decoded, and where in the body it starts. */
export class EscapeError extends Error {
  constructor(
    message: string,
    readonly at: number,
  ) {
    super(message);
  }
}

/** The value of a string literal body (between the quotes); `raw` for r-prefixed literals. */
export function decodeStringBody(body: string, raw: boolean): string {
  if (raw) return body.replace(/\r\n/g, "\n");
  let out = "";
  let pos = 0;
  while (pos < body.length) {
    const char = body[pos] as string;
    if (char !== "\\") {
      out += char === "\r" && body[pos + 1] === "\n" ? "" : char;
      pos++;
      continue;
    }
    const next = body[pos + 1];
    if (next === undefined) throw new EscapeError("trailing backslash in string", pos);
    if (next === "\n") {
      pos += 2;
      continue;
    }
    if (next === "\r" && body[pos + 2] === "\n") {
      pos += 3;
      continue;
    }
    const simple = SIMPLE_ESCAPES[next];
    if (simple !== undefined) {
      out += simple;
      pos += 2;
      continue;
    }
    if (/[0-7]/.test(next)) {
      const digits = /^[0-7]{1,3}/.exec(body.slice(pos + 1))?.[0] ?? next;
      out += String.fromCodePoint(parseInt(digits, 8));
      pos += 1 + digits.length;
      continue;
    }
    const hexLength = next === "x" ? 2 : next === "u" ? 4 : next === "U" ? 8 : 0;
    if (hexLength > 0) {
      const digits = body.slice(pos + 2, pos + 2 + hexLength);
      if (!new RegExp(`^[0-9a-fA-F]{${hexLength}}$`).test(digits)) {
        throw new EscapeError(`(unicode error) truncated \\${next}${"X".repeat(hexLength)} escape`, pos);
      }
      const codePoint = parseInt(digits, 16);
      if (codePoint > 0x10ffff) throw new EscapeError("(unicode error) illegal Unicode character", pos);
      out += String.fromCodePoint(codePoint);
      pos += 2 + hexLength;
      continue;
    }
    if (next === "N") {
      // Python resolves \N{NAME} from the Unicode name database, which we do not carry; say so instead of guessing.
      throw new EscapeError("\\N{...} escapes are not supported here; write the character itself or use \\u", pos);
    }
    out += `\\${next}`;
    pos += 2;
  }
  return out;
}
