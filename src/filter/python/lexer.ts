/**
 * Tokenizer for Python expressions, following Python 3's lexical rules for the tokens an expression can hold:
 * names (Unicode identifiers), numbers (`1_000`, `0x1F`, `0o17`, `0b101`, `1.5e-3`, `5.`), strings with every
 * prefix and quote form, and operators. Newlines inside brackets and after a backslash join lines, as in Python;
 * a newline outside brackets ends a statement, which the parser turns into an error or the end of the input.
 */
import { FilterError } from "../errors.js";

export type Token =
  | { type: "name"; value: string; start: number; end: number }
  | { type: "number"; text: string; start: number; end: number }
  | { type: "string"; prefix: string; body: string; start: number; end: number }
  | { type: "op"; value: string; start: number; end: number }
  | { type: "newline"; start: number; end: number }
  | { type: "end"; start: number; end: number };

/** Python's reserved words; soft keywords (`match`, `case`, `type`) are ordinary names. */
export const KEYWORDS: ReadonlySet<string> = new Set([
  "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del",
  "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal",
  "not", "or", "pass", "raise", "return", "try", "while", "with", "yield",
]);

const OPERATORS = [
  "**=", "//=", ">>=", "<<=", "...",
  "**", "//", "<<", ">>", "<=", ">=", "==", "!=", "->", ":=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "@=",
  "+", "-", "*", "/", "%", "@", "&", "|", "^", "~", "<", ">", "(", ")", "[", "]", "{", "}", ",", ":", ".", ";", "=",
];

const IDENTIFIER = /[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*/uy;
const IDENTIFIER_CHAR = /[\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]/u;
const STRING_PREFIXES = new Set(["r", "u", "b", "f", "br", "rb", "fr", "rf"]);
const DIGITS = String.raw`\d(?:_?\d)*`;
const EXPONENT = String.raw`[eE][+-]?${DIGITS}`;
const NUMBER_FORMS = [
  /0[xX](?:_?[0-9a-fA-F])+/y,
  /0[oO](?:_?[0-7])+/y,
  /0[bB](?:_?[01])+/y,
  new RegExp(String.raw`${DIGITS}\.(?:${DIGITS})?(?:${EXPONENT})?[jJ]?`, "y"),
  new RegExp(String.raw`\.${DIGITS}(?:${EXPONENT})?[jJ]?`, "y"),
  new RegExp(String.raw`${DIGITS}${EXPONENT}[jJ]?`, "y"),
  new RegExp(String.raw`${DIGITS}[jJ]?`, "y"),
];
const OPENERS: Record<string, string> = { "(": ")", "[": "]", "{": "}" };

/** Splits `text` into tokens; throws `errorClass` (a FilterError) with the offset of the first bad character. */
export function tokenize(text: string, errorClass: typeof FilterError = FilterError): Token[] {
  const tokens: Token[] = [];
  const brackets: Array<{ char: string; at: number }> = [];
  const fail = (message: string, at: number): never => {
    throw new errorClass(message, { text, offset: at });
  };
  const lineOf = (at: number): number => text.slice(0, at).split("\n").length;
  let pos = 0;

  while (pos < text.length) {
    const char = text[pos] as string;
    if (char === " " || char === "\t" || char === "\f" || char === "\r") {
      pos++;
      continue;
    }
    if (char === "#") {
      while (pos < text.length && text[pos] !== "\n") pos++;
      continue;
    }
    if (char === "\\") {
      // An explicit line join: the backslash must end its line.
      const next = text[pos + 1] === "\r" ? pos + 2 : pos + 1;
      if (text[next] === "\n") {
        pos = next + 1;
        continue;
      }
      fail("unexpected character after line continuation character", pos);
    }
    if (char === "\n") {
      const last = tokens[tokens.length - 1];
      if (brackets.length === 0 && last !== undefined && last.type !== "newline") {
        tokens.push({ type: "newline", start: pos, end: pos + 1 });
      }
      pos++;
      continue;
    }

    IDENTIFIER.lastIndex = pos;
    const identifier = IDENTIFIER.exec(text);
    if (identifier !== null) {
      const word = identifier[0];
      const after = pos + word.length;
      const quote = text[after];
      if ((quote === "'" || quote === '"') && STRING_PREFIXES.has(word.toLowerCase())) {
        pos = scanString(text, pos, after, word, tokens, fail, lineOf);
        continue;
      }
      tokens.push({ type: "name", value: word.normalize("NFKC"), start: pos, end: after });
      pos = after;
      continue;
    }
    if (char === "'" || char === '"') {
      pos = scanString(text, pos, pos, "", tokens, fail, lineOf);
      continue;
    }
    if (/[0-9]/.test(char) || (char === "." && /[0-9]/.test(text[pos + 1] ?? ""))) {
      pos = scanNumber(text, pos, tokens, fail);
      continue;
    }

    const operator = OPERATORS.find((op) => text.startsWith(op, pos));
    if (operator === undefined) {
      const codePoint = text.codePointAt(pos) ?? 0;
      const shown = String.fromCodePoint(codePoint);
      const hex = codePoint.toString(16).toUpperCase().padStart(4, "0");
      if (char === "!") fail("invalid syntax", pos);
      fail(`invalid character '${shown}' (U+${hex})`, pos);
    }
    const op = operator as string;
    if (op in OPENERS) brackets.push({ char: op, at: pos });
    if (op === ")" || op === "]" || op === "}") {
      const open = brackets.pop();
      if (open === undefined) fail(`unmatched '${op}'`, pos);
      else if (OPENERS[open.char] !== op) {
        fail(`closing parenthesis '${op}' does not match opening parenthesis '${open.char}'`, pos);
      }
    }
    tokens.push({ type: "op", value: op, start: pos, end: pos + op.length });
    pos += op.length;
  }

  const unclosed = brackets.pop();
  if (unclosed !== undefined) fail(`'${unclosed.char}' was never closed`, unclosed.at);
  tokens.push({ type: "end", start: text.length, end: text.length });
  return tokens;
}

function scanNumber(text: string, pos: number, tokens: Token[], fail: (message: string, at: number) => never): number {
  let match: string | undefined;
  for (const form of NUMBER_FORMS) {
    form.lastIndex = pos;
    const found = form.exec(text);
    if (found !== null) {
      match = found[0];
      break;
    }
  }
  if (match === undefined) return fail("invalid decimal literal", pos);
  const end = pos + match.length;
  const next = text[end] ?? "";
  if (next === "_" || IDENTIFIER_CHAR.test(next)) {
    const kind = /^0[xX]/.test(match) ? "hexadecimal" : /^0[oO]/.test(match) ? "octal" : /^0[bB]/.test(match) ? "binary" : "decimal";
    fail(`invalid ${kind} literal`, end);
  }
  const digits = match.replace(/_/g, "");
  if (/^0+[1-9][0-9]*$/.test(digits)) {
    fail("leading zeros in decimal integer literals are not permitted; use an 0o prefix for octal integers", pos);
  }
  tokens.push({ type: "number", text: match, start: pos, end });
  return end;
}

function scanString(
  text: string,
  start: number,
  quoteAt: number,
  prefix: string,
  tokens: Token[],
  fail: (message: string, at: number) => never,
  lineOf: (at: number) => number,
): number {
  const quoteChar = text[quoteAt] as string;
  const triple = text.startsWith(quoteChar.repeat(3), quoteAt);
  const quote = triple ? quoteChar.repeat(3) : quoteChar;
  let pos = quoteAt + quote.length;
  const bodyStart = pos;
  while (pos < text.length) {
    const char = text[pos];
    if (char === "\\") {
      // Even in raw strings a backslash keeps the next character (a quote or a newline) inside the string.
      pos += 2;
      continue;
    }
    if (!triple && char === "\n") break;
    if (text.startsWith(quote, pos)) {
      tokens.push({ type: "string", prefix: prefix.toLowerCase(), body: text.slice(bodyStart, pos), start, end: pos + quote.length });
      return pos + quote.length;
    }
    pos++;
  }
  const kind = triple ? "unterminated triple-quoted string literal" : "unterminated string literal";
  return fail(`${kind} (detected at line ${lineOf(Math.min(pos, text.length))})`, start);
}
