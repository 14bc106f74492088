/**
 * `compileFilter`: any filter a user or a client gives, compiled once into the shared representation and from
 * there into a JavaScript predicate (what `test()` runs) and a JSONata program (the reference evaluator), plus
 * the MongoDB document that goes on the wire (and that `-v` shows, as v1's "Parsed filter"). Compiled filters
 * are cached by their text (documents by their canonical JSON); a filter using `date()` is not, because its
 * instant depends on the clock at compile time.
 *
 * Which input is which (as labtasker v1's `parse_filter` decides, plus our JSONata extension):
 * - a string starting with `jsonata:` is a JSONata expression;
 * - a string that is a Python dict literal (`{'args.lr': {'$gt': 0.01}}`) is a MongoDB query;
 * - any other string is a Python-style expression (`args.lr > 0.01 and 'v1' in list(metadata.tags)`);
 * - an object is a MongoDB query document as it arrives on the wire, `{"_dt": ...}` markers and all; a top-level
 *   `"$jsonata": "<expr>"` adds a JSONata condition (ANDed with the rest).
 */
import type jsonata from "jsonata";
import type { JsonObject } from "../json.js";
import { compilePredicate, type Predicate } from "./compile/js.js";
import { compileJsonataProgram } from "./compile/jsonata.js";
import { FilterError, PythonLiteralError, joinPath } from "./errors.js";
import { TASK_FILTER_FIELDS } from "./fields.js";
import type { Query } from "./ir.js";
import {
  JSONATA_OPERATOR,
  JSONATA_PREFIX,
  compileUserJsonata,
  evaluateProgram,
  evaluateUserJsonata,
} from "./jsonata.js";
import { LRUCache } from "lru-cache";
import { parseQuery } from "./mongo/query.js";
import { parseLocatedLiteral } from "./python/literal.js";
import { transpilePythonFilter } from "./python/transpile.js";
import { decodeFilterValue, isPlainObject } from "./values.js";
import { canonicalJson, toWireValue } from "./wire.js";

/** A filter: text (Python-style expression, Python dict literal, or `jsonata:` expression) or a Mongo document. */
export type FilterInput = string | Record<string, unknown>;

export interface CompileOptions {
  /**
   * Root names a Python-style filter may use; `null` turns the check off. Does not apply to Mongo documents.
   * @defaultValue {@link TASK_FILTER_FIELDS} (v1's allow-list)
   */
  fields?: readonly string[] | null;
  /**
   * The clock relative dates count from (`date("3 hours ago")`).
   * @defaultValue the real clock
   */
  now?: () => Date;
}

/** A compiled filter. Treat every property as read-only: compiled filters are shared through the cache. */
export interface CompiledFilter {
  /** The syntax the filter was written in. */
  readonly syntax: "python" | "mongo" | "jsonata";
  /** The source: the trimmed text, or the canonical JSON of a document. */
  readonly source: string;
  /**
   * The MongoDB query, datetimes as `{"_dt": iso}` markers: what goes on the wire as `extra_filter` (for a
   * Python-style filter, what labtasker v1's client sends for the same text).
   */
  readonly mongo: Record<string, unknown>;
  /** The JSONata program of the shared representation (self-contained; true for a document that matches). */
  readonly jsonata: string;
  /** The shared representation (without the user JSONata part). */
  readonly query: Query;
  /** The user's JSONata expression, when the filter has one. */
  readonly userJsonata: string | undefined;
  /** True when the filter holds a user JSONata expression: then only `evaluate()` can decide. */
  readonly async: boolean;
  /**
   * Whether a document matches, synchronously (the compiled JavaScript predicate). Throws a FilterError for a
   * filter holding user JSONata (`async` is true), which JSONata can only evaluate asynchronously.
   */
  test(document: object): boolean;
  /** Whether a document matches: `test()`, then the user JSONata expression if there is one. */
  evaluate(document: object): Promise<boolean>;
  /** Whether a document matches, decided by the JSONata program (the reference evaluator; slower). */
  evaluateJsonata(document: object): Promise<boolean>;
}

/**
 * Compiled filters by source, least recently used evicted first; 1,000 entries hold every filter a server sees in
 * practice at a few MB at most. No ttl: a compiled filter never goes stale (filters whose meaning moves with the
 * clock, `date(...)`, are not cached).
 */
const cache = new LRUCache<string, CompiledFilter>({ max: 1000 });

/** Compiles a filter (see the module comment for how inputs are told apart). Throws {@link FilterError}. */
export function compileFilter(input: FilterInput, options: CompileOptions = {}): CompiledFilter {
  const fields = options.fields === undefined ? TASK_FILTER_FIELDS : options.fields;
  const now = options.now ?? (() => new Date());
  if (typeof input === "string") {
    const text = input.trim();
    const key = `text\0${fields === null ? "*" : fields.join(",")}\0${text}`;
    const cached = cache.get(key);
    if (cached !== undefined) return cached;
    const { filter, cacheable } = compileText(text, fields, now);
    if (cacheable) cache.set(key, filter);
    return filter;
  }
  if (!isPlainObject(input)) throw new FilterError("a filter must be a string or a MongoDB query document (an object)", { path: "" });
  const fail: Fail = (message, path) => {
    throw new FilterError(message, { path: joinPath(path) });
  };
  let source: string;
  try {
    source = canonicalJson(input);
  } catch (error) {
    // Something JSON cannot hold (an invalid Date, a function): let the decoder say what and where.
    decodeFilterValue(input, fail);
    throw error;
  }
  const key = `doc\0${source}`;
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  const filter = compileDocument(input, "mongo", source, fail);
  cache.set(key, filter);
  return filter;
}

/** What a client sends as `extra_filter` for a filter: the canonical MongoDB query of {@link compileFilter}. */
export function toWireFilter(input: FilterInput, options: CompileOptions = {}): Record<string, unknown> {
  return compileFilter(input, options).mongo;
}

function compileText(text: string, fields: readonly string[] | null, now: () => Date): { filter: CompiledFilter; cacheable: boolean } {
  if (text.startsWith(JSONATA_PREFIX)) {
    const expression = text.slice(JSONATA_PREFIX.length);
    const offset = JSONATA_PREFIX.length + (expression.length - expression.trimStart().length);
    return { filter: userJsonataFilter(expression.trim(), text, offset), cacheable: true };
  }
  // v1's parse_filter: a Python literal that is a dict is a raw Mongo query; anything else is an expression.
  let literalError: FilterError | undefined;
  try {
    const { value, offsets } = parseLocatedLiteral(text);
    if (isPlainObject(value)) {
      const filter = compileDocument(value, "mongo", text, (message, path) => {
        throw new FilterError(message, { text, offset: locate(offsets, path), path: joinPath(path) });
      });
      return { filter, cacheable: true };
    }
  } catch (error) {
    if (!(error instanceof PythonLiteralError)) throw error;
    literalError = error;
  }
  try {
    const { mongo, usesDate } = transpilePythonFilter(text, { fields, now });
    const filter = compileDocument(mongo, "python", text, (message) => {
      // The transpiler checks everything the query parser would; reaching here is a bug, not a user error.
      throw new FilterError(`internal error: the transpiled query was rejected: ${message}`, { text });
    });
    return { filter, cacheable: !usesDate };
  } catch (error) {
    // `{"a": true}` is meant as a dict: the literal's error ("write True") helps, the expression's does not.
    if (literalError !== undefined && text.startsWith("{")) throw literalError;
    throw error;
  }
}

/** The offset of the deepest part of `path` the literal parser recorded. */
function locate(offsets: Map<string, number>, path: Array<string | number>): number {
  for (let length = path.length; length >= 0; length--) {
    const offset = offsets.get(joinPath(path.slice(0, length)));
    if (offset !== undefined) return offset;
  }
  return 0;
}

type Fail = (message: string, path: Array<string | number>) => never;

function compileDocument(document: Record<string, unknown>, syntax: "python" | "mongo", source: string, fail: Fail): CompiledFilter {
  const wire = toWireValue(document) as Record<string, unknown>;
  let user: { text: string; expression: jsonata.Expression } | undefined;
  const rest: Record<string, unknown> = { ...document };
  if (Object.prototype.hasOwnProperty.call(document, JSONATA_OPERATOR)) {
    const text = document[JSONATA_OPERATOR];
    if (typeof text !== "string") fail(`${JSONATA_OPERATOR} needs a string holding a JSONata expression`, [JSONATA_OPERATOR]);
    delete rest[JSONATA_OPERATOR];
    user = { text: text as string, expression: compileUserJsonata(text as string, text as string, 0, JSONATA_OPERATOR) };
  }
  const query = parseQuery(decodeFilterValue(rest, fail), fail);
  return makeFilter(syntax, source, deepFreeze(wire), query, user);
}

function userJsonataFilter(expression: string, source: string, offset: number): CompiledFilter {
  if (expression === "") throw new FilterError("Empty JSONata expression after 'jsonata:'", { text: source, offset });
  const compiled = compileUserJsonata(expression, source, offset);
  const mongo: JsonObject = { [JSONATA_OPERATOR]: expression };
  return makeFilter("jsonata", source, deepFreeze(mongo), { kind: "and", items: [] }, { text: expression, expression: compiled });
}

function makeFilter(
  syntax: CompiledFilter["syntax"],
  source: string,
  mongo: Record<string, unknown>,
  query: Query,
  user: { text: string; expression: jsonata.Expression } | undefined,
): CompiledFilter {
  const predicate: Predicate = compilePredicate(query);
  const program = compileJsonataProgram(query);
  const isAsync = user !== undefined;
  return Object.freeze({
    syntax,
    source,
    mongo,
    jsonata: program,
    query,
    userJsonata: user?.text,
    async: isAsync,
    test(document: object): boolean {
      if (isAsync) {
        throw new FilterError("This filter holds a JSONata expression, which is evaluated asynchronously: use evaluate()");
      }
      return predicate(document as Record<string, unknown>);
    },
    async evaluate(document: object): Promise<boolean> {
      if (!predicate(document as Record<string, unknown>)) return false;
      return user === undefined ? true : evaluateUserJsonata(user.expression, document);
    },
    async evaluateJsonata(document: object): Promise<boolean> {
      if (!(await evaluateProgram(program, document))) return false;
      return user === undefined ? true : evaluateUserJsonata(user.expression, document);
    },
  });
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}
