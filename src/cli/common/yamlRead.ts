/**
 * Reads back the YAML that `task update`'s editor mode gets from the user. The `yaml` package does the syntax
 * (block and flow collections, quoting and escapes, folding, comments, anchors and aliases); the values of plain
 * scalars follow PyYAML's YAML 1.1 rules (./yamlSchema.ts), as v1 reads them: `yes` is true, `0x1F` is 31, `3.0`
 * stays a float and integers beyond 2^53 stay exact. Keys are kept as written (`on:` is the key "on").
 *
 * Block scalars (`|`, `>`) are read as v1 (ruamel) reads them. Refused, with the line: tags other than `!!str`, keys
 * that are not scalars, infinities and NaN (JSON cannot hold them), and more than one document.
 */
import { createRequire } from "node:module";
import type { Document, Node, Scalar, YAMLError } from "yaml";
import type * as Yaml from "yaml";
import type { JsonObject, JsonValue } from "../../json.js";
import { resolvePlain, UnrepresentableScalarError } from "./yamlSchema.js";

/** YAML the reader cannot take, with its 1-based line and column; the message quotes the line with a caret. */
export class YamlError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column?: number,
    excerpt?: string,
  ) {
    super(`${message} (line ${line})${excerpt ? `\n${excerpt}` : ""}`);
    this.name = "YamlError";
  }
}

const STR_TAG = "tag:yaml.org,2002:str";

/** Nodes an alias may expand to in all, so `a: &a [*a, *a]`-style documents cannot blow up memory. */
const MAX_NODES = 1_000_000;

/** Messages of the yaml package reworded for people editing tasks, by error code. */
function describe(error: YAMLError): string {
  const message = error.message.replace(/ at line \d+, column \d+:[\s\S]*$/, "");
  switch (error.code) {
    case "TAB_AS_INDENT":
      return "tabs are not allowed for indentation";
    case "MULTILINE_IMPLICIT_KEY":
      return "unexpected indentation";
    case "BLOCK_AS_IMPLICIT_KEY":
      return "unexpected ': ' in a plain value: quote the value";
    case "MULTIPLE_DOCS":
      return "only one document is allowed (remove the second '---')";
    case "BAD_DQ_ESCAPE":
      return `${message.replace(/^Invalid escape sequence/, "unknown escape")} in a double-quoted string`;
    case "MISSING_CHAR":
    case "BAD_INDENT":
      if (/end with a \]/.test(message)) return "unterminated flow sequence: missing ']'";
      if (/end with a \}/.test(message)) return "unterminated flow mapping: missing '}'";
      if (/Missing closing "quote/.test(message)) return "unterminated double-quoted string";
      if (/Missing closing 'quote/.test(message)) return "unterminated single-quoted string";
      return message;
    default:
      return message;
  }
}

/**
 * The `yaml` package, loaded on first use: it takes about 15 ms to load, which only editor mode needs to pay, not
 * every `task update` (this module is imported with the command).
 */
let yamlPackage: typeof Yaml | undefined;

/** Parses YAML text (one document) into a JSON value; see the module comment for what is refused. */
export function parseYaml(source: string): JsonValue {
  yamlPackage ??= createRequire(import.meta.url)("yaml") as typeof Yaml;
  const { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument } = yamlPackage;
  const lineCounter = new LineCounter();
  // failsafe: every scalar comes back as its text, typed below with PyYAML's rules; duplicate keys: the last wins,
  // as in PyYAML.
  const doc = parseDocument(source, { schema: "failsafe", uniqueKeys: false, prettyErrors: false, lineCounter });
  const fail = (message: string, offset: number): never => {
    const { line, col } = lineCounter.linePos(offset);
    const text = source.split(/\r?\n/)[line - 1] ?? "";
    throw new YamlError(message, line, col, `  ${text}\n  ${" ".repeat(Math.max(0, col - 1))}^`);
  };
  const errors = doc.errors;
  if (errors.length > 0) {
    // A line indented too far shows up as a plain value running onto the next line; say so at that line.
    const indentation = errors.find((error) => error.code === "MULTILINE_IMPLICIT_KEY");
    if (indentation !== undefined) {
      const { line } = lineCounter.linePos(indentation.pos[1]);
      const text = source.split(/\r?\n/)[line - 1] ?? "";
      fail(describe(indentation), lineCounter.lineStarts[line - 1]! + (text.length - text.trimStart().length));
    }
    fail(describe(errors[0]!), errors[0]!.pos[0]);
  }
  let budget = MAX_NODES;
  /** Collections being converted: an alias to one of them would make the value contain itself. */
  const open = new Set<Node>();
  const convert = (node: Node | null): JsonValue => {
    if (--budget < 0) fail("too many values (aliases expand to more than a million)", node?.range?.[0] ?? 0);
    if (node === null) return null;
    const offset = node.range?.[0] ?? 0;
    if (isAlias(node)) {
      const target = node.resolve(doc as Document) ?? null;
      if (target !== null && open.has(target)) fail(`alias *${node.source} refers to a collection that contains it`, offset);
      return convert(target);
    }
    if (node.tag !== undefined && !(isScalar(node) && node.tag === STR_TAG)) {
      fail(`tags other than !!str are not supported: ${node.tag.replace(/^tag:yaml\.org,2002:/, "!!")}`, offset);
    }
    if (isScalar(node)) return scalarValue(node, offset);
    open.add(node);
    try {
      if (isSeq(node)) return node.items.map((item) => convert(item as Node | null));
      if (isMap(node)) {
        const object: JsonObject = {};
        for (const pair of node.items) {
          const key = pair.key as Node | null;
          if (key !== null && !isScalar(key)) return fail("complex keys are not supported", key.range?.[0] ?? offset);
          object[key === null ? "" : String(key.value)] = convert(pair.value as Node | null);
        }
        return object;
      }
      return fail("unsupported YAML node", offset);
    } finally {
      open.delete(node);
    }
  };
  const scalarValue = (node: Scalar, offset: number): JsonValue => {
    const text = String(node.value);
    if (node.type !== "PLAIN" || node.tag !== undefined) return text;
    try {
      return resolvePlain(text);
    } catch (error) {
      if (error instanceof UnrepresentableScalarError) fail(error.message, offset);
      throw error;
    }
  };
  return convert(doc.contents as Node | null);
}
