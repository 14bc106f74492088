/**
 * Python's `str()` and `repr()` of JSON values, and `shlex.quote`: the loop renders task args into commands and log
 * lines exactly as labtasker v1 (a Python program) does, so a command sees `3.0` for a float submitted as `3.0`,
 * `True` for a boolean, and `{'a': 1}`-style text for containers.
 */
import { isLosslessNumber, pythonFloatRepr, type JsonValue, type LosslessNumber } from "../json.js";

/**
 * A JSON number as Python's `json` module loads it and `str()` prints it: text with a fraction or an exponent is a
 * float (`1e5` -> `100000.0`, `3.0` -> `3.0`), anything else an int of any size (`12345678901234567890` stays exact).
 */
export function pythonNumber(value: number | LosslessNumber): string {
  const text = isLosslessNumber(value) ? value.value : String(value);
  if (/[.eE]/.test(text) || !/^-?\d+$/.test(text)) return pythonFloatRepr(Number(text));
  return BigInt(text).toString();
}

/**
 * Characters `str.isprintable()` rejects besides the ASCII controls: other controls, format characters,
 * surrogates, private use, unassigned code points and separators other than the plain space.
 */
const NON_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;

function hex(codePoint: number, width: number): string {
  return codePoint.toString(16).padStart(width, "0");
}

/** Python's `repr()` of a str: single quotes unless the text holds a single quote and no double quote. */
export function pythonStrRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const char of text) {
    const codePoint = char.codePointAt(0)!;
    if (char === quote || char === "\\") out += `\\${char}`;
    else if (char === "\n") out += "\\n";
    else if (char === "\r") out += "\\r";
    else if (char === "\t") out += "\\t";
    else if (char !== " " && (codePoint < 0x20 || codePoint === 0x7f || NON_PRINTABLE.test(char))) {
      out += codePoint < 0x100 ? `\\x${hex(codePoint, 2)}` : codePoint < 0x10000 ? `\\u${hex(codePoint, 4)}` : `\\U${hex(codePoint, 8)}`;
    } else out += char;
  }
  return out + quote;
}

/** Python's `repr()` of a JSON value: `None`, `True`, `'text'`, `[1, 'x']`, `{'a': 3.0}`. */
export function pythonRepr(value: JsonValue): string {
  if (value === null) return "None";
  if (typeof value === "boolean") return value ? "True" : "False";
  if (typeof value === "string") return pythonStrRepr(value);
  if (typeof value === "number" || isLosslessNumber(value)) return pythonNumber(value);
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(", ")}]`;
  return `{${Object.entries(value).map(([key, item]) => `${pythonStrRepr(key)}: ${pythonRepr(item)}`).join(", ")}}`;
}

/** Python's `str()` of a JSON value: strings as they are, everything else as its repr. */
export function pythonStr(value: JsonValue): string {
  return typeof value === "string" ? value : pythonRepr(value);
}

/**
 * Python's `shlex.quote`: the text unchanged when it holds only `[A-Za-z0-9_@%+=:,./-]`, `''` when empty, else the
 * text in single quotes with each `'` written as `'"'"'`.
 */
export function shellQuote(text: string): string {
  if (text === "") return "''";
  if (!/[^\w@%+=:,./-]/.test(text)) return text;
  return `'${text.replaceAll("'", `'"'"'`)}'`;
}
