/**
 * `%(a.b)` placeholders in loop commands, with labtasker v1's grammar (its ANTLR `LabCmdLexer.g4`/`LabCmd.g4`,
 * written here as a small hand parser) and its rendering:
 *
 * - `%(` opens a placeholder; inside, blanks are skipped and the tokens are names `[a-zA-Z_][a-zA-Z0-9_]*`,
 *   integers `[0-9]+` and `.`; `)` closes it. A placeholder is one or more names or integers joined by dots, so
 *   `%( a . b )` is `%(a.b)` and `%(1)` looks up the key `"1"`. Anything else inside is a syntax error (`%()`,
 *   `%(a-b)`, an unclosed `%(a`); outside a placeholder every character, a lone `(` or `)` included, is text.
 * - The dotted paths of the placeholders are the loop's required fields ("no more, no less").
 * - A value renders as Python's `str()` (strings raw, `3.0` as `3.0`, `True`, lists as their repr); a dict renders
 *   as its Python repr with every `'` and `"` swapped (`{"a": 1}`). A missing key or a `None` value is an error.
 * - In shell mode (`-c`, `--script-path`, stdin) each rendered value goes through `shlex.quote`; in list mode
 *   (`-- cmd args...`) values are inserted as they are, since no shell parses them.
 */
import type { JsonObject, JsonValue } from "../../json.js";
import { isJsonObject, isLosslessNumber } from "../../json.js";
import { pythonRepr, pythonStr, pythonStrRepr, shellQuote } from "../../core/python.js";

/** Literal text, or a placeholder with its path (`["a", "b"]` for `%(a.b)`). */
export type Segment =
  | { kind: "text"; text: string }
  | { kind: "field"; path: string[]; key: string; offset: number };

/** Characters of context shown on each side of the caret (v1 shows 50). */
const CONTEXT = 50;

/** A problem in a command template, with the position it refers to, printed the way v1 prints it. */
export class CommandTemplateError extends Error {
  constructor(
    message: string,
    /** The template the offset points into. */
    readonly text: string,
    /** 0-based offset of the problem. */
    readonly offset: number,
  ) {
    super(message);
    this.name = new.target.name;
  }

  /** v1's layout: a title with line and column, the line around the column, a caret under it, the message. */
  format(): string {
    const before = this.text.slice(0, this.offset);
    const line = before.split("\n").length;
    const column = this.offset - (before.lastIndexOf("\n") + 1);
    const sourceLine = this.text.split("\n")[line - 1] ?? "";
    const start = Math.max(0, column - CONTEXT);
    const end = Math.min(sourceLine.length, column + CONTEXT + 1);
    const prefix = start > 0 ? "..." : "";
    const context = `${prefix}${sourceLine.slice(start, end)}${end < sourceLine.length ? "..." : ""}`;
    const header = "Err context: ";
    return [
      `Error when parsing cmd line at line ${line}, column ${column + 1}:`,
      `${header}${context}`,
      `${" ".repeat(header.length + column - start + prefix.length)}^  <-- Error here (Column: ${column + 1})`,
      `Error: ${this.message}`,
    ].join("\n");
  }
}

/** The template's placeholders are malformed (v1's `CmdSyntaxError`). */
export class CommandSyntaxError extends CommandTemplateError {}
/** A placeholder names a key the args do not have, or whose value is `None` (v1's `CmdKeyError`). */
export class CommandKeyError extends CommandTemplateError {}
/** A placeholder walks into a value that is not a dict (v1's `CmdTypeError`). */
export class CommandTypeError extends CommandTemplateError {}

const NAME = /[a-zA-Z_][a-zA-Z0-9_]*/y;
const INTEGER = /[0-9]+/y;
const BLANK = /[ \t\r\n]+/y;

function describe(char: string | undefined): string {
  return char === undefined ? "'<EOF>'" : `'${char}'`;
}

/** Splits a template into text and placeholders; throws a {@link CommandSyntaxError} at the first bad character. */
export function parseTemplate(text: string): Segment[] {
  const segments: Segment[] = [];
  let literal = "";
  let i = 0;
  while (i < text.length) {
    if (!text.startsWith("%(", i)) {
      literal += text[i];
      i += 1;
      continue;
    }
    if (literal) segments.push({ kind: "text", text: literal });
    literal = "";
    const offset = i;
    i += 2;
    const path: string[] = [];
    let expectName = true;
    for (;;) {
      BLANK.lastIndex = i;
      if (BLANK.test(text)) i = BLANK.lastIndex;
      const char = text[i];
      if (expectName) {
        NAME.lastIndex = i;
        INTEGER.lastIndex = i;
        const match = NAME.exec(text) ?? INTEGER.exec(text);
        if (match === null) {
          throw new CommandSyntaxError(`mismatched input ${describe(char)} expecting {ID, INT}`, text, Math.min(i, text.length));
        }
        path.push(match[0]);
        i += match[0].length;
        expectName = false;
      } else if (char === ".") {
        i += 1;
        expectName = true;
      } else if (char === ")") {
        i += 1;
        break;
      } else {
        throw new CommandSyntaxError(`mismatched input ${describe(char)} expecting {')', '.'}`, text, Math.min(i, text.length));
      }
    }
    segments.push({ kind: "field", path, key: path.join("."), offset });
  }
  if (literal) segments.push({ kind: "text", text: literal });
  return segments;
}

/** A parsed loop command: a shell string (`-c`, script, stdin) or an argv list (`-- cmd args...`). */
export interface CommandTemplate {
  /** The command as the user gave it. */
  source: string | string[];
  /** Whether values are shell-quoted (shell mode) or inserted as they are (list mode). */
  shell: boolean;
  parts: Array<{ text: string; segments: Segment[] }>;
  /** The distinct placeholder paths, in order of appearance: the loop's required fields. */
  requiredFields: string[];
}

/** Parses every part of a command; a string is one shell-mode part, a list is one list-mode part per argument. */
export function parseCommand(source: string | string[]): CommandTemplate {
  const texts = typeof source === "string" ? [source] : source;
  const parts = texts.map((text) => ({ text, segments: parseTemplate(text) }));
  const requiredFields = [...new Set(parts.flatMap((part) => part.segments.flatMap((s) => (s.kind === "field" ? [s.key] : []))))];
  return { source, shell: typeof source === "string", parts, requiredFields };
}

/** Python's type name of a JSON value, for v1's "Expected a dictionary-like object" message. */
function pythonTypeName(value: JsonValue): string {
  if (value === null) return "NoneType";
  if (typeof value === "boolean") return "bool";
  if (typeof value === "string") return "str";
  if (Array.isArray(value)) return "list";
  if (typeof value === "number" || isLosslessNumber(value)) {
    const text = isLosslessNumber(value) ? value.value : String(value);
    return /[.eE]/.test(text) ? "float" : "int";
  }
  return "dict";
}

/** The value a placeholder names in `args`, walking nested dicts; throws v1's key and type errors. */
function lookup(args: JsonObject, segment: Extract<Segment, { kind: "field" }>, text: string): JsonValue {
  let current: JsonValue = args;
  for (const part of segment.path) {
    if (!isJsonObject(current)) {
      throw new CommandTypeError(
        `Expected a dictionary-like object, but got '${pythonTypeName(current)}' for context '${part}'.`,
        text,
        segment.offset,
      );
    }
    const next: JsonValue | undefined = Object.hasOwn(current, part) ? current[part] : undefined;
    if (next === undefined || next === null) {
      throw new CommandKeyError(`Key '${part}' not found in the current context ${pythonRepr(current)}`, text, segment.offset);
    }
    current = next;
  }
  return current;
}

/** v1's rendering of one value: `str()`, with the quotes of a dict's repr swapped so it reads as JSON-like text. */
export function renderValue(value: JsonValue): string {
  if (isJsonObject(value)) return swapQuotes(pythonRepr(value));
  return pythonStr(value);
}

function swapQuotes(text: string): string {
  return text.replace(/['"]/g, (quote) => (quote === "'" ? '"' : "'"));
}

/** The command with every placeholder replaced by its value in `args`: a shell string or an argv list. */
export function renderCommand(template: CommandTemplate, args: JsonObject): string | string[] {
  const rendered = template.parts.map(({ text, segments }) =>
    segments
      .map((segment) => {
        if (segment.kind === "text") return segment.text;
        const value = renderValue(lookup(args, segment, text));
        return template.shell ? shellQuote(value) : value;
      })
      .join(""),
  );
  return template.shell ? rendered[0]! : rendered;
}

/** How a command reads in log lines: a shell string as it is, an argv list as Python's repr of the list. */
export function describeCommand(command: string | string[]): string {
  return typeof command === "string" ? command : `[${command.map(pythonStrRepr).join(", ")}]`;
}
