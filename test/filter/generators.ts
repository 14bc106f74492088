/**
 * Random inputs for the property tests: a seeded generator (so a failure reproduces), task-like documents with
 * every shape MongoDB semantics cares about, valid filters in both syntaxes, and malformed text and documents.
 */

/** mulberry32: a tiny, good-enough seeded PRNG. */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(max: number): number {
    return Math.floor(this.next() * max);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }
}

const KEYS = ["a", "b", "lr", "tags", "x", "0", "1", "constructor", "__proto__"];
const STRINGS = ["", "a", "b", "v1", "A", "0.1", "grid-1", "x\ny", "é"];
const NUMBERS = [0, 1, -1, 2, 0.5, 0.1, 10, -3.5, 1e21, 2 ** 40];
const DATES = [new Date("2025-07-01T00:00:00Z"), new Date("2025-07-30T08:00:00Z"), new Date(0)];

/** A scalar of any type a document can hold. */
export function scalar(random: Random): unknown {
  switch (random.int(6)) {
    case 0:
      return random.pick(NUMBERS);
    case 1:
      return random.pick(STRINGS);
    case 2:
      return random.chance(0.5);
    case 3:
      return null;
    case 4:
      return random.pick(DATES);
    default:
      return random.int(5);
  }
}

/** A JSON-like value, nested up to `depth`. */
export function value(random: Random, depth: number): unknown {
  if (depth <= 0 || random.chance(0.5)) return scalar(random);
  if (random.chance(0.5)) return Array.from({ length: random.int(4) }, () => value(random, depth - 1));
  return object(random, depth - 1);
}

function object(random: Random, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = random.int(4); i > 0; i--) {
    Object.defineProperty(out, random.pick(KEYS), { value: value(random, depth), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** A task-like document (`_id` set to `id`). */
export function document(random: Random, id: string): Record<string, unknown> {
  const out: Record<string, unknown> = { _id: id };
  for (const field of ["status", "priority", "args", "metadata", "summary", "created_at", "task_name"]) {
    if (random.chance(0.8)) out[field] = field === "args" || field === "metadata" || field === "summary" ? object(random, 3) : value(random, 2);
  }
  return out;
}

const FIELDS = ["status", "priority", "args.a", "args.lr", "args.tags", "metadata.tags", "metadata.x.a", "summary.b", "args.a.0", "args.tags.1.a", "created_at", "task_name", "args.constructor", "summary.__proto__"];

function pythonField(random: Random): string {
  const path = random.pick(FIELDS).split(".");
  return path.map((part, index) => (index === 0 ? part : /^\d+$/.test(part) ? `[${part}]` : random.chance(0.3) ? `['${part}']` : `.${part}`)).join("");
}

function pythonValue(random: Random): string {
  switch (random.int(9)) {
    case 0:
      return String(random.pick([0, 1, -1, 2, 0.5, 10, -3.5, 3.0]));
    case 1:
      return `'${random.pick(["a", "b", "v1", "A", "0.1", ""])}'`;
    case 2:
      return random.pick(["True", "False", "None"]);
    case 3:
      return `[${random.pick(["1, 2", "'a'", "", "[1]", "None, 'b'"])}]`;
    case 4:
      return `{'a': ${random.pick(["1", "'x'", "[1, 2]"])}}`;
    case 5:
      return `date('${random.pick(["1 day ago", "2025/7/15 00:00", "3 hours ago"])}')`;
    default:
      return String(random.int(5));
  }
}

/** A valid Python-style filter. */
export function pythonFilter(random: Random, depth = 3): string {
  const op = random.pick(["==", "<", "<=", ">", ">="]);
  switch (depth <= 0 ? random.int(8) : random.int(10)) {
    case 0:
      return `${pythonField(random)} ${op} ${pythonValue(random)}`;
    case 1:
      return `${pythonValue(random)} ${op} ${pythonField(random)}`;
    case 2:
      return `${pythonValue(random)} in list(${pythonField(random)})`;
    case 3:
      return `${pythonField(random)} in [${pythonValue(random)}, ${pythonValue(random)}]`;
    case 4:
      return `regex(${pythonField(random)}, '${random.pick(["^a", "(?i)A", "1$", ".*", "v\\d"])}')`;
    case 5:
      return `exists(${pythonField(random)}${random.pick(["", ", True", ", False"])})`;
    case 6:
      return `${pythonField(random)} ${op} ${pythonField(random)}`;
    case 7:
      return `${pythonField(random)} ${random.pick(["+", "-", "*", "/", "%"])} ${random.pick(["2", "-1", pythonField(random)])} ${op} ${random.pick(["0", "1", pythonField(random)])}`;
    case 8:
      return `(${pythonFilter(random, depth - 1)}) and (${pythonFilter(random, depth - 1)})`;
    default:
      return `(${pythonFilter(random, depth - 1)} or ${pythonFilter(random, depth - 1)})`;
  }
}

const OPERATORS = ["$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$exists", "$regex", "$not", "$type", "$mod", "$size", "$all", "$elemMatch"];

function operand(random: Random, op: string, depth: number): unknown {
  switch (op) {
    case "$in":
    case "$nin":
    case "$all":
      return Array.from({ length: random.int(3) }, () => value(random, 1));
    case "$exists":
      return random.chance(0.5);
    case "$regex":
      return random.pick(["^a", "A", "1$", "", "v\\d"]);
    case "$not":
      return { [random.pick(["$gt", "$eq", "$in", "$regex"])]: random.pick([1, "a", ["a", 1], "^v"]) };
    case "$type":
      return random.pick(["string", "number", "array", "object", "null", "date", "bool", "int", "double", 2]);
    case "$mod":
      return [random.pick([2, 3, -2]), random.pick([0, 1, -1])];
    case "$size":
      return random.int(3);
    case "$elemMatch":
      return random.chance(0.5) ? { $gt: random.int(3) } : mongoFilter(random, depth - 1);
    default:
      return random.chance(0.2) ? { _dt: random.pick(["2025-07-15T00:00:00", "2025-07-30T08:00:00+00:00"]) } : value(random, 1);
  }
}

/** An aggregation expression for `$expr`. */
function aggregation(random: Random, depth: number): unknown {
  if (depth <= 0 || random.chance(0.3)) return random.chance(0.6) ? `$${random.pick(FIELDS)}` : scalar(random);
  const op = random.pick(["$add", "$subtract", "$multiply", "$divide", "$mod", "$eq", "$ne", "$gt", "$lt", "$gte", "$lte", "$and", "$or", "$cmp", "$in"]);
  if (op === "$in") return { $in: [aggregation(random, depth - 1), random.pick([[1, "a", null], "$args.tags"])] };
  return { [op]: [aggregation(random, depth - 1), aggregation(random, depth - 1)] };
}

/** A valid Mongo query document. */
export function mongoFilter(random: Random, depth = 3): Record<string, unknown> {
  const choice = depth <= 0 ? random.int(3) : random.int(6);
  switch (choice) {
    case 0:
      return { [random.pick(FIELDS)]: value(random, 2) };
    case 1: {
      const op = random.pick(OPERATORS);
      return { [random.pick(FIELDS)]: { [op]: operand(random, op, depth) } };
    }
    case 2:
      return { $expr: aggregation(random, 2) };
    case 3:
      return { [random.pick(["$and", "$or", "$nor"])]: Array.from({ length: 1 + random.int(3) }, () => mongoFilter(random, depth - 1)) };
    case 4:
      return { ...mongoFilter(random, depth - 1), ...mongoFilter(random, depth - 1) };
    default: {
      const op = random.pick(OPERATORS);
      const op2 = random.pick(OPERATORS);
      return { [random.pick(FIELDS)]: { [op]: operand(random, op, depth), [op2]: operand(random, op2, depth) } };
    }
  }
}

const TOKENS = [
  "args", "args.lr", "metadata.tags", "status", "created_at", "summary", "foo", "x", ".", "[", "]", "(", ")", "{", "}", ",",
  ":", "==", "!=", "<", "<=", ">", ">=", "=", "+", "-", "*", "/", "%", "**", "//", "and", "or", "not", "in", "is",
  "if", "else", "lambda", "for", "regex", "exists", "date", "list", "dict", "None", "True", "False", "0", "1.5",
  "-2", "0x1F", "1_000", "1e5", "'a'", '"v1"', "r'\\d'", "'1 day ago'", "'\\x4'", "'unterminated", "b'x'", "f'x'",
  "\n", "\\", "#", " ", "$", "?", "!", "@", ";", "jsonata:", "…", "😀",
];

/** A random, usually malformed, filter text. */
export function tokenSoup(random: Random): string {
  const parts: string[] = [];
  for (let i = 1 + random.int(12); i > 0; i--) {
    parts.push(random.chance(0.05) ? String.fromCharCode(32 + random.int(95)) : random.pick(TOKENS));
    if (random.chance(0.7)) parts.push(" ");
  }
  return parts.join("");
}

/** A random, usually malformed, Mongo document. */
export function malformedMongo(random: Random, depth = 2): unknown {
  const keys = ["$and", "$or", "$nor", "$not", "$expr", "$in", "$gt", "$regex", "$options", "$size", "$mod", "$type", "$elemMatch", "$all", "$foo", "$jsonata", "a", "a.b", "_dt", "$exists", "$add", "$literal"];
  if (depth <= 0 || random.chance(0.3)) return random.chance(0.5) ? scalar(random) : random.pick([[], [1], "x", { $gt: 1 }, {}]);
  if (random.chance(0.3)) return Array.from({ length: random.int(3) }, () => malformedMongo(random, depth - 1));
  const out: Record<string, unknown> = {};
  for (let i = 1 + random.int(3); i > 0; i--) out[random.pick(keys)] = malformedMongo(random, depth - 1);
  return out;
}

const REGEX_PIECES = ["a", "b", ".", "*", "+", "?", "|", "^", "$", "(", ")", "[", "]", "[^", "{", "}", "{2}", "{1,}", "/", "\\", "\\d", "\\/", "\\]", "\\\\", "-", " ", "#", "\n", "(?i)", "(?:", "\\A", "\\z", "\\Z", "(?P<n>"];

/** A random regex pattern (often invalid), with random MongoDB options. */
export function regexPattern(random: Random): { pattern: string; options: string } {
  const pattern = Array.from({ length: random.int(8) }, () => random.pick(REGEX_PIECES)).join("");
  const options = ["i", "m", "s", "x"].filter(() => random.chance(0.3)).join("");
  return { pattern, options };
}

/** Strings for regexes to match against. */
export function regexSubject(random: Random): string {
  return Array.from({ length: random.int(8) }, () => random.pick(["a", "b", "/", "]", "[", "\\", "\n", " ", "1", "{", "}", "A", "#"])).join("");
}
