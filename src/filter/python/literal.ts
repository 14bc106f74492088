/**
 * Python literals as JSON values: the subset of `ast.literal_eval` labtasker v1's CLI feeds `--args`,
 * `--metadata`, `-u key=value` and dict filters through. Numbers keep their Python type on the way to a Python
 * reader: an integral float such as `3.0` or `1e5` becomes a {@link pythonFloat} (a LosslessNumber printing `3.0`),
 * an int beyond 2^53 a LosslessNumber of its exact digits, anything else a plain number.
 */
import { LosslessNumber, pythonFloat, pythonFloatRepr, type JsonObject, type JsonValue } from "../../json.js";
import { PythonLiteralError, type FilterError } from "../errors.js";
import type { PyConstant, PyNode } from "./ast.js";
import { parseEval } from "./parser.js";

/** A JSON value, or the position of each of its parts in the source (keyed by dotted path, `""` for the root). */
export interface LocatedLiteral {
  value: JsonValue;
  /** Offset of each element in the source text, keyed by its path (`"a.0.b"`). */
  offsets: Map<string, number>;
}

/**
 * Parses a Python literal (quotes, escapes, r-strings, True/False/None, numbers with `_`, hex/oct/bin, lists,
 * tuples, dicts, sets, one unary sign) into a JSON value. Tuples and sets become arrays; dict keys become strings
 * the way Python's `json.dumps` writes them. Throws {@link PythonLiteralError} with the column of the offending part.
 */
export function parsePythonLiteral(text: string): JsonValue {
  return parseLocatedLiteral(text).value;
}

/** {@link parsePythonLiteral}, also returning where each element starts, so later errors can point into the text. */
export function parseLocatedLiteral(text: string): LocatedLiteral {
  // literal_eval strips leading spaces and tabs before parsing; offsets stay relative to the text we were given.
  const node = parseEval(text, PythonLiteralError);
  const offsets = new Map<string, number>();
  const value = literalValue(node, text, PythonLiteralError, offsets, "");
  return { value, offsets };
}

/** The JSON value of a literal node as `ast.literal_eval` accepts it; throws `errorClass` for anything else. */
export function literalValue(
  node: PyNode,
  text: string,
  errorClass: typeof FilterError,
  offsets?: Map<string, number>,
  path = "",
): JsonValue {
  offsets?.set(path, node.start);
  const fail = (message: string, at: PyNode = node): never => {
    throw new errorClass(message, { text, offset: at.start });
  };
  const child = (segment: string | number): string => (path === "" ? String(segment) : `${path}.${segment}`);
  switch (node.kind) {
    case "Constant":
      return constantToJson(node.value, (message) => fail(message));
    case "UnaryOp": {
      const operand = node.operand;
      if ((node.op === "-" || node.op === "+") && operand.kind === "Constant" && (operand.value.type === "int" || operand.value.type === "float")) {
        const value = constantToJson(operand.value, (message) => fail(message, operand));
        return node.op === "+" ? value : negate(value);
      }
      return fail(malformed(node));
    }
    case "List":
    case "Tuple":
      return node.elts.map((element, index) => literalValue(element, text, errorClass, offsets, child(index)));
    case "Set": {
      const seen = new Set<string>();
      const out: JsonValue[] = [];
      node.elts.forEach((element) => {
        if (element.kind === "List" || element.kind === "Dict" || element.kind === "Set") {
          fail(`unhashable type: '${element.kind.toLowerCase()}'`, element);
        }
        const value = literalValue(element, text, errorClass, offsets, child(out.length));
        const key = hashKey(value);
        if (!seen.has(key)) {
          seen.add(key);
          out.push(value);
        }
      });
      return out;
    }
    case "Dict": {
      const out: JsonObject = {};
      node.keys.forEach((keyNode, index) => {
        if (keyNode.kind === "List" || keyNode.kind === "Dict" || keyNode.kind === "Set") {
          fail(`unhashable type: '${keyNode.kind.toLowerCase()}'`, keyNode);
        }
        const key = jsonKey(literalValue(keyNode, text, errorClass), keyNode, fail);
        const valueNode = node.values[index] as PyNode;
        setOwn(out, key, literalValue(valueNode, text, errorClass, offsets, child(key)));
        offsets?.set(child(key), keyNode.start);
      });
      return out;
    }
    case "Call":
      // literal_eval accepts `set()` for the empty set.
      if (node.func.kind === "Name" && node.func.id === "set" && node.args.length === 0 && node.keywords === 0) return [];
      return fail(malformed(node));
    default:
      return fail(malformed(node));
  }
}

function malformed(node: PyNode): string {
  if (node.kind === "Name" && ["true", "false", "null", "none"].includes(node.id)) {
    const python = { true: "True", false: "False", null: "None", none: "None" }[node.id];
    return `malformed node or string: '${node.id}' is not a Python literal; write ${python} (Python literal syntax, not JSON)`;
  }
  if (node.kind === "Name") return `malformed node or string: name '${node.id}' is not a literal (quote it to make a string)`;
  if (node.kind === "Call" && node.func.kind === "Name" && node.func.id === "date") {
    return "malformed node or string: date() cannot be used in a dict filter; write {'_dt': '2025-07-25T15:41:00'} (UTC) or use the Python-style syntax";
  }
  return `malformed node or string: ${describe(node)} is not a literal`;
}

function describe(node: PyNode): string {
  switch (node.kind) {
    case "BinOp":
      return `the operation '${node.op}'`;
    case "UnaryOp":
      return `the unary operator '${node.op}'`;
    case "Call":
      return "a function call";
    case "Compare":
      return "a comparison";
    case "BoolOp":
      return `'${node.op}'`;
    case "Attribute":
    case "Subscript":
      return "a field reference";
    default:
      return `a ${node.kind}`;
  }
}

/** JSON value of a Python constant; bytes and complex numbers have none. */
export function constantToJson(constant: PyConstant, fail: (message: string) => never): JsonValue {
  switch (constant.type) {
    case "int":
      return intToJson(constant.value);
    case "float":
      if (!Number.isFinite(constant.value)) return fail("float literal out of range: inf cannot be represented in JSON");
      return pythonFloat(constant.value);
    case "str":
      return constant.value;
    case "bool":
      return constant.value;
    case "none":
      return null;
    case "bytes":
      return fail("bytes literals cannot be represented in JSON; use a str literal");
    case "complex":
      return fail("complex numbers cannot be represented in JSON");
  }
}

/** A Python int as JSON: a plain number when exact, else a LosslessNumber keeping every digit. */
export function intToJson(value: bigint): JsonValue {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(value)
    : new LosslessNumber(value.toString());
}

/** `-value` for a JSON number, keeping the Python type (an integral float stays a float: `-3.0`). */
export function negate(value: JsonValue): JsonValue {
  if (typeof value === "number") return value === 0 ? 0 : -value;
  if (value instanceof LosslessNumber) {
    const text = value.value;
    return new LosslessNumber(text.startsWith("-") ? text.slice(1) : `-${text}`);
  }
  return value;
}

/** A dict key as Python's `json.dumps` writes it: str as is, numbers as their repr, True/False/None as JSON words. */
function jsonKey(key: JsonValue, node: PyNode, fail: (message: string, at?: PyNode) => never): string {
  if (typeof key === "string") return key;
  if (typeof key === "boolean") return key ? "true" : "false";
  if (key === null) return "null";
  if (typeof key === "number") return Number.isInteger(key) && !Object.is(key, -0) ? String(key) : pythonFloatRepr(key);
  if (key instanceof LosslessNumber) return key.value;
  return fail(`keys must be str, int, float, bool or None, not ${Array.isArray(key) ? "tuple" : "dict"}`, node);
}

/** Python's equality for set members (1 == 1.0 == True are one member in Python; JSON keeps them apart). */
function hashKey(value: JsonValue): string {
  if (value instanceof LosslessNumber) return `n:${Number(value.value)}`;
  if (typeof value === "number") return `n:${value}`;
  if (typeof value === "boolean") return `n:${value ? 1 : 0}`;
  return `j:${JSON.stringify(value)}`;
}

/** Sets a key as an own property, so a key such as `__proto__` is data, never a prototype change. */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
