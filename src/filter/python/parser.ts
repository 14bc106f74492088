/**
 * Recursive-descent parser for Python expressions with Python's precedence:
 * `or` < `and` < `not` < comparisons < `|` < `^` < `&` < shifts < `+ -` < `* / // % @` < unary `+ - ~` < `**` <
 * calls, subscripts and attributes < atoms. Comparisons chain (`a < b < c` is one Compare node), `a and b and c` is
 * one BoolOp while parentheses keep their nesting, exactly as in Python's `ast`, because the transpiler's output
 * (and so what goes on the wire) follows the tree's shape.
 *
 * Two entry points mirror the two ways labtasker v1 reads text: {@link parseModule} as `ast.parse` sees a filter
 * (one expression statement; assignments and other statements are reported), {@link parseEval} as
 * `ast.literal_eval` sees a literal (`mode="eval"`).
 */
import { FilterError } from "../errors.js";
import type { BinaryOperator, CompareOperator, PyConstant, PyNode } from "./ast.js";
import { KEYWORDS, tokenize, type Token } from "./lexer.js";
import { numberConstant } from "./numbers.js";
import { EscapeError, decodeStringBody } from "./strings.js";

/** Statement keywords: input starting with one is a statement, which a filter cannot be. */
const STATEMENT_KEYWORDS = new Set([
  "def", "class", "import", "from", "if", "for", "while", "with", "try", "return", "pass", "raise", "del", "global",
  "nonlocal", "assert", "break", "continue", "async", "elif", "else", "except", "finally",
]);
const AUGMENTED = new Set(["+=", "-=", "*=", "/=", "//=", "%=", "**=", ">>=", "<<=", "&=", "|=", "^=", "@="]);
const COMPARISONS = new Set(["==", "!=", "<", "<=", ">", ">="]);

/** Raised for input that is valid Python but a statement rather than an expression (v1's "module" errors). */
export class StatementError extends FilterError {}

class Parser {
  private index = 0;

  constructor(
    private readonly text: string,
    private readonly tokens: Token[],
    private readonly errorClass: typeof FilterError,
  ) {}

  get peek(): Token {
    return this.tokens[this.index] as Token;
  }

  private peekAt(ahead: number): Token {
    return this.tokens[Math.min(this.index + ahead, this.tokens.length - 1)] as Token;
  }

  private advance(): Token {
    const token = this.peek;
    if (token.type !== "end") this.index++;
    return token;
  }

  fail(message: string, at: number, errorClass: typeof FilterError = this.errorClass): never {
    throw new errorClass(message, { text: this.text, offset: at });
  }

  private isOp(value: string, token: Token = this.peek): boolean {
    return token.type === "op" && token.value === value;
  }

  private isKeyword(value: string, token: Token = this.peek): boolean {
    return token.type === "name" && token.value === value;
  }

  private expectOp(value: string): Token {
    if (!this.isOp(value)) this.unexpected();
    return this.advance();
  }

  unexpected(token: Token = this.peek): never {
    if (token.type === "end") return this.fail("unexpected end of input", token.start);
    if (token.type === "newline") return this.fail("invalid syntax (unexpected end of line)", token.start);
    return this.fail("invalid syntax", token.start);
  }

  /** `expressions`: one expression, or a tuple when there are top-level commas (`a, b`). */
  parseTestList(): PyNode {
    const first = this.parseExpression();
    if (!this.isOp(",")) return first;
    const elts = [first];
    let end = first.end;
    while (this.isOp(",")) {
      end = this.advance().end;
      if (!this.startsExpression()) break;
      const next = this.parseExpression();
      elts.push(next);
      end = next.end;
    }
    return { kind: "Tuple", elts, start: first.start, end };
  }

  private startsExpression(token: Token = this.peek): boolean {
    if (token.type === "end" || token.type === "newline") return false;
    if (token.type === "op") return ["(", "[", "{", "-", "+", "~", "*", "..."].includes(token.value);
    if (token.type === "name") return !KEYWORDS.has(token.value) || ["not", "lambda", "True", "False", "None", "await"].includes(token.value);
    return true;
  }

  parseExpression(): PyNode {
    if (this.isKeyword("lambda")) this.fail("lambda expressions are not supported in filters", this.peek.start);
    if (this.isKeyword("yield")) this.fail("'yield' is not supported in filters", this.peek.start);
    const node = this.parseDisjunction();
    if (this.isKeyword("if")) this.fail("conditional expressions (x if c else y) are not supported in filters", this.peek.start);
    if (this.isOp(":=")) this.fail("assignment expressions (:=) are not supported in filters", this.peek.start);
    return node;
  }

  private parseDisjunction(): PyNode {
    return this.parseBoolOp("or", () => this.parseConjunction());
  }

  private parseConjunction(): PyNode {
    return this.parseBoolOp("and", () => this.parseInversion());
  }

  private parseBoolOp(op: "and" | "or", operand: () => PyNode): PyNode {
    const first = operand();
    if (!this.isKeyword(op)) return first;
    const values = [first];
    while (this.isKeyword(op)) {
      this.advance();
      values.push(operand());
    }
    return { kind: "BoolOp", op, values, start: first.start, end: (values[values.length - 1] as PyNode).end };
  }

  private parseInversion(): PyNode {
    if (this.isKeyword("not")) {
      const start = this.advance().start;
      const operand = this.parseInversion();
      return { kind: "UnaryOp", op: "not", operand, start, end: operand.end };
    }
    return this.parseComparison();
  }

  private parseComparison(): PyNode {
    const left = this.parseBinary(0);
    const ops: CompareOperator[] = [];
    const comparators: PyNode[] = [];
    for (;;) {
      const token = this.peek;
      let op: CompareOperator | undefined;
      if (token.type === "op" && COMPARISONS.has(token.value)) {
        this.advance();
        op = token.value as CompareOperator;
      } else if (this.isKeyword("in")) {
        this.advance();
        op = "in";
      } else if (this.isKeyword("not") && this.isKeyword("in", this.peekAt(1))) {
        this.advance();
        this.advance();
        op = "not in";
      } else if (this.isKeyword("is")) {
        this.advance();
        op = this.isKeyword("not") ? (this.advance(), "is not") : "is";
      }
      if (op === undefined) break;
      ops.push(op);
      comparators.push(this.parseBinary(0));
    }
    if (ops.length === 0) return left;
    return { kind: "Compare", left, ops, comparators, start: left.start, end: (comparators[comparators.length - 1] as PyNode).end };
  }

  /** Binary operators from `|` (level 0) down to `* / // % @` (level 5), all left-associative. */
  private parseBinary(level: number): PyNode {
    const levels: string[][] = [["|"], ["^"], ["&"], ["<<", ">>"], ["+", "-"], ["*", "/", "//", "%", "@"]];
    const operators = levels[level];
    if (operators === undefined) return this.parseFactor();
    let left = this.parseBinary(level + 1);
    while (this.peek.type === "op" && operators.includes((this.peek as { value: string }).value)) {
      const op = (this.advance() as { value: string }).value as BinaryOperator;
      const right = this.parseBinary(level + 1);
      left = { kind: "BinOp", op, left, right, start: left.start, end: right.end };
    }
    return left;
  }

  private parseFactor(): PyNode {
    const token = this.peek;
    if (token.type === "op" && (token.value === "-" || token.value === "+" || token.value === "~")) {
      this.advance();
      const operand = this.parseFactor();
      return { kind: "UnaryOp", op: token.value, operand, start: token.start, end: operand.end };
    }
    return this.parsePower();
  }

  private parsePower(): PyNode {
    if (this.isKeyword("await")) this.fail("'await' is not supported in filters", this.peek.start);
    const base = this.parsePrimary();
    if (!this.isOp("**")) return base;
    this.advance();
    const exponent = this.parseFactor();
    return { kind: "BinOp", op: "**", left: base, right: exponent, start: base.start, end: exponent.end };
  }

  private parsePrimary(): PyNode {
    let node = this.parseAtom();
    for (;;) {
      if (this.isOp(".")) {
        this.advance();
        const name = this.peek;
        if (name.type !== "name" || KEYWORDS.has(name.value)) this.unexpected(name);
        this.advance();
        node = { kind: "Attribute", value: node, attr: name.value, start: node.start, end: name.end };
      } else if (this.isOp("(")) {
        this.advance();
        const { args, keywords } = this.parseCallArguments();
        const close = this.expectOp(")");
        node = { kind: "Call", func: node, args, keywords, start: node.start, end: close.end };
      } else if (this.isOp("[")) {
        this.advance();
        const slice = this.parseSlices();
        const close = this.expectOp("]");
        node = { kind: "Subscript", value: node, slice, start: node.start, end: close.end };
      } else {
        return node;
      }
    }
  }

  private parseCallArguments(): { args: PyNode[]; keywords: number } {
    const args: PyNode[] = [];
    let keywords = 0;
    while (!this.isOp(")")) {
      if (this.isOp("*") || this.isOp("**")) this.fail("argument unpacking (*args, **kwargs) is not supported in filters", this.peek.start);
      if (this.peek.type === "name" && this.isOp("=", this.peekAt(1))) {
        this.advance();
        this.advance();
        this.parseExpression();
        keywords++;
      } else {
        const arg = this.parseExpression();
        if (this.isKeyword("for")) this.fail("comprehensions are not supported in filters", this.peek.start);
        args.push(arg);
      }
      if (!this.isOp(",")) break;
      this.advance();
    }
    return { args, keywords };
  }

  private parseSlices(): PyNode {
    const first = this.parseSlice();
    if (!this.isOp(",")) return first;
    const elts = [first];
    let end = first.end;
    while (this.isOp(",")) {
      end = this.advance().end;
      if (this.isOp("]")) break;
      const next = this.parseSlice();
      elts.push(next);
      end = next.end;
    }
    return { kind: "Tuple", elts, start: first.start, end };
  }

  private parseSlice(): PyNode {
    const start = this.peek.start;
    let lower: PyNode | undefined;
    if (!this.isOp(":")) lower = this.parseExpression();
    if (!this.isOp(":")) {
      if (lower === undefined) this.unexpected();
      return lower as PyNode;
    }
    // A slice (a[1:2], a[::2]): parsed so the transpiler can name it, as v1 does ("Unsupported subscript type: Slice").
    let end = this.advance().end;
    if (!this.isOp(":") && !this.isOp("]") && !this.isOp(",")) end = this.parseExpression().end;
    if (this.isOp(":")) {
      end = this.advance().end;
      if (!this.isOp("]") && !this.isOp(",")) end = this.parseExpression().end;
    }
    return { kind: "Slice", start, end };
  }

  private parseAtom(): PyNode {
    const token = this.peek;
    if (token.type === "name") {
      if (token.value === "True" || token.value === "False") {
        this.advance();
        return this.constant({ type: "bool", value: token.value === "True" }, token);
      }
      if (token.value === "None") {
        this.advance();
        return this.constant({ type: "none" }, token);
      }
      if (KEYWORDS.has(token.value)) this.unexpected(token);
      this.advance();
      return { kind: "Name", id: token.value, start: token.start, end: token.end };
    }
    if (token.type === "number") {
      this.advance();
      return this.constant(numberConstant(token.text), token);
    }
    if (token.type === "string") return this.parseStrings();
    if (token.type === "op") {
      if (token.value === "(") return this.parseParenthesized();
      if (token.value === "[") return this.parseList();
      if (token.value === "{") return this.parseBraces();
      if (token.value === "...") this.fail("Ellipsis (...) is not supported in filters", token.start);
      if (token.value === "*") this.fail("starred expressions are not supported in filters", token.start);
    }
    return this.unexpected(token);
  }

  private constant(value: PyConstant, token: Token): PyNode {
    return { kind: "Constant", value, start: token.start, end: token.end };
  }

  /** Adjacent string literals concatenate (`'a' 'b'` is `'ab'`), as in Python. */
  private parseStrings(): PyNode {
    const first = this.peek;
    let value = "";
    let bytes = false;
    let end = first.end;
    let count = 0;
    while (this.peek.type === "string") {
      const token = this.advance() as Extract<Token, { type: "string" }>;
      if (token.prefix.includes("f")) this.fail("f-strings are not supported in filters", token.start);
      const isBytes = token.prefix.includes("b");
      if (count > 0 && isBytes !== bytes) this.fail("cannot mix bytes and nonbytes literals", token.start);
      bytes = isBytes;
      count++;
      end = token.end;
      if (isBytes) continue;
      try {
        value += decodeStringBody(token.body, token.prefix.includes("r"));
      } catch (error) {
        if (error instanceof EscapeError) {
          const quoteLength = /^('''|""")/.test(this.text.slice(token.start + token.prefix.length)) ? 3 : 1;
          this.fail(error.message, token.start + token.prefix.length + quoteLength + error.at);
        }
        throw error;
      }
    }
    return { kind: "Constant", value: bytes ? { type: "bytes" } : { type: "str", value }, start: first.start, end };
  }

  private parseParenthesized(): PyNode {
    const open = this.advance();
    if (this.isOp(")")) {
      const close = this.advance();
      return { kind: "Tuple", elts: [], start: open.start, end: close.end };
    }
    if (this.isKeyword("yield")) this.fail("'yield' is not supported in filters", this.peek.start);
    const first = this.parseExpression();
    if (this.isKeyword("for")) this.fail("comprehensions are not supported in filters", this.peek.start);
    if (this.isOp(")")) {
      this.advance();
      return first;
    }
    const elts = [first];
    while (this.isOp(",")) {
      this.advance();
      if (this.isOp(")")) break;
      elts.push(this.parseExpression());
    }
    const close = this.expectOp(")");
    return { kind: "Tuple", elts, start: open.start, end: close.end };
  }

  private parseList(): PyNode {
    const open = this.advance();
    const elts: PyNode[] = [];
    while (!this.isOp("]")) {
      elts.push(this.parseExpression());
      if (this.isKeyword("for")) this.fail("comprehensions are not supported in filters", this.peek.start);
      if (!this.isOp(",")) break;
      this.advance();
    }
    const close = this.expectOp("]");
    return { kind: "List", elts, start: open.start, end: close.end };
  }

  private parseBraces(): PyNode {
    const open = this.advance();
    const keys: PyNode[] = [];
    const values: PyNode[] = [];
    const elts: PyNode[] = [];
    let isDict: boolean | undefined;
    while (!this.isOp("}")) {
      if (this.isOp("**")) this.fail("dict unpacking (**) is not supported in filters", this.peek.start);
      const key = this.parseExpression();
      if (this.isKeyword("for")) this.fail("comprehensions are not supported in filters", this.peek.start);
      if (isDict === undefined) isDict = this.isOp(":");
      if (isDict) {
        this.expectOp(":");
        keys.push(key);
        values.push(this.parseExpression());
        if (this.isKeyword("for")) this.fail("comprehensions are not supported in filters", this.peek.start);
      } else {
        elts.push(key);
      }
      if (!this.isOp(",")) break;
      this.advance();
    }
    const close = this.expectOp("}");
    if (isDict === false) return { kind: "Set", elts, start: open.start, end: close.end };
    return { kind: "Dict", keys, values, start: open.start, end: close.end };
  }

  skipLine(): void {
    this.advance();
  }

  skipNewlines(): void {
    while (this.peek.type === "newline" || this.isOp(";")) this.advance();
  }

  atEnd(): boolean {
    return this.peek.type === "end";
  }
}

/**
 * Parses a filter as `ast.parse` would and returns its single expression. Assignments get v1's hint
 * ("use '==' instead of '='"), other statements v1's "Expected an expression in the module"; a second statement
 * (which v1 silently ignores) is an error here, because dropping a clause would widen the selection.
 */
export function parseModule(text: string, errorClass: typeof FilterError = FilterError): PyNode {
  const parser = new Parser(text, tokenize(text, errorClass), errorClass);
  parser.skipNewlines();
  const first = parser.peek;
  if (first.type === "end" || (first.type === "name" && STATEMENT_KEYWORDS.has(first.value)) || (first.type === "op" && first.value === "@")) {
    parser.fail("Expected an expression in the module", 0, StatementError);
  }
  const expression = parser.parseTestList();
  const next = parser.peek;
  if (next.type === "op" && next.value === "=") {
    reportAssignment(text, expression, parser);
  }
  if (next.type === "op" && (AUGMENTED.has(next.value) || next.value === ":")) {
    parser.fail("Expected an expression in the module", 0, StatementError);
  }
  if (next.type !== "end" && next.type !== "newline" && !(next.type === "op" && next.value === ";")) parser.unexpected();
  parser.skipNewlines();
  if (!parser.atEnd()) {
    parser.fail(
      "Only one expression is allowed in a filter; join conditions with 'and'/'or', or wrap a multi-line filter in parentheses",
      parser.peek.start,
      StatementError,
    );
  }
  return expression;
}

function reportAssignment(text: string, target: PyNode, parser: Parser): never {
  if (!["Name", "Attribute", "Subscript", "Tuple", "List"].includes(target.kind)) {
    parser.fail(`cannot assign to ${target.kind === "Compare" ? "comparison" : "expression"}`, target.start);
  }
  const name = target.kind === "Name" ? target.id : "";
  const lineStart = text.lastIndexOf("\n", target.start) + 1;
  const lineEnd = text.indexOf("\n", target.start);
  const line = text.slice(lineStart, lineEnd === -1 ? undefined : lineEnd);
  const suggestion = line.replace("=", "==");
  parser.fail(
    `Assignment '${name} = ...' not allowed in query. If you meant to check equality, use '==' instead of '='. ` +
      `Suggested correction: ${suggestion}`,
    target.start,
    StatementError,
  );
}

/** Parses text as `ast.literal_eval` reads it (`mode="eval"`): one expression, optionally a bare tuple. */
export function parseEval(text: string, errorClass: typeof FilterError = FilterError): PyNode {
  const parser = new Parser(text, tokenize(text, errorClass), errorClass);
  if (parser.atEnd()) parser.unexpected();
  const expression = parser.parseTestList();
  while (parser.peek.type === "newline") parser.skipLine();
  if (!parser.atEnd()) parser.unexpected();
  return expression;
}
