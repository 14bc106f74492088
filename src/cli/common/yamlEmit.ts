/**
 * YAML as labtasker v1's CLI writes it: PyYAML's `yaml.dump(value, indent=2, sort_keys=False, allow_unicode=True)`
 * (default width 80), for `task ls` / `worker ls` and the editor of `task update`. test/cli/yamlGolden.test.ts pins
 * the output byte for byte against PyYAML's own (test/cli/golden/, written by make_yaml_golden.py).
 *
 * Why hand-written rather than the `yaml` package's stringify: no option set of that library reproduces PyYAML's
 * choices (sequences inside mappings not indented, which strings are quoted and how, folding long strings at 80
 * columns with PyYAML's rules, `'a\n\n  b'` for line breaks). So this is a port of the part of PyYAML's emitter
 * (yaml/emitter.py) that JSON-like values reach: block collections, `[]`/`{}` for empty ones, `? key` for keys that
 * cannot be simple, and the plain, single- and double-quoted scalar writers with their state (column, whether the
 * last character was whitespace or indentation). Names follow PyYAML's so the two can be read side by side.
 * Not ported: anchors for shared objects, tags, block scalars (PyYAML never picks them without a style hint).
 *
 * Extensions for the CLI: a palette colours keys and scalars (colour codes do not count as columns), and end-of-line
 * comments at column 50 for chosen keys, as v1's editor view (ruamel) writes them.
 */
import { isLosslessNumber, pythonFloatRepr, type LosslessNumber } from "../../json.js";
import { palette as makePalette, type Palette } from "./terminal.js";
import { resolvesToOtherType } from "./yamlSchema.js";

/** A datetime written unquoted, as PyYAML writes Python datetimes (`2025-02-23 11:41:41.908000`). */
export class YamlTimestamp {
  constructor(readonly text: string) {}
}

/** A float as PyYAML writes it: Python's repr, lower case, with `.0` before a bare exponent (`1.0e-05`). */
export function yamlFloat(value: number): string {
  if (Number.isNaN(value)) return ".nan";
  if (!Number.isFinite(value)) return value > 0 ? ".inf" : "-.inf";
  const repr = pythonFloatRepr(value).toLowerCase();
  return !repr.includes(".") && repr.includes("e") ? repr.replace("e", ".0e") : repr;
}

export interface DumpOptions {
  /** Colours for keys and scalars. @defaultValue none */
  palette?: Palette;
  /**
   * An end-of-line comment for the line of a mapping key, by the key's path (`[0, "task_id"]`); written at column 50
   * as v1's editor view (ruamel) does.
   */
  comment?: (path: ReadonlyArray<string | number>) => string | undefined;
}

/** The YAML text of a JSON-like value, ending with a newline. */
export function dumpYaml(value: unknown, options: DumpOptions = {}): string {
  const emitter = new Emitter(options.palette ?? makePalette(false), options.comment);
  return emitter.document(value);
}

/** PyYAML's emitter settings for `indent=2` and the default width. */
const BEST_INDENT = 2;
const BEST_WIDTH = 80;
const BREAKS = "\n\u0085\u2028\u2029";
/** What PyYAML counts as whitespace around an indicator (`\0` included, as it does). */
const WHITESPACE = "\0 \t\r\n\u0085\u2028\u2029";
const ESCAPE_REPLACEMENTS: Record<string, string> = {
  "\0": "0",
  "\u0007": "a",
  "\b": "b",
  "\t": "t",
  "\n": "n",
  "\u000b": "v",
  "\f": "f",
  "\r": "r",
  "\u001b": "e",
  '"': '"',
  "\\": "\\",
  "\u0085": "N",
  "\u00a0": "_",
  "\u2028": "L",
  "\u2029": "P",
};

type ScalarKind = "string" | "number" | "literal";
type Style = "plain" | "single" | "double";

/** What PyYAML's analyze_scalar finds in a string, reduced to what block context needs. */
interface Analysis {
  empty: boolean;
  multiline: boolean;
  allowBlockPlain: boolean;
  allowSingleQuoted: boolean;
}

function codePoint(char: string): number {
  return char.codePointAt(0)!;
}

/** Printable for PyYAML with allow_unicode (everything else forces double quotes). */
function isPrintable(char: string): boolean {
  const code = codePoint(char);
  if (char === "\n" || (code >= 0x20 && code <= 0x7e)) return true;
  return (code === 0x85 || (code >= 0xa0 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code < 0x10ffff)) && code !== 0xfeff;
}

/** PyYAML's Emitter.analyze_scalar, for block context with allow_unicode. */
function analyzeScalar(chars: readonly string[]): Analysis {
  if (chars.length === 0) return { empty: true, multiline: false, allowBlockPlain: true, allowSingleQuoted: true };
  const text = chars.join("");
  let blockIndicators = text.startsWith("---") || text.startsWith("...");
  let lineBreaks = false;
  let specialCharacters = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let precededByWhitespace = true;
  let followedByWhitespace = chars.length === 1 || WHITESPACE.includes(chars[1]!);
  let previousSpace = false;
  let previousBreak = false;
  for (let index = 0; index < chars.length; ) {
    const ch = chars[index]!;
    if (index === 0) {
      if ("#,[]{}&*!|>'\"%@`".includes(ch)) blockIndicators = true;
      if ("?:".includes(ch) && followedByWhitespace) blockIndicators = true;
      if (ch === "-" && followedByWhitespace) blockIndicators = true;
    } else {
      if (ch === ":" && followedByWhitespace) blockIndicators = true;
      if (ch === "#" && precededByWhitespace) blockIndicators = true;
    }
    const isBreak = BREAKS.includes(ch);
    if (isBreak) lineBreaks = true;
    if (!isPrintable(ch)) specialCharacters = true;
    if (ch === " ") {
      if (index === 0) leadingSpace = true;
      if (index === chars.length - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (isBreak) {
      if (index === 0) leadingBreak = true;
      if (index === chars.length - 1) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    index++;
    precededByWhitespace = WHITESPACE.includes(ch);
    followedByWhitespace = index + 1 >= chars.length || WHITESPACE.includes(chars[index + 1]!);
  }
  let allowBlockPlain = true;
  let allowSingleQuoted = true;
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) allowBlockPlain = false;
  if (breakSpace || spaceBreak || specialCharacters) allowBlockPlain = allowSingleQuoted = false;
  if (lineBreaks || blockIndicators) allowBlockPlain = false;
  return { empty: false, multiline: lineBreaks, allowBlockPlain, allowSingleQuoted };
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value) && !isLosslessNumber(value) && !(value instanceof YamlTimestamp) && !(value instanceof Date);
}

function isEmptyCollection(value: unknown): boolean {
  return (Array.isArray(value) && value.length === 0) || (isMapping(value) && Object.keys(value).length === 0);
}

/** A scalar as PyYAML's representer makes it: its text, whether that text reads back as itself when plain, a colour. */
function representScalar(value: unknown): { text: string; implicitPlain: boolean; kind: ScalarKind } {
  if (value === null || value === undefined) return { text: "null", implicitPlain: true, kind: "literal" };
  if (typeof value === "boolean") return { text: String(value), implicitPlain: true, kind: "literal" };
  if (typeof value === "bigint") return { text: String(value), implicitPlain: true, kind: "number" };
  if (typeof value === "number") return { text: Number.isInteger(value) ? String(value) : yamlFloat(value), implicitPlain: true, kind: "number" };
  if (isLosslessNumber(value)) {
    const text = (value as LosslessNumber).value;
    return { text: /^-?\d+$/.test(text) ? text : yamlFloat(Number(text)), implicitPlain: true, kind: "number" };
  }
  if (value instanceof YamlTimestamp) return { text: value.text, implicitPlain: true, kind: "number" };
  if (value instanceof Date) return { text: value.toISOString().replace("T", " ").replace("Z", ""), implicitPlain: true, kind: "number" };
  const text = String(value);
  return { text, implicitPlain: !resolvesToOtherType(text), kind: "string" };
}

/** The state machine of PyYAML's Emitter, driven by the value instead of events. */
class Emitter {
  private readonly out: string[] = [];
  private indents: Array<number | null> = [];
  private indent: number | null = null;
  private column = 0;
  private whitespace = true;
  private indention = true;
  private openEnded = false;
  private rootContext = false;
  private simpleKeyContext = false;

  constructor(
    private readonly style: Palette,
    private readonly comment: DumpOptions["comment"],
  ) {}

  document(value: unknown): string {
    // expect_document_start: the document starts implicitly, except when its root is an empty string
    // (check_empty_document), which PyYAML writes as `--- ''`.
    if (value === "") {
      this.writeIndent();
      this.writeIndicator("---", true);
    }
    this.node(value, { root: true });
    this.writeIndent(); // expect_document_end
    if (this.openEnded) {
      this.writeIndicator("...", true);
      this.writeIndent();
    }
    return this.out.join("");
  }

  /** Emitter.expect_node; `key` only picks the colour. */
  private node(value: unknown, context: { root?: boolean; mapping?: boolean; simpleKey?: boolean; key?: boolean }, path: Array<string | number> = []): void {
    this.rootContext = context.root === true;
    this.simpleKeyContext = context.simpleKey === true;
    if (Array.isArray(value)) {
      if (value.length === 0) this.emptyCollection("[", "]");
      else this.blockSequence(value, context.mapping === true, path);
    } else if (isMapping(value)) {
      if (Object.keys(value).length === 0) this.emptyCollection("{", "}");
      else this.blockMapping(value, path);
    } else {
      this.scalar(value, context.key === true);
    }
  }

  private increaseIndent(flow: boolean, indentless = false): void {
    this.indents.push(this.indent);
    if (this.indent === null) this.indent = flow ? BEST_INDENT : 0;
    else if (!indentless) this.indent += BEST_INDENT;
  }

  private popIndent(): void {
    this.indent = this.indents.pop() ?? null;
  }

  private emptyCollection(open: string, close: string): void {
    this.writeIndicator(open, true, true);
    this.writeIndicator(close, false);
  }

  private blockSequence(items: unknown[], mappingContext: boolean, path: Array<string | number>): void {
    this.increaseIndent(false, mappingContext && !this.indention);
    items.forEach((item, index) => {
      this.writeIndent();
      this.writeIndicator("-", true, false, true);
      this.node(item, {}, [...path, index]);
    });
    this.popIndent();
  }

  private blockMapping(object: Record<string, unknown>, path: Array<string | number>): void {
    this.increaseIndent(false);
    for (const [key, item] of Object.entries(object)) {
      this.writeIndent();
      const itemPath = [...path, key];
      const keyChars = Array.from(key);
      const keyAnalysis = analyzeScalar(keyChars);
      // check_simple_key: under 128 characters counting the key's tag, which PyYAML prepares even though it is not
      // written (`!!str`, 5), so keys of 123 characters or more take the `? key` form.
      if (keyChars.length + "!!str".length < 128 && !keyAnalysis.empty && !keyAnalysis.multiline) {
        this.node(key, { mapping: true, simpleKey: true, key: true });
        this.writeIndicator(":", false);
      } else {
        this.writeIndicator("?", true, false, true);
        this.node(key, { mapping: true, key: true });
        this.writeIndent();
        this.writeIndicator(":", true, false, true);
      }
      const nested = (Array.isArray(item) || isMapping(item)) && !isEmptyCollection(item);
      if (nested) this.writeComment(itemPath);
      this.node(item, { mapping: true }, itemPath);
      if (!nested) this.writeComment(itemPath);
    }
    this.popIndent();
  }

  private scalar(value: unknown, isKey: boolean): void {
    const { text, implicitPlain, kind } = representScalar(value);
    const chars = Array.from(text);
    const analysis = analyzeScalar(chars);
    const style = chooseScalarStyle(analysis, implicitPlain, this.simpleKeyContext);
    const split = !this.simpleKeyContext;
    this.increaseIndent(true); // expect_scalar
    if (style === "plain" && this.rootContext) this.openEnded = true;
    if (chars.length > 0 || style !== "plain") {
      // The separating space goes outside the colour.
      if (!this.whitespace) this.write(" ");
      this.whitespace = true;
      const mark = this.out.length;
      if (style === "plain") this.writePlain(chars, split);
      else if (style === "single") this.writeSingleQuoted(chars, split);
      else this.writeDoubleQuoted(chars, split);
      const written = this.out.splice(mark).join("");
      this.out.push(isKey ? this.style.key(written) : this.style[kind](written));
    }
    this.popIndent();
  }

  /** Text that takes columns (everything but colour codes). */
  private write(data: string): void {
    this.column += Array.from(data).length;
    this.out.push(data);
  }

  private writeIndicator(indicator: string, needWhitespace: boolean, whitespace = false, indention = false): void {
    this.write(this.whitespace || !needWhitespace ? indicator : ` ${indicator}`);
    this.whitespace = whitespace;
    this.indention = this.indention && indention;
    this.openEnded = false;
  }

  private writeIndent(): void {
    const indent = this.indent ?? 0;
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace)) this.writeLineBreak();
    if (this.column < indent) {
      this.whitespace = true;
      this.write(" ".repeat(indent - this.column));
    }
  }

  private writeLineBreak(data = "\n"): void {
    this.whitespace = true;
    this.indention = true;
    this.out.push(data);
    this.column = 0;
  }

  private writeComment(path: ReadonlyArray<string | number>): void {
    const comment = this.comment?.(path);
    if (comment === undefined) return;
    this.write(`${" ".repeat(Math.max(1, 50 - this.column))}# ${comment}`);
    this.whitespace = false;
  }

  /** Emitter.write_plain; the separating space is written by the caller. */
  private writePlain(text: readonly string[], split: boolean): void {
    this.whitespace = false;
    this.indention = false;
    let spaces = false;
    let start = 0;
    for (let end = 0; end <= text.length; end++) {
      const ch = end < text.length ? text[end]! : null;
      if (spaces) {
        if (ch !== " ") {
          if (start + 1 === end && this.column > BEST_WIDTH && split) {
            this.writeIndent();
            this.whitespace = false;
            this.indention = false;
          } else {
            this.write(text.slice(start, end).join(""));
          }
          start = end;
        }
      } else if (ch === null || ` ${BREAKS}`.includes(ch)) {
        // Plain scalars never hold line breaks here (analyze_scalar rules them out), so no `breaks` state.
        this.write(text.slice(start, end).join(""));
        start = end;
      }
      if (ch !== null) spaces = ch === " ";
    }
  }

  /** Emitter.write_single_quoted. */
  private writeSingleQuoted(text: readonly string[], split: boolean): void {
    this.writeIndicator("'", true);
    let spaces = false;
    let breaks = false;
    let start = 0;
    for (let end = 0; end <= text.length; end++) {
      const ch = end < text.length ? text[end]! : null;
      if (spaces) {
        if (ch === null || ch !== " ") {
          if (start + 1 === end && this.column > BEST_WIDTH && split && start !== 0 && end !== text.length) this.writeIndent();
          else this.write(text.slice(start, end).join(""));
          start = end;
        }
      } else if (breaks) {
        if (ch === null || !BREAKS.includes(ch)) {
          if (text[start] === "\n") this.writeLineBreak();
          for (const br of text.slice(start, end)) this.writeLineBreak(br);
          this.writeIndent();
          start = end;
        }
      } else if (ch === null || ` ${BREAKS}'`.includes(ch)) {
        if (start < end) {
          this.write(text.slice(start, end).join(""));
          start = end;
        }
      }
      if (ch === "'") {
        this.write("''");
        start = end + 1;
      }
      if (ch !== null) {
        spaces = ch === " ";
        breaks = BREAKS.includes(ch);
      }
    }
    this.writeIndicator("'", false);
  }

  /** Emitter.write_double_quoted (allow_unicode: printable BMP characters are written as they are). */
  private writeDoubleQuoted(text: readonly string[], split: boolean): void {
    this.writeIndicator('"', true);
    let start = 0;
    for (let end = 0; end <= text.length; end++) {
      const ch = end < text.length ? text[end]! : null;
      if (ch === null || '"\\\u0085\u2028\u2029\ufeff'.includes(ch) || !isDoubleQuotedPrintable(ch)) {
        if (start < end) {
          this.write(text.slice(start, end).join(""));
          start = end;
        }
        if (ch !== null) {
          this.write(`\\${escapeChar(ch)}`);
          start = end + 1;
        }
      }
      if (0 < end && end < text.length - 1 && (ch === " " || start >= end) && this.column + (end - start) > BEST_WIDTH && split) {
        this.write(`${text.slice(start, end).join("")}\\`);
        if (start < end) start = end;
        this.writeIndent();
        this.whitespace = false;
        this.indention = false;
        if (text[start] === " ") this.write("\\");
      }
    }
    this.writeIndicator('"', false);
  }
}

/** Emitter.choose_scalar_style for block context and no style hint. */
function chooseScalarStyle(analysis: Analysis, implicitPlain: boolean, simpleKeyContext: boolean): Style {
  if (implicitPlain && !(simpleKeyContext && (analysis.empty || analysis.multiline)) && analysis.allowBlockPlain) return "plain";
  if (analysis.allowSingleQuoted && !(simpleKeyContext && analysis.multiline)) return "single";
  return "double";
}

function isDoubleQuotedPrintable(char: string): boolean {
  const code = codePoint(char);
  return (code >= 0x20 && code <= 0x7e) || (code >= 0xa0 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd);
}

function escapeChar(char: string): string {
  const named = ESCAPE_REPLACEMENTS[char];
  if (named !== undefined) return named;
  const code = codePoint(char);
  const hex = code.toString(16).toUpperCase();
  if (code <= 0xff) return `x${hex.padStart(2, "0")}`;
  if (code <= 0xffff) return `u${hex.padStart(4, "0")}`;
  return `U${hex.padStart(8, "0")}`;
}
