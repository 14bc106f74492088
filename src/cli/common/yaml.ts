/**
 * YAML as labtasker v1's CLI writes it (PyYAML `yaml.dump(..., indent=2, sort_keys=False, allow_unicode=True)`), and
 * a reader for what `task update`'s editor mode gets back.
 *
 * Why hand-written: the project has no YAML dependency yet, and the CLI needs only block mappings and sequences of
 * JSON values. The output follows PyYAML's choices so v1 users see the same text: keys in order, sequences inside
 * mappings not indented, `{}`/`[]` for empty collections, strings quoted only when PyYAML would quote them (when
 * they would read back as another type under YAML 1.1: `'true'`, `'0.1'`, `'yes'`), floats as Python prints them
 * (`3.0`, `1.0e-05`), datetimes unquoted (`2025-02-23 11:41:41.908000`). Differences: long strings are not folded
 * at 80 columns, and strings with line breaks use double quotes with `\n`.
 *
 * The reader takes that output back, plus what people type when editing: flow collections (`[a, b]`, `{k: v}`),
 * quotes, comments, YAML 1.1 scalars (`yes`, `~`, `0x1F`). It refuses block scalars (`|`, `>`), anchors and tags
 * with a message. When the `yaml` package is added, both functions can delegate to it (see the report).
 */
import { isLosslessNumber, LosslessNumber, pythonFloat, pythonFloatRepr, type JsonObject, type JsonValue } from "../../json.js";
import { palette as makePalette, type Palette } from "./terminal.js";

/** A datetime written unquoted, as PyYAML writes Python datetimes. */
export class YamlTimestamp {
  constructor(readonly text: string) {}
}

/** PyYAML's implicit resolvers (YAML 1.1): a plain scalar matching one of these is not a string. */
const RESOLVERS = {
  bool: /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/,
  float:
    /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/,
  int: /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/,
  null: /^(?:~|null|Null|NULL|)$/,
  timestamp:
    /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$/,
  special: /^(?:<<|=)$/,
};

/** Characters that make PyYAML quote a string: control characters and line breaks (written double-quoted). */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const NEEDS_DOUBLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff]/;

function resolvesToOtherType(text: string): boolean {
  return Object.values(RESOLVERS).some((pattern) => pattern.test(text));
}

function isPlainSafe(text: string): boolean {
  if (text === "" || resolvesToOtherType(text)) return false;
  if (/^\s|\s$/.test(text)) return false;
  const first = text[0]!;
  if ("#,[]{}&*!|>'\"%@`".includes(first)) return false;
  if ("-?:".includes(first) && (text.length === 1 || /\s/.test(text[1]!))) return false;
  if (text.includes(": ") || text.includes(" #") || text.endsWith(":")) return false;
  return true;
}

/** A string as a YAML scalar: plain when PyYAML would write it plain, else single- or double-quoted. */
export function yamlString(text: string): string {
  if (NEEDS_DOUBLE.test(text)) return JSON.stringify(text);
  if (isPlainSafe(text)) return text;
  return `'${text.replaceAll("'", "''")}'`;
}

/** A float as PyYAML writes it: Python's repr, lower case, with `.0` before a bare exponent (`1.0e-05`). */
export function yamlFloat(value: number): string {
  if (Number.isNaN(value)) return ".nan";
  if (!Number.isFinite(value)) return value > 0 ? ".inf" : "-.inf";
  const repr = pythonFloatRepr(value).toLowerCase();
  return !repr.includes(".") && repr.includes("e") ? repr.replace("e", ".0e") : repr;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value) && !isLosslessNumber(value) && !(value instanceof YamlTimestamp) && !(value instanceof Date);
}

function scalar(value: unknown, style: Palette): string {
  if (value === null || value === undefined) return style.literal("null");
  if (typeof value === "boolean") return style.literal(String(value));
  if (typeof value === "bigint") return style.number(String(value));
  if (typeof value === "number") return style.number(Number.isInteger(value) ? String(value) : yamlFloat(value));
  if (isLosslessNumber(value)) {
    const text = (value as LosslessNumber).value;
    return style.number(/^-?\d+$/.test(text) ? text : yamlFloat(Number(text)));
  }
  if (value instanceof YamlTimestamp) return style.number(value.text);
  if (value instanceof Date) return style.number(value.toISOString().replace("T", " ").replace("Z", ""));
  if (Array.isArray(value)) return "[]";
  if (isMapping(value)) return "{}";
  return style.string(yamlString(String(value)));
}

export interface DumpOptions {
  /** Colours for keys and scalars. @defaultValue none */
  palette?: Palette;
  /**
   * An end-of-line comment for the line of a mapping key, by the key's path (`[0, "task_id"]`); written at column 50
   * as v1's ruamel output does.
   */
  comment?: (path: ReadonlyArray<string | number>) => string | undefined;
}

/** The YAML text of a JSON-like value, ending with a newline. */
export function dumpYaml(value: unknown, options: DumpOptions = {}): string {
  const style = options.palette ?? makePalette(false);
  const lines: string[] = [];
  const withComment = (line: string, path: ReadonlyArray<string | number>): string => {
    const comment = options.comment?.(path);
    if (comment === undefined) return line;
    // Column 50 is measured on the uncoloured text.
    // eslint-disable-next-line no-control-regex -- ANSI colour sequences start with ESC
    const visible = line.replace(/\u001b\[[0-9;]*m/g, "").length;
    return `${line}${" ".repeat(Math.max(1, 50 - visible))}# ${comment}`;
  };

  const mapping = (object: Record<string, unknown>, indent: number, path: Array<string | number>, firstPrefix?: string) => {
    let first = true;
    for (const [key, item] of Object.entries(object)) {
      const pad = first && firstPrefix !== undefined ? firstPrefix : " ".repeat(indent);
      first = false;
      const keyText = `${pad}${style.key(yamlString(key))}:`;
      const itemPath = [...path, key];
      if (isMapping(item) && Object.keys(item).length > 0) {
        lines.push(withComment(keyText, itemPath));
        mapping(item, indent + 2, itemPath);
      } else if (Array.isArray(item) && item.length > 0) {
        lines.push(withComment(keyText, itemPath));
        sequence(item, indent, itemPath);
      } else {
        lines.push(withComment(`${keyText} ${scalar(item, style)}`, itemPath));
      }
    }
  };

  const sequence = (items: unknown[], indent: number, path: Array<string | number>, firstPrefix?: string) => {
    items.forEach((item, index) => {
      const pad = index === 0 && firstPrefix !== undefined ? firstPrefix : " ".repeat(indent);
      const itemPath = [...path, index];
      if (isMapping(item) && Object.keys(item).length > 0) mapping(item, indent + 2, itemPath, `${pad}- `);
      else if (Array.isArray(item) && item.length > 0) sequence(item, indent + 2, itemPath, `${pad}- `);
      else lines.push(`${pad}- ${scalar(item, style)}`);
    });
  };

  if (Array.isArray(value) && value.length > 0) sequence(value, 0, []);
  else if (isMapping(value) && Object.keys(value).length > 0) mapping(value, 0, []);
  else lines.push(scalar(value, style));
  return `${lines.join("\n")}\n`;
}

/** YAML the reader cannot take, with the 1-based line it is on. */
export class YamlError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`${message} (line ${line})`);
    this.name = "YamlError";
  }
}

interface Line {
  indent: number;
  text: string;
  number: number;
}

/** The text of a line without its comment (a `#` at the start or after whitespace, outside quotes). */
function stripComment(text: string): string {
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quote !== null) {
      if (char === quote) {
        if (quote === "'" && text[i + 1] === "'") i++;
        else quote = null;
      } else if (char === "\\" && quote === '"') {
        i++;
      }
    } else if (char === "'" || char === '"') {
      // A quote opens a quoted scalar only where a scalar starts.
      if (i === 0 || /[\s[{,:-]/.test(text[i - 1]!)) quote = char;
    } else if (char === "#" && (i === 0 || /\s/.test(text[i - 1]!))) {
      return text.slice(0, i).trimEnd();
    }
  }
  return text.trimEnd();
}

/** The value of a plain scalar under PyYAML's YAML 1.1 rules, numbers kept as Python would type them. */
function resolvePlain(text: string, line: number): JsonValue {
  if (RESOLVERS.null.test(text)) return null;
  if (RESOLVERS.bool.test(text)) return /^(?:yes|true|on)$/i.test(text);
  if (RESOLVERS.int.test(text)) return resolveInt(text);
  if (RESOLVERS.float.test(text)) {
    if (/inf|nan/i.test(text)) throw new YamlError(`${text} cannot be stored (JSON has no infinity or NaN)`, line);
    const clean = text.replaceAll("_", "");
    if (clean.includes(":")) return pythonFloat(sexagesimal(clean));
    return pythonFloat(Number(clean));
  }
  if (text.startsWith("&") || text.startsWith("*") || text.startsWith("!")) {
    throw new YamlError(`anchors, aliases and tags are not supported: ${text}`, line);
  }
  if (text === "|" || text === ">" || /^[|>][-+0-9]*$/.test(text)) {
    throw new YamlError("block scalars (| and >) are not supported here: write a quoted string with \\n instead", line);
  }
  return text;
}

function sexagesimal(text: string): number {
  const sign = text.startsWith("-") ? -1 : 1;
  return sign * text.replace(/^[-+]/, "").split(":").reduce((total, part) => total * 60 + Number(part), 0);
}

function resolveInt(text: string): JsonValue {
  const clean = text.replaceAll("_", "");
  const negative = clean.startsWith("-");
  const body = clean.replace(/^[-+]/, "");
  let value: bigint;
  if (body.includes(":")) return sexagesimal(clean);
  if (body.startsWith("0b")) value = BigInt(body);
  else if (body.startsWith("0x")) value = BigInt(body);
  else if (body.length > 1 && body.startsWith("0")) value = BigInt(`0o${body.slice(1)}`);
  else value = BigInt(body);
  if (negative) value = -value;
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : new LosslessNumber(value.toString());
}

/** A double-quoted scalar's value (JSON escapes plus YAML's `\x`, `\e`, `\0`, `\ `). */
function unescapeDouble(body: string, line: number): string {
  return body.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)/g, (_match, code: string) => {
    const simple: Record<string, string> = { n: "\n", t: "\t", r: "\r", b: "\b", f: "\f", "0": "\0", e: "\u001b", a: "\u0007", v: "\u000b", '"': '"', "\\": "\\", "/": "/", " ": " ", N: "\u0085", _: "\u00a0", L: "\u2028", P: "\u2029" };
    if (code.length === 1) {
      const char = simple[code];
      if (char === undefined) throw new YamlError(`unknown escape \\${code} in a double-quoted string`, line);
      return char;
    }
    return String.fromCodePoint(parseInt(code.slice(1), 16));
  });
}

/** Reads scalars and flow collections from one string, left to right. */
class InlineReader {
  position = 0;
  constructor(
    private readonly text: string,
    private readonly line: number,
  ) {}

  private fail(message: string): never {
    throw new YamlError(message, this.line);
  }

  private skipSpace(): void {
    while (this.position < this.text.length && /\s/.test(this.text[this.position]!)) this.position++;
  }

  atEnd(): boolean {
    this.skipSpace();
    return this.position >= this.text.length;
  }

  /** A value; `inFlow` makes `,`, `]` and `}` end a plain scalar. */
  value(inFlow: boolean): JsonValue {
    this.skipSpace();
    const char = this.text[this.position];
    if (char === "[") return this.flowSequence();
    if (char === "{") return this.flowMapping();
    if (char === '"' || char === "'") return this.quoted();
    return this.plain(inFlow, false);
  }

  quoted(): string {
    const quote = this.text[this.position]!;
    let i = this.position + 1;
    let body = "";
    for (;;) {
      if (i >= this.text.length) this.fail(`unterminated ${quote === '"' ? "double" : "single"}-quoted string`);
      const char = this.text[i]!;
      if (quote === "'" && char === "'") {
        if (this.text[i + 1] === "'") {
          body += "'";
          i += 2;
          continue;
        }
        break;
      }
      if (quote === '"' && char === "\\") {
        body += char + (this.text[i + 1] ?? "");
        i += 2;
        continue;
      }
      if (quote === '"' && char === '"') break;
      body += char;
      i++;
    }
    this.position = i + 1;
    return quote === '"' ? unescapeDouble(body, this.line) : body;
  }

  /** A plain scalar; as a key it ends at `: `, in flow context also at `,`, `]`, `}`. */
  plain(inFlow: boolean, asKey: boolean): JsonValue {
    const start = this.position;
    let i = start;
    while (i < this.text.length) {
      const char = this.text[i]!;
      if (inFlow && ",]}".includes(char)) break;
      if (char === ":" && (i + 1 >= this.text.length || /\s/.test(this.text[i + 1]!) || (inFlow && ",]}".includes(this.text[i + 1]!)))) {
        if (asKey || inFlow) break;
        this.fail("unexpected ': ' in a plain value: quote the value");
      }
      i++;
    }
    this.position = i;
    const text = this.text.slice(start, i).trim();
    return asKey ? text : resolvePlain(text, this.line);
  }

  private expect(char: string): void {
    this.skipSpace();
    if (this.text[this.position] !== char) this.fail(`expected '${char}'`);
    this.position++;
  }

  private flowSequence(): JsonValue[] {
    this.position++;
    const items: JsonValue[] = [];
    for (;;) {
      this.skipSpace();
      if (this.text[this.position] === "]") {
        this.position++;
        return items;
      }
      if (this.position >= this.text.length) this.fail("unterminated flow sequence: missing ']'");
      items.push(this.value(true));
      this.skipSpace();
      if (this.position >= this.text.length) this.fail("unterminated flow sequence: missing ']'");
      if (this.text[this.position] === ",") this.position++;
      else if (this.text[this.position] !== "]") this.fail("expected ',' or ']' in a flow sequence");
    }
  }

  private flowMapping(): JsonObject {
    this.position++;
    const object: JsonObject = {};
    for (;;) {
      this.skipSpace();
      if (this.text[this.position] === "}") {
        this.position++;
        return object;
      }
      if (this.position >= this.text.length) this.fail("unterminated flow mapping: missing '}'");
      const key = this.key(true);
      this.expect(":");
      this.skipSpace();
      object[key] = "},".includes(this.text[this.position] ?? "") ? null : this.value(true);
      this.skipSpace();
      if (this.position >= this.text.length) this.fail("unterminated flow mapping: missing '}'");
      if (this.text[this.position] === ",") this.position++;
      else if (this.text[this.position] !== "}") this.fail("expected ',' or '}' in a flow mapping");
    }
  }

  key(inFlow: boolean): string {
    this.skipSpace();
    const char = this.text[this.position];
    if (char === '"' || char === "'") return this.quoted();
    if (char === "[" || char === "{") this.fail("complex keys are not supported");
    return String(this.plain(inFlow, true));
  }
}

/** `key: rest` split at the mapping colon, or null when the line is not a mapping entry. */
function splitEntry(text: string, line: number): { key: string; rest: string } | null {
  const reader = new InlineReader(text, line);
  const first = text[0];
  if (first === "[" || first === "{") return null;
  try {
    const key = reader.key(false);
    if (text[reader.position] !== ":") return null;
    const after = text.slice(reader.position + 1);
    if (after !== "" && !/^\s/.test(after)) return null;
    return { key, rest: after.trim() };
  } catch {
    return null;
  }
}

function isSequenceEntry(text: string): boolean {
  return text === "-" || text.startsWith("- ");
}

/** Parses YAML text (one document) into a JSON value; see the module comment for what is supported. */
export function parseYaml(source: string): JsonValue {
  const lines: Line[] = [];
  source.split(/\r?\n/).forEach((raw, index) => {
    if (/^\s*\t/.test(raw)) throw new YamlError("tabs are not allowed for indentation", index + 1);
    const text = stripComment(raw);
    const trimmed = text.trim();
    if (trimmed === "" || trimmed === "---" || trimmed === "...") return;
    if (trimmed.startsWith("%")) return; // directives
    lines.push({ indent: text.length - text.trimStart().length, text: trimmed, number: index + 1 });
  });
  let position = 0;

  /** An inline value starting on `line`; a flow collection may continue on the following lines. */
  const inline = (text: string, line: Line): JsonValue => {
    let full = text;
    if (/^[[{]/.test(text)) {
      // Join continuation lines until the brackets balance (quotes aside, which flow values rarely span).
      const depth = (value: string) => [...value.replace(/"(?:\\.|[^"\\])*"|'(?:''|[^'])*'/g, "")].reduce((sum, char) => sum + ("[{".includes(char) ? 1 : "]}".includes(char) ? -1 : 0), 0);
      while (depth(full) > 0 && position < lines.length) full += ` ${lines[position++]!.text}`;
    }
    const reader = new InlineReader(full, line.number);
    const value = reader.value(false);
    if (!reader.atEnd()) throw new YamlError(`unexpected text after a value: ${full.slice(reader.position).trim()}`, line.number);
    return value;
  };

  const block = (indent: number): JsonValue => {
    const line = lines[position]!;
    if (isSequenceEntry(line.text)) return sequence(indent);
    if (splitEntry(line.text, line.number) !== null) return mapping(indent);
    position++;
    return inline(line.text, line);
  };

  /** The value after `key:` or `-` with nothing on the line: a nested block, or null. */
  const nested = (parentIndent: number, allowIndentlessSequence: boolean): JsonValue => {
    const next = lines[position];
    if (next === undefined) return null;
    if (next.indent > parentIndent) return block(next.indent);
    if (allowIndentlessSequence && next.indent === parentIndent && isSequenceEntry(next.text)) return sequence(parentIndent);
    return null;
  };

  const mapping = (indent: number): JsonObject => {
    const object: JsonObject = {};
    while (position < lines.length) {
      const line = lines[position]!;
      if (line.indent < indent) break;
      if (line.indent > indent) throw new YamlError("unexpected indentation", line.number);
      const entry = splitEntry(line.text, line.number);
      if (entry === null) {
        if (isSequenceEntry(line.text)) break;
        throw new YamlError(`expected 'key: value', got: ${line.text}`, line.number);
      }
      position++;
      object[entry.key] = entry.rest === "" ? nested(indent, true) : inline(entry.rest, line);
    }
    return object;
  };

  const sequence = (indent: number): JsonValue[] => {
    const items: JsonValue[] = [];
    while (position < lines.length) {
      const line = lines[position]!;
      if (line.indent !== indent || !isSequenceEntry(line.text)) {
        if (line.indent > indent) throw new YamlError("unexpected indentation", line.number);
        break;
      }
      const rest = line.text.slice(1).trimStart();
      if (rest === "") {
        position++;
        items.push(nested(indent, false));
        continue;
      }
      const column = indent + (line.text.length - rest.length);
      if (isSequenceEntry(rest) || splitEntry(rest, line.number) !== null) {
        // `- key: value` / `- - x`: the rest is the first line of a block at the column after the dash.
        lines[position] = { indent: column, text: rest, number: line.number };
        items.push(block(column));
        continue;
      }
      position++;
      items.push(inline(rest, line));
    }
    return items;
  };

  if (lines.length === 0) return null;
  const value = block(lines[0]!.indent);
  if (position < lines.length) throw new YamlError(`unexpected content: ${lines[position]!.text}`, lines[position]!.number);
  return value;
}
