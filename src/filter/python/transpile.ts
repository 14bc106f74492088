/**
 * The Python-style filter syntax compiled to a MongoDB query document, rule for rule as labtasker v1's
 * `QueryTranspiler` does (contract 5.2), so the document is what v1's Python client would put on the wire for the
 * same text: `a.b[0] == 1` -> `{"a.b.0": 1}`, `18 < age` -> `{"age": {"$gt": 18}}`, field-vs-field and arithmetic ->
 * `$expr` guarded by `$exists`, `'x' in list(f)` -> `{f: 'x'}`, `date(...)` -> a `{"_dt": ...}` marker.
 *
 * Rejected with v1's explanations: `!=`, `not`, `not in` (three-valued logic makes them ambiguous), `is`, chained
 * comparisons, unknown functions, bare fields, fields outside the allow-list. Where v1 would send a broken query
 * (a bare constant inside `and`, `date(...) < field`, a field on the left of `in list(...)`), this compiles it
 * correctly or says what is wrong; docs/filter.md lists each difference.
 */
import { LosslessNumber, type JsonObject, type JsonValue } from "../../json.js";
import { parseHumanDate } from "../date.js";
import { FilterError, FilterSyntaxError } from "../errors.js";
import { unknownFieldMessage } from "../fields.js";
import { translateRegex } from "../regex.js";
import { datetimeMarker } from "../wire.js";
import { childNodes, type CompareOperator, type PyConstant, type PyNode, type PyNodeOf } from "./ast.js";
import { constantToJson, negate, setOwn } from "./literal.js";
import { StatementError, parseModule } from "./parser.js";

const MISSING_KEY_PROBLEM = "as it may lead to ambiguous behaviour due to the missing key returning null problem.";
const NOT_EQUAL_MESSAGE = `'!=' operator is not supported, ${MISSING_KEY_PROBLEM} If you wish to use $ne, use the full mongodb query and handle the $exists manually`;
const NOT_MESSAGE = `'not' is not supported, ${MISSING_KEY_PROBLEM} If you wish to use $ne, use the full mongodb query and handle the $exists manually`;
const NOT_IN_MESSAGE = `'not in' operator is not supported, ${MISSING_KEY_PROBLEM} If you wish to use $nin, use the full mongodb query and handle the $exists manually`;
const AMBIGUOUS_IN_MESSAGE =
  "Ambiguous expression. To use `'foo' in foo.bar`, you must specify the type of foo.bar via `'foo' in list(foo.bar)` or `'foo' in dict(foo.bar)`";
const BINARY_OUTSIDE_MESSAGE =
  "Binary operations like '+' or '-' must be used in comparisons for $expr. E.g. allowed: '1 + 1 > foo', disallowed: 1 + 1";
const DATE_USAGE = "Try using date('Y-M-D H:M:S') or date('7/25 23:33') or date('3 hours ago') etc.";

const MONGO_COMPARISON: Partial<Record<CompareOperator, string>> = { "==": "$eq", "<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte" };
const SWAPPED: Partial<Record<CompareOperator, CompareOperator>> = { "==": "==", "<": ">", "<=": ">=", ">": "<", ">=": "<=" };
const ARITHMETIC: Record<string, string> = { "+": "$add", "-": "$subtract", "*": "$multiply", "/": "$divide", "%": "$mod" };

export interface TranspileOptions {
  /** Allowed root names; null disables the check (v1's `transpile_query` without `allowed_fields`). */
  fields: readonly string[] | null;
  /** The clock `date("3 hours ago")` counts from. */
  now: () => Date;
}

export interface TranspileResult {
  /** The MongoDB query, datetimes as `{"_dt": iso}` markers. */
  mongo: JsonObject;
  /** Whether the query holds a `date(...)`, whose value depends on the clock (so it must not be cached). */
  usesDate: boolean;
}

/** Parses and transpiles a Python-style filter; `text` should be stripped already (v1 strips it). */
export function transpilePythonFilter(text: string, options: TranspileOptions): TranspileResult {
  let node: PyNode;
  try {
    node = parseModule(text);
  } catch (error) {
    if (error instanceof FilterError && !(error instanceof StatementError)) {
      throw new FilterSyntaxError(`Query syntax error: ${error.message}`, { text, offset: error.offset ?? 0 });
    }
    if (error instanceof StatementError) throw new FilterError(error.message, { text, offset: error.offset ?? 0 });
    throw error;
  }
  const transpiler = new Transpiler(text, options);
  return { mongo: transpiler.top(node), usesDate: transpiler.usesDate };
}

/** Whether a node refers to a field: a name, `a.b`, `a[0]` (v1's `_is_field`), or `list(f)`/`dict(f)`. */
function isField(node: PyNode): boolean {
  if (node.kind === "Name" || node.kind === "Attribute" || node.kind === "Subscript") return true;
  return isTypedField(node);
}

function isTypedField(node: PyNode): boolean {
  return (
    node.kind === "Call" &&
    node.func.kind === "Name" &&
    (node.func.id === "list" || node.func.id === "dict") &&
    node.args.length === 1 &&
    node.keywords === 0 &&
    isField(node.args[0] as PyNode)
  );
}

/** v1's `_is_literal`: a constant or a container display. */
function isLiteral(node: PyNode): boolean {
  return ["Constant", "Dict", "Tuple", "List", "Set"].includes(node.kind);
}

function isNegativeConstant(node: PyNode): node is PyNodeOf<"UnaryOp"> {
  return node.kind === "UnaryOp" && node.op === "-" && node.operand.kind === "Constant";
}

function isCall(node: PyNode, name: string): boolean {
  return node.kind === "Call" && node.func.kind === "Name" && node.func.id === name;
}

function pythonTypeName(constant: PyConstant): string {
  return { int: "int", float: "float", complex: "complex", str: "str", bytes: "bytes", bool: "bool", none: "NoneType" }[constant.type];
}

function pythonRepr(constant: PyConstant): string {
  switch (constant.type) {
    case "str":
      return `'${constant.value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
    case "int":
      return constant.value.toString();
    case "float":
      return String(constant.value);
    case "bool":
      return constant.value ? "True" : "False";
    case "none":
      return "None";
    default:
      return constant.type;
  }
}

class Transpiler {
  usesDate = false;

  constructor(
    private readonly text: string,
    private readonly options: TranspileOptions,
  ) {}

  private fail(message: string, node: PyNode): never {
    throw new FilterError(message, { text: this.text, offset: node.start });
  }

  /** The whole filter. A bare True/False/int is `{"$expr": bool}`, as in v1. */
  top(node: PyNode): JsonObject {
    if (node.kind === "Constant" && (node.value.type === "bool" || node.value.type === "int")) {
      return { $expr: node.value.type === "bool" ? node.value.value : node.value.value !== 0n };
    }
    return this.condition(node);
  }

  /** A node that must be a condition (a MongoDB query document). */
  private condition(node: PyNode): JsonObject {
    switch (node.kind) {
      case "BoolOp":
        return { [node.op === "and" ? "$and" : "$or"]: node.values.map((value) => this.operand(value, node.op)) };
      case "UnaryOp":
        return this.fail(node.op === "not" ? NOT_MESSAGE : `Unsupported unary operator: '${node.op}'`, node);
      case "Compare":
        return this.compare(node);
      case "Call":
        return this.callCondition(node);
      case "BinOp":
        return this.fail(BINARY_OUTSIDE_MESSAGE, node);
      case "Name":
      case "Attribute":
      case "Subscript":
        return this.fail(`Invalid query result: ${this.fieldPath(node)}. Query must evaluate to a dictionary.`, node);
      case "Constant":
        return this.fail(`Invalid query result: ${pythonRepr(node.value)}. Query must evaluate to a dictionary.`, node);
      default:
        return this.fail(`Invalid query result: a ${node.kind.toLowerCase()} is not a condition. Query must evaluate to a dictionary.`, node);
    }
  }

  private operand(node: PyNode, op: "and" | "or"): JsonObject {
    if (node.kind === "Constant") {
      this.fail(`Each operand of '${op}' must be a condition (a comparison, regex() or exists()), not ${pythonRepr(node.value)}`, node);
    }
    return this.condition(node);
  }

  private compare(node: PyNodeOf<"Compare">): JsonObject {
    if (node.ops.length > 1) this.fail("Chained comparisons not supported (e.g., a < b < c)", node);
    const op = node.ops[0] as CompareOperator;
    const left = node.left;
    const right = node.comparators[0] as PyNode;
    switch (op) {
      case "!=":
        return this.fail(NOT_EQUAL_MESSAGE, node);
      case "not in":
        return this.fail(NOT_IN_MESSAGE, node);
      case "is":
      case "is not":
        return this.fail(`Unsupported comparison operator: '${op}'. Compare with '==' instead (e.g. field == None)`, node);
      case "in":
        return this.membership(node, left, right);
      default:
        return this.comparison(node, left, op, right);
    }
  }

  private membership(node: PyNode, left: PyNode, right: PyNode): JsonObject {
    if (right.kind === "Name" || right.kind === "Attribute" || right.kind === "Subscript") this.fail(AMBIGUOUS_IN_MESSAGE, node);
    if (right.kind === "Call") {
      const func = right.func;
      if (func.kind !== "Name" || (func.id !== "list" && func.id !== "dict")) {
        this.fail(`Expected function call like list(foo.bar) or dict(foo.bar), got ${this.describeCallee(func)}`, node);
      }
      const name = (func as PyNodeOf<"Name">).id;
      if (!isTypedField(right)) this.fail(`${name}() takes exactly one field here, e.g. 'x' in ${name}(metadata.tags)`, right);
      const path = this.fieldPath((right as PyNodeOf<"Call">).args[0] as PyNode);
      if (name === "list") {
        if (isField(left)) this.fail(`The left side of 'in list(...)' must be a literal value, e.g. 'v1' in list(${path})`, left);
        return object(path, this.value(left));
      }
      if (left.kind !== "Constant" || left.value.type !== "str") {
        this.fail("For 'key in dict(field)' pattern, key must be a string literal", node);
      }
      return object(`${path}.${(left.value as { value: string }).value}`, { $exists: true });
    }
    if (isField(left) && (right.kind === "List" || right.kind === "Tuple" || right.kind === "Set")) {
      return object(this.fieldPath(left), { $in: this.literal(right) });
    }
    return this.fail(
      "For 'field in [literals]' pattern or literal in dict(field) pattern, both sides must be either a field or a list of literals",
      node,
    );
  }

  /** v1's `_handle_comparison_operator`, case by case in v1's order. */
  private comparison(node: PyNode, left: PyNode, op: CompareOperator, right: PyNode): JsonObject {
    const swapped = SWAPPED[op] as CompareOperator;
    if (isNegativeConstant(right) && isField(left)) return this.fieldComparison(left, op, right);
    if (isNegativeConstant(left) && isField(right)) return this.fieldComparison(right, swapped, left);
    if (left.kind === "BinOp" || left.kind === "UnaryOp" || right.kind === "BinOp" || right.kind === "UnaryOp") {
      return this.exprComparison(left, op, right);
    }
    if (isField(left) && isField(right)) return this.exprComparison(left, op, right);
    if ((isLiteral(left) || isCall(left, "date")) && isField(right)) return this.fieldComparison(right, swapped, left);
    this.checkCallOperand(left);
    this.checkCallOperand(right);
    if (isField(left)) return this.fieldComparison(left, op, right);
    return this.fail("A comparison needs a field on one side, e.g. args.lr > 0.01 or 18 < args.age", node);
  }

  /** A call in a comparison must be date(), list() or dict(); anything else gets v1's "Unsupported function call". */
  private checkCallOperand(node: PyNode): void {
    if (node.kind !== "Call" || isTypedField(node) || isCall(node, "date")) return;
    if (isCall(node, "regex") || isCall(node, "exists")) {
      this.fail(`${(node.func as PyNodeOf<"Name">).id}() is a condition, not a value; combine it with 'and'/'or'`, node);
    }
    this.fail(`Unsupported function call: ${this.describeCallee(node.func)}`, node);
  }

  private fieldComparison(field: PyNode, op: CompareOperator, valueNode: PyNode): JsonObject {
    const path = this.fieldPath(field);
    const value = this.value(valueNode);
    return op === "==" ? object(path, value) : object(path, object(MONGO_COMPARISON[op] as string, value));
  }

  /** Field-vs-field and arithmetic: `$expr`, after `$exists` on every field involved (v1's guard for missing keys). */
  private exprComparison(left: PyNode, op: CompareOperator, right: PyNode): JsonObject {
    const expr = { $expr: object(MONGO_COMPARISON[op] as string, [this.expression(left), this.expression(right)]) };
    const fields = this.fieldsIn([left, right]);
    if (fields.length === 0) return expr;
    return { $and: [...fields.map((path) => object(path, { $exists: true })), expr] };
  }

  /** Every field path in the operands, first appearance first, without paths that prefix another one. */
  private fieldsIn(nodes: PyNode[]): string[] {
    const found: string[] = [];
    const visit = (node: PyNode): void => {
      if (isField(node)) {
        const path = this.fieldPath(node);
        if (!found.includes(path)) found.push(path);
        return;
      }
      if (node.kind === "Call") {
        node.args.forEach(visit);
        return;
      }
      childNodes(node).forEach(visit);
    };
    nodes.forEach(visit);
    return found.filter((path) => !found.some((other) => other !== path && other.startsWith(`${path}.`)));
  }

  /** An operand of `$expr` (v1's `_convert_to_expr`): `"$path"`, a constant, or an arithmetic operator. */
  private expression(node: PyNode): JsonValue {
    if (isField(node)) return `$${this.fieldPath(node)}`;
    switch (node.kind) {
      case "Constant":
        return this.constant(node);
      case "BinOp": {
        const operator = ARITHMETIC[node.op];
        if (operator === undefined) return this.fail(`Unsupported binary operator: '${node.op}'`, node);
        return object(operator, [this.expression(node.left), this.expression(node.right)]);
      }
      case "UnaryOp": {
        if (node.op === "not") return this.fail(NOT_MESSAGE, node);
        if (node.op !== "-") return this.fail(`Unsupported unary operator: '${node.op}'`, node);
        const operand = this.expression(node.operand);
        if (typeof operand === "number" || operand instanceof LosslessNumber) return negate(operand);
        if (typeof operand === "boolean") return operand ? -1 : 0;
        return { $multiply: [-1, operand] };
      }
      case "Call":
        if (isCall(node, "date")) return this.date(node);
        if (isCall(node, "regex") || isCall(node, "exists")) {
          return this.fail("regex() and exists() are conditions and cannot be used inside arithmetic", node);
        }
        return this.fail(`Unsupported function call: ${this.describeCallee(node.func)}`, node);
      case "List":
      case "Tuple":
      case "Set":
      case "Dict":
        return this.literal(node);
      default:
        return this.fail(`A ${node.kind === "BoolOp" ? `'${node.op}'` : "comparison"} cannot be used inside arithmetic`, node);
    }
  }

  private callCondition(node: PyNodeOf<"Call">): JsonObject {
    if (node.func.kind !== "Name") return this.fail(`Unsupported function call: ${this.describeCallee(node.func)}`, node);
    const name = node.func.id;
    if (node.keywords > 0 && ["regex", "exists", "date", "list", "dict"].includes(name)) {
      this.fail(`${name}() does not take keyword arguments`, node);
    }
    switch (name) {
      case "regex": {
        if (node.args.length !== 2) this.fail("regex() requires two arguments: field name and pattern", node);
        const [fieldNode, patternNode] = node.args as [PyNode, PyNode];
        const field = this.fieldArgument(fieldNode, "regex");
        if (patternNode.kind !== "Constant" || patternNode.value.type !== "str") {
          return this.fail("regex() pattern must be a string literal, e.g. regex(task_name, '^exp-.*')", patternNode);
        }
        const pattern = patternNode.value.value;
        try {
          translateRegex(pattern);
        } catch (error) {
          this.fail((error as Error).message, patternNode);
        }
        return object(field, { $regex: pattern });
      }
      case "exists": {
        if (node.args.length !== 1 && node.args.length !== 2) {
          this.fail(
            'exists() requires one or two arguments: field name and optional boolean value. E.g. exists("optional_field"), exists("field", False)',
            node,
          );
        }
        const field = this.fieldArgument(node.args[0] as PyNode, "exists");
        const flagNode = node.args[1];
        if (flagNode === undefined) return object(field, { $exists: true });
        if (flagNode.kind !== "Constant" || (flagNode.value.type !== "bool" && flagNode.value.type !== "int")) {
          return this.fail("exists() second argument must be True or False", flagNode);
        }
        return object(field, { $exists: this.constant(flagNode) });
      }
      case "date":
        this.date(node);
        return this.fail("date(...) is a value, not a condition; compare a field with it, e.g. created_at > date('1 day ago')", node);
      case "list":
      case "dict":
        if (node.args.length !== 1) this.fail(`${name}() requires exactly one argument when used in queries`, node);
        return this.fail(`${name}(...) is not a condition; use it as 'x' in ${name}(field)`, node);
      default:
        return this.fail(`Unsupported function call: ${name}`, node);
    }
  }

  /** The field of regex()/exists(): a field reference, or (as v1 allows) a string holding a dotted path. */
  private fieldArgument(node: PyNode, func: string): string {
    if (isField(node)) return this.fieldPath(node);
    if (node.kind === "Constant" && node.value.type === "str") {
      this.checkRoot(node.value.value.split(".")[0] as string, node);
      return node.value.value;
    }
    return this.fail(`${func}() first argument must be a field, e.g. ${func}(task_name${func === "regex" ? ", '^exp-'" : ""})`, node);
  }

  private checkRoot(name: string, node: PyNode): void {
    const fields = this.options.fields;
    if (fields !== null && !fields.includes(name)) this.fail(unknownFieldMessage(name, fields), node);
  }

  /** `date('...')`: the instant, as the marker v1 sends. */
  private date(node: PyNodeOf<"Call">): JsonObject {
    if (node.args.length !== 1 || node.keywords > 0) this.fail("date('Y-M-D H:M:S') requires one argument: date string", node);
    const argument = node.args[0] as PyNode;
    if (argument.kind !== "Constant" || argument.value.type !== "str") {
      return this.fail(
        "date() argument must be a literal string, e.g. date('Y-M-D H:M:S') or date('7/25 23:33') or date('3 hours ago') etc.",
        node,
      );
    }
    const parsed = parseHumanDate(argument.value.value, this.options.now());
    if (parsed === undefined) this.fail(`Invalid date string ${pythonRepr(argument.value)}. ${DATE_USAGE}`, argument);
    this.usesDate = true;
    return datetimeMarker(parsed as Date);
  }

  /** The dotted path of a field node, checking its root name against the allow-list. */
  private fieldPath(node: PyNode): string {
    switch (node.kind) {
      case "Name":
        this.checkRoot(node.id, node);
        return node.id;
      case "Attribute":
        if (node.value.kind !== "Name" && node.value.kind !== "Attribute" && node.value.kind !== "Subscript") {
          return this.fail(`Unsupported attribute access: '.${node.attr}' on a ${node.value.kind === "Call" ? "function call" : node.value.kind}`, node);
        }
        return `${this.fieldPath(node.value)}.${node.attr}`;
      case "Subscript": {
        if (!isField(node.value)) return this.fail("Subscripts are only supported on fields, e.g. args.items[0]", node);
        return `${this.fieldPath(node.value)}.${this.subscript(node.slice)}`;
      }
      case "Call":
        if (isTypedField(node)) return this.fieldPath((node as PyNodeOf<"Call">).args[0] as PyNode);
        return this.fail("Expected a field", node);
      default:
        return this.fail("Expected a field", node);
    }
  }

  private subscript(slice: PyNode): string {
    if (slice.kind === "Constant") {
      if (slice.value.type === "str") return slice.value.value;
      if (slice.value.type === "int") return slice.value.value.toString();
      return this.fail(
        `Only string and integer subscripts are supported, got: ${pythonTypeName(slice.value)} with value ${pythonRepr(slice.value)}`,
        slice,
      );
    }
    if (slice.kind === "UnaryOp" && slice.op === "-") {
      const operand = slice.operand;
      const info = operand.kind === "Constant" ? ` (value: -${pythonRepr(operand.value)})` : operand.kind === "Name" ? ` (variable: -${operand.id})` : "";
      return this.fail(`Negative indexing is not supported${info}`, slice);
    }
    if (slice.kind === "Name") return this.fail(`Variable subscript is not supported in MongoDB queries: ${slice.id}`, slice);
    return this.fail(`Unsupported subscript type: ${slice.kind}`, slice);
  }

  /** A value compared with a field: a literal, a negative constant or date(...). */
  private value(node: PyNode): JsonValue {
    if (isNegativeConstant(node)) return this.negativeConstant(node);
    if (node.kind === "Constant") return this.constant(node);
    if (node.kind === "List" || node.kind === "Tuple" || node.kind === "Set" || node.kind === "Dict") return this.literal(node);
    if (node.kind === "Call" && isCall(node, "date")) return this.date(node);
    if (node.kind === "Name") {
      return this.fail(`'${node.id}' is a field name, not a value; write '${node.id}' in quotes to use the string`, node);
    }
    return this.fail("The value compared with a field must be a literal (number, string, True/False/None, list, dict) or date(...)", node);
  }

  private negativeConstant(node: PyNodeOf<"UnaryOp">): JsonValue {
    const constant = (node.operand as PyNodeOf<"Constant">).value;
    if (constant.type === "bool") return constant.value ? -1 : 0;
    if (constant.type !== "int" && constant.type !== "float") {
      return this.fail(`bad operand type for unary -: '${pythonTypeName(constant)}'`, node);
    }
    return negate(this.constant(node.operand as PyNodeOf<"Constant">));
  }

  private constant(node: PyNodeOf<"Constant">): JsonValue {
    return constantToJson(node.value, (message) => this.fail(message, node));
  }

  /** A container display whose elements are values; tuples and sets become lists, dict keys strings. */
  private literal(node: PyNodeOf<"List" | "Tuple" | "Set" | "Dict">): JsonValue {
    if (node.kind !== "Dict") return node.elts.map((element) => this.value(element));
    const out: JsonObject = {};
    node.keys.forEach((keyNode, index) => {
      const key = keyNode.kind === "Constant" ? this.constant(keyNode) : undefined;
      if (typeof key !== "string") this.fail("dict keys in a filter must be strings", keyNode);
      setOwn(out, key as string, this.value(node.values[index] as PyNode));
    });
    return out;
  }

  private describeCallee(func: PyNode): string {
    if (func.kind === "Name") return func.id;
    return this.text.slice(func.start, func.end);
  }
}

/** `{key: value}` with the key set as an own property (a field may be called `__proto__`). */
function object(key: string, value: JsonValue): JsonObject {
  const out: JsonObject = {};
  setOwn(out, key, value);
  return out;
}
