/**
 * The syntax of labtasker v2's filter language: a Python expression (parsed by v1's Python parser, as
 * `ast.parse(text, mode="eval")` reads it) narrowed to the shapes 2.8.0's `filtering.py` accepts:
 *
 *   filter     := predicate | filter `and` filter | filter `or` filter | `(` filter `)`
 *   predicate  := path op scalar | scalar op path | path (`in` | `not in`) `[` scalar, ... `]`
 *               | scalar (`in` | `not in`) path | `exists(` path `)` | `missing(` path `)`
 *   op         := `==` | `!=` | `<` | `<=` | `>` | `>=`
 *   scalar     := None | True | False | string | [-]int (int64) | [-]float (finite)
 *   path       := name(`.`name)*
 *
 * Everything else is refused, with 2.8.0's message and the column of the node it blames (in UTF-8 bytes, as
 * Python's `col_offset`). Types (a status that is no status, `priority == "1"`) are checked later, in compile.ts,
 * as 2.8.0 checks them after the whole text has parsed.
 */
import { FilterError } from "../errors.js";
import type { PyNode } from "../python/ast.js";
import { tokenize } from "../python/lexer.js";
import { parseEval } from "../python/parser.js";
import { V2FilterError } from "./errors.js";
import {
  INT64_MAX,
  INT64_MIN,
  V2_LAST_ERROR_FIELDS,
  V2_MAX_FILTER_BYTES,
  V2_PATH_SEGMENT,
  V2_TASK_DYNAMIC_ROOTS,
  V2_TASK_FIXED_FIELDS,
  V2_WORKER_DYNAMIC_ROOTS,
  V2_WORKER_FIXED_FIELDS,
} from "./fields.js";
import { hasLoneSurrogate, splitPythonWords, type V2Scalar } from "./values.js";

/** Which documents a filter selects: v2 Tasks, or worker observations (other fields). */
export type V2FilterTarget = "task" | "worker";

export type V2CompareOperator = "==" | "!=" | "<" | "<=" | ">" | ">=";
export type V2MembershipOperator = "in" | "not in";

/** A path as written: `args.lr` is `{root: "args", segments: ["lr"]}`. */
export interface V2Path {
  readonly root: string;
  readonly segments: readonly string[];
}

/** The parsed filter; `offset` is where the predicate starts in the text (for errors found later). */
export type V2FilterNode =
  | { readonly kind: "and" | "or"; readonly children: readonly V2FilterNode[] }
  | { readonly kind: "comparison"; readonly path: V2Path; readonly operator: V2CompareOperator; readonly value: V2Scalar; readonly offset: number }
  | {
      readonly kind: "membership";
      readonly path: V2Path;
      readonly operator: V2MembershipOperator;
      readonly values: readonly V2Scalar[];
      /** `candidates`: `path in [..]`; `contains`: `value in path` (the path holds an array). */
      readonly mode: "candidates" | "contains";
      readonly offset: number;
    }
  | { readonly kind: "presence"; readonly path: V2Path; readonly exists: boolean; readonly offset: number };

/** Python's limit on nested brackets (the tokenizer's MAXLEVEL): the 201st is "too many nested parentheses". */
const MAX_NESTING = 200;

const SYNTAX_INVALID = "Filter syntax is invalid.";
/** The refusals of v1's Python parser that name a construct Python accepts (see src/filter/python/parser.ts). */
const UNSUPPORTED_PYTHON = / (is|are) not supported (in filters|here)/;
const NOT_A_PREDICATE = "A filter predicate must be one comparison or membership test.";
const NOT_A_SCALAR = "Filter values must be scalar JSON literals.";

/** Parses a v2 filter; throws {@link V2FilterError} (`invalid_filter` or `filter_too_large`). */
export function parseV2Filter(text: string, target: V2FilterTarget = "task"): V2FilterNode {
  if (hasLoneSurrogate(text)) throw new V2FilterError("invalid_filter", "Filter contains a lone Unicode surrogate.");
  if (Buffer.byteLength(text, "utf8") > V2_MAX_FILTER_BYTES) {
    throw new V2FilterError("filter_too_large", `Filter exceeds the ${V2_MAX_FILTER_BYTES}-byte limit.`, { details: { max_bytes: V2_MAX_FILTER_BYTES } });
  }
  // Python's `text.strip()` is empty: nothing but its whitespace.
  if (splitPythonWords(text).length === 0) throw new V2FilterError("invalid_filter", "Filter must not be empty.");
  return new Shaper(text, target).filter(parseSyntax(text));
}

/** The Python syntax tree, or `Filter syntax is invalid.` with the column where the parser stopped. */
function parseSyntax(text: string): PyNode {
  const syntaxError = (offset: number): V2FilterError => {
    const error = new V2FilterError("invalid_filter", SYNTAX_INVALID, { text, offset });
    // Python's SyntaxError offset counts characters of the line; ours is the parser's column (UTF-16 units).
    return new V2FilterError("invalid_filter", SYNTAX_INVALID, { text, offset, details: { column: error.column ?? 1 } });
  };
  try {
    checkLayout(text, syntaxError);
    return parseEval(text, FilterError);
  } catch (error) {
    if (error instanceof V2FilterError) throw error;
    if (error instanceof FilterError) {
      // Valid Python that v1's parser stops at on purpose (lambda, f-strings, `...`): say what it is, rather than
      // 2.8.0's generic "not a predicate" or "not a scalar" (same code). `yield` and a bare `*a` are syntax errors
      // in Python too, so those stay "invalid syntax".
      if (UNSUPPORTED_PYTHON.test(error.message) && !/^('yield'|starred)/.test(error.message)) {
        const message = `${error.message.charAt(0).toUpperCase()}${error.message.slice(1)}.`;
        throw new V2FilterError("invalid_filter", message, { text, offset: error.offset ?? 0, details: { column: error.column ?? 1 } });
      }
      throw syntaxError(error.offset ?? 0);
    }
    // A pathologically deep expression (thousands of unary minus signs) overflows the stack; Python's parser gives
    // up on those too.
    if (error instanceof RangeError) throw syntaxError(0);
    throw error;
  }
}

/** What Python's tokenizer refuses before parsing: more than 200 nested brackets, and an indented first line. */
function checkLayout(text: string, syntaxError: (offset: number) => V2FilterError): void {
  const tokens = tokenize(text, FilterError);
  let depth = 0;
  for (const token of tokens) {
    if (token.type !== "op") continue;
    if (token.value === "(" || token.value === "[" || token.value === "{") {
      depth++;
      if (depth > MAX_NESTING) throw syntaxError(token.start);
    } else if (token.value === ")" || token.value === "]" || token.value === "}") {
      depth--;
    }
  }
  const first = tokens.find((token) => token.type !== "newline");
  if (first !== undefined && first.type !== "end") {
    const lineStart = text.lastIndexOf("\n", first.start - 1) + 1;
    if (first.start > lineStart) throw syntaxError(lineStart);
  }
}

/** Turns the Python tree into a {@link V2FilterNode}, refusing every other shape as 2.8.0 does. */
class Shaper {
  constructor(
    private readonly text: string,
    private readonly target: V2FilterTarget,
  ) {}

  fail(node: PyNode, message: string): never {
    throw new V2FilterError("invalid_filter", message, { text: this.text, offset: node.start, details: { column: this.byteColumn(node.start) } });
  }

  /** Python's `col_offset + 1`: UTF-8 bytes from the start of the node's line. */
  private byteColumn(offset: number): number {
    const lineStart = this.text.lastIndexOf("\n", offset - 1) + 1;
    return Buffer.byteLength(this.text.slice(lineStart, offset), "utf8") + 1;
  }

  filter(node: PyNode): V2FilterNode {
    if (node.kind === "BoolOp") return { kind: node.op, children: node.values.map((value) => this.filter(value)) };
    if (node.kind === "Call") {
      const func = node.func;
      const name = func.kind === "Name" ? func.id : undefined;
      if ((name !== "exists" && name !== "missing") || node.args.length !== 1 || node.keywords > 0) {
        this.fail(node, "Only exists(path) and missing(path) are supported.");
      }
      return { kind: "presence", path: this.path(node.args[0] as PyNode), exists: name === "exists", offset: node.start };
    }
    if (node.kind !== "Compare" || node.ops.length !== 1) this.fail(node, NOT_A_PREDICATE);
    const left = node.left;
    const right = node.comparators[0] as PyNode;
    const op = node.ops[0];
    if (op === "in" || op === "not in") {
      const leftPath = this.tryPath(left);
      const rightPath = this.tryPath(right);
      if (leftPath !== undefined && right.kind === "List") {
        return { kind: "membership", path: leftPath, operator: op, values: right.elts.map((element) => this.scalar(element)), mode: "candidates", offset: node.start };
      }
      if (rightPath !== undefined) {
        return { kind: "membership", path: rightPath, operator: op, values: [this.scalar(left)], mode: "contains", offset: node.start };
      }
      this.fail(node, "Membership must be 'path in [values]' or 'value in path'.");
    }
    if (op === "is" || op === "is not" || op === undefined) this.fail(node, "Unsupported comparison operator.");
    const leftPath = this.tryPath(left);
    const rightPath = this.tryPath(right);
    if (leftPath !== undefined && rightPath === undefined) {
      return { kind: "comparison", path: leftPath, operator: op, value: this.scalar(right), offset: node.start };
    }
    if (rightPath !== undefined && leftPath === undefined) {
      return { kind: "comparison", path: rightPath, operator: REVERSED[op], value: this.scalar(left), offset: node.start };
    }
    return this.fail(node, "A comparison must contain exactly one path and one scalar literal.");
  }

  private tryPath(node: PyNode): V2Path | undefined {
    return node.kind === "Name" || node.kind === "Attribute" ? this.path(node) : undefined;
  }

  private path(node: PyNode): V2Path {
    const segments: string[] = [];
    let current = node;
    while (current.kind === "Attribute") {
      segments.unshift(current.attr);
      current = current.value;
    }
    if (current.kind !== "Name") this.fail(node, "Filter paths use dot-separated names only.");
    const root = current.id;
    const display = [root, ...segments].join(".");
    const worker = this.target === "worker";
    const fixed = worker ? V2_WORKER_FIXED_FIELDS : V2_TASK_FIXED_FIELDS;
    if (Object.hasOwn(fixed, root) || (!worker && root === "routes")) {
      if (segments.length > 0) this.fail(node, `'${root}' does not have nested fields.`);
      return { root, segments };
    }
    const dynamicRoots = worker ? V2_WORKER_DYNAMIC_ROOTS : V2_TASK_DYNAMIC_ROOTS;
    if (!dynamicRoots.includes(root) || segments.length === 0) {
      this.fail(node, `Unsupported ${worker ? "Worker filter" : "filter"} path '${display}'.`);
    }
    if (!segments.every((segment) => V2_PATH_SEGMENT.test(segment))) this.fail(node, "Path segments must match [A-Za-z_][A-Za-z0-9_]*.");
    if (root === "last_error" && (segments.length !== 1 || !Object.hasOwn(V2_LAST_ERROR_FIELDS, segments[0] as string))) {
      this.fail(node, `Unsupported filter path '${display}'.`);
    }
    return { root, segments };
  }

  private scalar(node: PyNode): V2Scalar {
    const negative = node.kind === "UnaryOp" && node.op === "-";
    const literal = negative ? node.operand : node;
    if (literal.kind !== "Constant") this.fail(node, NOT_A_SCALAR);
    const constant = literal.value;
    switch (constant.type) {
      case "none":
      case "bool":
      case "str": {
        if (negative) this.fail(node, "Only numeric literals may have a minus sign.");
        if (constant.type === "none") return null;
        if (constant.type === "str" && hasLoneSurrogate(constant.value)) this.fail(node, "String literals must contain Unicode scalar values.");
        return constant.value;
      }
      case "int": {
        const value = negative ? -constant.value : constant.value;
        if (value < INT64_MIN || value > INT64_MAX) this.fail(node, "Integer literal is outside the signed 64-bit range.");
        return value;
      }
      case "float": {
        const value = negative ? -constant.value : constant.value;
        if (!Number.isFinite(value)) this.fail(node, "Number literal must be finite.");
        return value;
      }
      default:
        return this.fail(node, NOT_A_SCALAR);
    }
  }
}

const REVERSED: Readonly<Record<V2CompareOperator, V2CompareOperator>> = { "==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<=" };
