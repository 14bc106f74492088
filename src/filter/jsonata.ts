/**
 * JSONata in filters: the compiled programs of the shared representation, and expressions users write
 * themselves (`jsonata: <expr>` as text, `{"$jsonata": "<expr>"}` on the wire).
 *
 * JSONata 2 evaluates asynchronously, so it cannot sit behind the synchronous `test()`; filters that contain a
 * user expression are evaluated with `evaluate()` (see src/filter/compile.ts).
 *
 * A JSONata expression cannot reach outside the document: JSONata has no function that reads files, the
 * environment or the process; `$lookup` and paths read only own properties (so `constructor` and `__proto__`
 * are undefined); `$eval` evaluates JSONata, nothing else; the only thing of the outside it sees is the clock
 * (`$now()`, `$millis()`). What a user expression could do is run long, so it gets guard rails: a time budget,
 * a recursion depth and a sequence length (JSONATA_LIMITS); exceeding one is a FilterError, not a hang.
 * A regular expression cannot be interrupted once running (JavaScript has no regex timeout); see docs/filter.md.
 */
import jsonata from "jsonata";
import { assertSafeRegex } from "./regex.js";
import { FilterError } from "./errors.js";
import { LRUCache } from "lru-cache";

/** The text prefix that marks a filter as JSONata (`-f 'jsonata: args.lr > 0.01'`). */
export const JSONATA_PREFIX = "jsonata:";
/** The operator that carries a JSONata expression inside a Mongo query document (top level only). */
export const JSONATA_OPERATOR = "$jsonata";

/**
 * Guard rails for user expressions. 100 ms per document is orders of magnitude above a sane filter (tens of
 * microseconds) yet keeps a runaway expression from holding a fetch for long; depth 500 allows deep data but stops
 * unbounded recursion well before Node's own stack limit; 100,000 items bounds the memory of a sequence.
 */
export const JSONATA_LIMITS = { timeout: 100, stack: 500, sequence: 100_000 } as const;

/** Codes of the guard-rail errors (depth, time, range and sequence size). */
const GUARD_CODES = new Set(["D1011", "D1012", "D2014", "D2015"]);

/**
 * The programs of compiled filters (`evaluateJsonata()`, the reference evaluator) compiled by JSONata, by text, least
 * recently used evicted first. 256: the reference evaluator serves tests and checks, a handful of programs at a time.
 * No ttl: a program never goes stale.
 */
const programCache = new LRUCache<string, jsonata.Expression>({ max: 256 });

interface JsonataFailure {
  code?: string;
  position?: number;
  token?: string;
  message?: string;
}

/**
 * Compiles a user expression; a syntax error becomes a FilterError pointing into `source` (the whole filter
 * text, in which the expression starts at `offset`), and at `path` when the expression came in a document.
 */
export function compileUserJsonata(expression: string, source: string, offset: number, path?: string): jsonata.Expression {
  let compiled: jsonata.Expression;
  try {
    compiled = jsonata(expression, { ...JSONATA_LIMITS });
  } catch (error) {
    const failure = error as JsonataFailure;
    const position = typeof failure.position === "number" ? Math.max(0, failure.position - 1) : 0;
    throw new FilterError(`Invalid JSONata expression: ${failure.message ?? String(error)}`, { text: source, offset: offset + position, path });
  }
  // The time limit cannot stop a regex once it runs: refuse the ones that could backtrack for ever (see ./regex.ts).
  for (const regex of regexLiterals(compiled.ast())) {
    try {
      assertSafeRegex(regex.source, regex.flags);
    } catch (error) {
      throw new FilterError(`Invalid JSONata expression: ${(error as Error).message}`, { text: source, offset, path });
    }
  }
  return compiled;
}

/** The regex literals of a JSONata syntax tree. */
function regexLiterals(ast: unknown): RegExp[] {
  const found: RegExp[] = [];
  const pending: unknown[] = [ast];
  const seen = new Set<unknown>();
  while (pending.length > 0) {
    const node = pending.pop();
    if (seen.has(node)) continue;
    seen.add(node);
    if (node instanceof RegExp) found.push(node);
    else if (Array.isArray(node)) pending.push(...node);
    else if (node !== null && typeof node === "object") pending.push(...Object.values(node));
  }
  return found;
}

/**
 * Whether a user expression holds for a document. The expression sees the task as JSON, the way `task ls`
 * shows it: datetimes are ISO strings (`"2025-07-25T15:41:00.000Z"`, so `$toMillis(created_at)` works). The
 * result counts as JSONata's `$boolean` does (`"v1"` or a non-empty list match, `0`, `""` and nothing do not).
 * An evaluation error (say `>` between a string and a number) means no match, as a type mismatch does in
 * MongoDB; a guard-rail error is thrown as a FilterError.
 */
export async function evaluateUserJsonata(expression: jsonata.Expression, document: object): Promise<boolean> {
  try {
    return jsonataTruthy(await expression.evaluate(jsonView(document)));
  } catch (error) {
    const failure = error as JsonataFailure;
    if (failure.code !== undefined && GUARD_CODES.has(failure.code)) {
      throw new FilterError(`JSONata filter stopped: ${failure.message ?? failure.code}`);
    }
    return false;
  }
}

/** Runs a compiled filter program (src/filter/compile/jsonata.ts) on a document as the broker holds it. */
export async function evaluateProgram(program: string, document: object): Promise<boolean> {
  let expression = programCache.get(program);
  if (expression === undefined) {
    expression = jsonata(program);
    programCache.set(program, expression);
  }
  return (await expression.evaluate(document)) === true;
}

/** JSONata's `$boolean` cast. */
export function jsonataTruthy(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (Array.isArray(value)) return value.length === 1 ? jsonataTruthy(value[0]) : value.some(jsonataTruthy);
  if (typeof value === "string") return value.length > 0;
  if (typeof value === "number") return value !== 0;
  if (typeof value === "boolean") return value;
  if (typeof value === "function") return false;
  if (typeof value === "object") return Object.keys(value).length > 0;
  return false;
}

/** The document as JSON values: Dates as ISO strings, everything else as is. */
export function jsonView(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(jsonView);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      Object.defineProperty(out, key, { value: jsonView(item), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return value;
}
