/**
 * JSON values that keep the exact form of numbers.
 *
 * labtasker's users are mostly Python programs: `3.0` is a float there and must come back as `3.0`, and
 * integers beyond 2^53 must stay exact. JavaScript numbers lose both, so any number whose JSON text would not
 * survive a round trip through `Number` is kept as a {@link LosslessNumber} holding its original text.
 * Every other number is a plain `number`, so most values look exactly like ordinary JSON to callers.
 */
import { LosslessNumber, isLosslessNumber, parse, stringify } from "lossless-json";

export { LosslessNumber, isLosslessNumber };

/** A JSON value whose numbers may carry their original text. */
export type JsonValue = null | boolean | number | string | LosslessNumber | JsonValue[] | JsonObject;
/** A JSON object of {@link JsonValue}s. */
export interface JsonObject {
  [key: string]: JsonValue;
}

/**
 * Whether a value is a JSON object (a document, or an object of a filter's document view): not null, an array, a
 * number kept as text, or a Date (filters hold dates). The one guard for "is this an object" across the project.
 */
export function isJsonObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === "object" && !Array.isArray(value) && !isLosslessNumber(value) && !(value instanceof Date);
}

/** Keeps `text` as a plain number when JavaScript prints it back the same way, else as its exact text. */
function parseNumber(text: string): number | LosslessNumber {
  const value = Number(text);
  return String(value) === text ? value : new LosslessNumber(text);
}

/**
 * Parses JSON text, keeping every number's form (see the module comment). Throws `SyntaxError` on bad JSON.
 *
 * Text that the native JSON.stringify writes back unchanged (the compact form this project stores, with numbers that
 * print back as written) holds no number to keep as text: the native parse gives the same value, in a fraction of
 * the lossless one's time (0.7 against 1 to 3 µs for a sweep's args, the check included). Any other text (a float
 * such as `3.0`, a big integer, spaces, a duplicate key) takes the lossless parse, whose errors callers see.
 */
export function parseJson(text: string): JsonValue {
  // What a task's metadata and summary hold unless set: each parse still makes a new object, as callers may change it.
  if (text === "{}") return {};
  try {
    const value = JSON.parse(text) as JsonValue;
    if (JSON.stringify(value) === text) return value;
  } catch {
    // Not JSON: the lossless parse says why.
  }
  return parse(text, null, parseNumber) as JsonValue;
}

function holdsLosslessNumber(value: unknown): boolean {
  if (value === null || typeof value !== "object") return false;
  if (isLosslessNumber(value)) return true;
  if (Array.isArray(value)) return value.some(holdsLosslessNumber);
  for (const key in value) if (holdsLosslessNumber((value as Record<string, unknown>)[key])) return true;
  return false;
}

/**
 * Serializes a value, writing every {@link LosslessNumber} as its original text. Values without one (most of them)
 * take the native JSON.stringify, about twice as fast.
 */
export function stringifyJson(value: unknown): string {
  if (!holdsLosslessNumber(value) && !(value instanceof Date)) {
    const native = JSON.stringify(value);
    if (native !== undefined) return native;
  }
  const text = stringify(value);
  if (text === undefined) throw new TypeError("value cannot be serialized to JSON");
  return text;
}

/** A deep copy of a JSON value; LosslessNumbers are immutable and shared. */
export function cloneJson<T extends JsonValue>(value: T): T {
  if (Array.isArray(value)) return value.map((item) => cloneJson(item)) as T;
  if (value !== null && typeof value === "object" && !isLosslessNumber(value)) {
    const out: JsonObject = {};
    for (const [key, item] of Object.entries(value)) out[key] = cloneJson(item);
    return out as T;
  }
  return value;
}

/**
 * The plain JavaScript view of a JSON value: numbers become `number` (a float `3.0` becomes `3`).
 * Used where values are compared or computed with (filters, sorting), never where they are stored.
 */
export function toPlain(value: unknown): unknown {
  if (isLosslessNumber(value)) return Number((value as LosslessNumber).value);
  if (Array.isArray(value)) return value.map(toPlain);
  if (value !== null && typeof value === "object" && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = toPlain(item);
    return out;
  }
  return value;
}

/**
 * A Python float as a JSON value: integral floats keep Python's text (`3.0`, `1e+16`), so a Python
 * client reads a float back; other floats are plain numbers (their JSON text parses to the same double).
 */
export function pythonFloat(value: number): number | LosslessNumber {
  if (!Number.isFinite(value)) throw new RangeError(`${value} cannot be represented in JSON`);
  if (!Number.isInteger(value)) return value;
  return new LosslessNumber(pythonFloatRepr(value));
}

/** Python's `repr()` of a float, e.g. `3.0`, `1e+16`, `1e-05`, `0.1`. */
export function pythonFloatRepr(value: number): string {
  if (Number.isNaN(value)) return "nan";
  if (!Number.isFinite(value)) return value > 0 ? "inf" : "-inf";
  if (Object.is(value, -0)) return "-0.0";
  // Python uses the shortest round-tripping digits, like JavaScript, but switches to exponent notation
  // when the decimal exponent is < -4 or >= 16, and always shows a fraction or an exponent.
  const [digits, exponent] = shortestDigits(Math.abs(value));
  const sign = value < 0 ? "-" : "";
  const pointPosition = exponent + 1; // position of the decimal point after the first digit
  if (exponent < -4 || exponent >= 16) {
    const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const exp = Math.abs(exponent) < 10 ? `0${Math.abs(exponent)}` : String(Math.abs(exponent));
    return `${sign}${mantissa}e${exponent < 0 ? "-" : "+"}${exp}`;
  }
  if (pointPosition <= 0) return `${sign}0.${"0".repeat(-pointPosition)}${digits}`;
  if (pointPosition >= digits.length) return `${sign}${digits}${"0".repeat(pointPosition - digits.length)}.0`;
  return `${sign}${digits.slice(0, pointPosition)}.${digits.slice(pointPosition)}`;
}

/** Shortest round-tripping significant digits of a positive finite number, and its decimal exponent. */
function shortestDigits(value: number): [string, number] {
  const [mantissa = "0", exponent = "0"] = value.toExponential().split("e");
  return [mantissa.replace(".", ""), Number(exponent)];
}
