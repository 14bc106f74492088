/**
 * The args schema of `loop()`: the TypeScript form of labtasker v1's `Required()` parameters. Its keys are the task
 * args the handler needs (they become the fetch's `required_fields`, so "no more, no less" applies) and its values
 * say how to turn each raw JSON value into what the handler gets, so the handler's argument type is inferred:
 *
 * ```ts
 * loop({ args: { lr: Number, model: String, optimizer: { lr: Number, momentum: Number }, extra: true } }, ...)
 * // handler args: { lr: number; model: string; optimizer: { lr: number; momentum: number }; extra: JsonValue }
 * ```
 */
import { isLosslessNumber, type JsonObject, type JsonValue } from "../json.js";
import { ArgsError, LoopOptionsError } from "./errors.js";

/**
 * Turns one raw arg value into what the handler gets (v1's `Required(resolver=...)`); it may validate and throw.
 * `path` is the dotted arg path, for messages. Numbers that JavaScript cannot hold exactly (a Python float such as
 * `3.0`, big integers) arrive as `LosslessNumber`s; `Number(value)` converts them.
 */
export type ArgResolver<T = unknown> = (value: JsonValue, path: string) => T;

/** A validator object with a `parse` method, such as a zod schema: `parse(value)` returns the value or throws. */
export interface ArgParser<T = unknown> {
  parse(value: unknown): T;
}

/**
 * How one arg is read:
 * - `Number`, `String`, `Boolean`: checked and converted (`"0.1"` and `LosslessNumber`s become numbers, numbers become
 *   strings, `"true"`/`"false"` booleans; anything else is an {@link ArgsError});
 * - a function ({@link ArgResolver}): called with the raw value; its (awaited) result is passed on;
 * - an object with a `parse` method that is not a plain object ({@link ArgParser}, e.g. a zod schema);
 * - a plain object: a nested schema; each of its keys is required inside this arg (dotted required fields);
 * - `true`: the raw JSON value, unchanged (v1's `Required(resolver=lambda x: x)`).
 */
export type ArgSpec = true | ArgResolver | ArgParser | ArgsSchema;

/**
 * Arg names (or dotted paths, looked up as a direct key first, then as a path, as v1 does) mapped to their
 * {@link ArgSpec}. At the top level, the key `"*"` with value `true` allows args the schema does not name (v1's
 * `"*"` required field); they reach the handler as raw JSON.
 */
export interface ArgsSchema {
  readonly [key: string]: ArgSpec;
}

/** What the handler gets for one {@link ArgSpec}. */
export type ArgValue<S> = S extends true
  ? JsonValue
  : S extends NumberConstructor
    ? number
    : S extends StringConstructor
      ? string
      : S extends BooleanConstructor
        ? boolean
        : S extends (...args: never[]) => infer R
          ? Awaited<R>
          : S extends ArgsSchema
            ? ParsedArgs<S>
            : S extends { parse(value: unknown): infer R }
              ? Awaited<R>
              : never;

type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** The handler's args for a schema: one property per key (minus `"*"`), plus any other key when `"*"` is given. */
export type ParsedArgs<S extends ArgsSchema> = Simplify<{ -readonly [K in keyof S as K extends "*" ? never : K]: ArgValue<S[K]> }> &
  (S extends { readonly "*": true } ? { [key: string]: unknown } : unknown);

/** A schema checked once, at the start of the loop. */
export interface CompiledSchema {
  /** Dotted paths for the fetch, `"*"` included when extra args are allowed. */
  requiredFields: string[];
  /** The handler's args for a task's args; rejects with an {@link ArgsError} (or the resolver's own error). */
  parse(args: JsonObject): Promise<Record<string, unknown>>;
}

/** v1's required-field syntax (contract 4.5), applied to each schema key. */
const FIELD_PATH = /^[a-zA-Z0-9_-]+(\.[a-zA-Z0-9_-]+)*$/;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (isLosslessNumber(value)) return `the number ${String(value)}`;
  if (typeof value === "object") return "an object";
  return `${typeof value} ${JSON.stringify(value)}`;
}

const NUMBER_TEXT = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;

function toNumber(value: JsonValue, path: string): number {
  if (typeof value === "number") return value;
  if (isLosslessNumber(value) || (typeof value === "string" && NUMBER_TEXT.test(value))) {
    const number = Number(isLosslessNumber(value) ? value.value : value);
    if (Number.isFinite(number)) return number;
  }
  throw new ArgsError(path, `expected a number, got ${describe(value)}`);
}

function toText(value: JsonValue, path: string): string {
  if (typeof value === "string") return value;
  // A LosslessNumber keeps its text, so a Python float 3.0 becomes "3.0", as Python's str() prints it.
  if (typeof value === "number" || isLosslessNumber(value)) return isLosslessNumber(value) ? value.value : String(value);
  throw new ArgsError(path, `expected a string, got ${describe(value)}`);
}

function toBoolean(value: JsonValue, path: string): boolean {
  if (typeof value === "boolean") return value;
  if (typeof value === "string" && /^(true|false)$/i.test(value)) return value.toLowerCase() === "true";
  if (value === 0 || value === 1) return value === 1;
  throw new ArgsError(path, `expected a boolean, got ${describe(value)}`);
}

/** A value by key: the key itself first, then as a dotted path (v1's `get_nested_value`). */
function lookup(args: JsonObject, key: string): JsonValue | undefined {
  if (Object.hasOwn(args, key)) return args[key];
  let current: JsonValue | undefined = args;
  for (const part of key.split(".")) {
    if (!isPlainObject(current) || !Object.hasOwn(current, part)) return undefined;
    current = (current as JsonObject)[part];
  }
  return current;
}

type Reader = (value: JsonValue, path: string) => unknown;

/**
 * Checks a schema and derives its required fields and its parser. Throws {@link LoopOptionsError} for keys that are
 * not arg paths, specs of an unknown kind, `"*"` anywhere but the top level, and empty nested schemas.
 */
export function compileSchema(schema: ArgsSchema | undefined | null): CompiledSchema {
  if (schema == null) return { requiredFields: [], parse: async () => ({}) };
  if (!isPlainObject(schema)) throw new LoopOptionsError("args must be a plain object mapping arg names to Number, String, Boolean, a function, a nested schema or true");
  const requiredFields: string[] = [];

  const compileObject = (object: Record<string, unknown>, prefix: string): Reader => {
    const readers: Array<[key: string, read: Reader]> = [];
    let extra = false;
    for (const [key, spec] of Object.entries(object)) {
      const path = prefix + key;
      if (key === "*") {
        if (prefix !== "" || spec !== true) throw new LoopOptionsError(`"*" (extra args allowed) is only valid at the top level of args, as "*": true (got ${JSON.stringify(path)})`);
        extra = true;
        requiredFields.push("*");
        continue;
      }
      if (!FIELD_PATH.test(key)) throw new LoopOptionsError(`args key ${JSON.stringify(path)} is not an arg path (letters, digits, _ and -, joined by dots)`);
      if (isPlainObject(spec)) {
        if (Object.keys(spec).length === 0) throw new LoopOptionsError(`args.${path} is an empty nested schema; use true to take any value`);
        readers.push([key, compileObject(spec, `${path}.`)]);
        continue;
      }
      requiredFields.push(path);
      readers.push([key, specReader(spec, path)]);
    }
    // One value at a time: a resolver that fails stops the others before they start.
    return async (value, path) => {
      if (!isPlainObject(value)) throw new ArgsError(path, `expected an object, got ${describe(value)}`);
      const source = value as JsonObject;
      const out: Record<string, unknown> = extra ? { ...source } : {};
      for (const [key, read] of readers) {
        const keyPath = path === "" ? key : `${path}.${key}`;
        const item = lookup(source, key);
        if (item === undefined) throw new ArgsError(keyPath, "is missing");
        out[key] = await read(item, keyPath);
      }
      return out;
    };
  };

  const readTop = compileObject(schema, "");
  return {
    requiredFields,
    parse: async (args) => (await readTop(args, "")) as Record<string, unknown>,
  };
}

function specReader(spec: unknown, path: string): Reader {
  if (spec === true) return (value) => value;
  if (spec === Number) return toNumber;
  if (spec === String) return toText;
  if (spec === Boolean) return toBoolean;
  if (typeof spec === "function") return spec as Reader;
  if (spec !== null && typeof spec === "object" && typeof (spec as ArgParser).parse === "function") {
    return (value) => (spec as ArgParser).parse(value);
  }
  throw new LoopOptionsError(`args.${path} must be Number, String, Boolean, a function, an object with parse(), a nested schema or true (got ${describe(spec)})`);
}
