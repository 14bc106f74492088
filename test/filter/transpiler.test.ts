/**
 * labtasker v1's transpiler cases (tests/test_client/test_core/test_query_transpiler/test_matching.py), one by
 * one: the Python-style text and the MongoDB query v1 produces for it, compared as v1 compares them (members of
 * `$and`/`$or` in any order, since v1 emits its `$exists` guards in set order). v1's tests call `transpile_query`
 * without an allow-list, hence `fields: null`.
 */
import { describe, expect, it } from "vitest";
import { FilterError, FilterSyntaxError, compileFilter, pythonIsoformat, transpilePythonFilter } from "../../src/filter/index.js";
import { stringifyJson } from "../../src/json.js";
import { normalizeFilter, now } from "./helpers.js";

const transpile = (text: string): Record<string, unknown> => transpilePythonFilter(text.trim(), { fields: null, now }).mongo;
const exists = (field: string): Record<string, unknown> => ({ [field]: { $exists: true } });

function expectTranspiles(text: string, expected: unknown): void {
  expect(normalizeFilter(transpile(text))).toEqual(normalizeFilter(expected));
}

describe("v1 transpiler: field conversion", () => {
  it.each([
    ["foo == 42", { foo: 42 }],
    ["foo.bar == 42", { "foo.bar": 42 }],
    ["foo['bar'] == 42", { "foo.bar": 42 }],
    ["foo[0] == 42", { "foo.0": 42 }],
    ["foo['bar']['baz'] == 42", { "foo.bar.baz": 42 }],
    ["foo.bar[0] == 42", { "foo.bar.0": 42 }],
    ["foo.bar[0]['baz'] == 42", { "foo.bar.0.baz": 42 }],
    ["foo[0].bar == 42", { "foo.0.bar": 42 }],
  ])("%s", (text, expected) => expectTranspiles(text, expected));

  it.each([
    ["foo[bar] == 42", "Variable subscript is not supported in MongoDB queries: bar"],
    ["foo[-1] == 0", "Negative indexing is not supported (value: -1)"],
    ["foo[1.5] == 0", "Only string and integer subscripts are supported, got: float with value 1.5"],
    ["foo[1:2] == 0", "Unsupported subscript type: Slice"],
  ])("rejects %s", (text, message) => {
    expect(() => transpile(text)).toThrow(message);
  });
});

describe("v1 transpiler: comparison operators", () => {
  it.each([
    ["age > 18", { age: { $gt: 18 } }],
    ["foo > bar", { $and: [exists("foo"), exists("bar"), { $expr: { $gt: ["$foo", "$bar"] } }] }],
    ["foo.a > bar.b", { $and: [exists("bar.b"), exists("foo.a"), { $expr: { $gt: ["$foo.a", "$bar.b"] } }] }],
    ["age >= 18", { age: { $gte: 18 } }],
    ["age < 18", { age: { $lt: 18 } }],
    ["args.age <= 18", { "args.age": { $lte: 18 } }],
    ["age == 18", { age: 18 }],
    ["18 < age", { age: { $gt: 18 } }],
    ["18 == age", { age: 18 }],
    ["18 < age.foo", { "age.foo": { $gt: 18 } }],
    ["18 == age.foo", { "age.foo": 18 }],
    ["name == 'John'", { name: "John" }],
  ])("%s", (text, expected) => expectTranspiles(text, expected));
});

describe("v1 transpiler: logical operators", () => {
  it.each([
    ["age > 18 and 'John' == name.first", { $and: [{ age: { $gt: 18 } }, { "name.first": "John" }] }],
    ["age < 18 or name.first == 'John'", { $or: [{ age: { $lt: 18 } }, { "name.first": "John" }] }],
    [
      "age.a > 18 and 65 > age.b and status == 'active'",
      { $and: [{ "age.a": { $gt: 18 } }, { "age.b": { $lt: 65 } }, { status: "active" }] },
    ],
    [
      "status == 'pending' or status == 'active' or status == 'suspended'",
      { $or: [{ status: "pending" }, { status: "active" }, { status: "suspended" }] },
    ],
    [
      "(age > 18 and age < 65) or status == 'special'",
      { $or: [{ $and: [{ age: { $gt: 18 } }, { age: { $lt: 65 } }] }, { status: "special" }] },
    ],
    [
      "(((age > 18) and (name == 'John')) or ((status == 'special') and (score > 90)))",
      {
        $or: [
          { $and: [{ age: { $gt: 18 } }, { name: "John" }] },
          { $and: [{ status: "special" }, { score: { $gt: 90 } }] },
        ],
      },
    ],
    [
      `
                (
                    age > 18 and
                    name == 'John' and
                    status == 'active'
                )
                `,
      { $and: [{ age: { $gt: 18 } }, { name: "John" }, { status: "active" }] },
    ],
  ])("%s", (text, expected) => expectTranspiles(text, expected));

  it("keeps the nesting of parentheses (one BoolOp per unparenthesized chain)", () => {
    expect(transpile("a == 1 and (b == 2 and c == 3)")).toEqual({ $and: [{ a: 1 }, { $and: [{ b: 2 }, { c: 3 }] }] });
  });
});

describe("v1 transpiler: membership and functions", () => {
  it.each([
    ["status in ['active', 'pending']", { status: { $in: ["active", "pending"] } }],
    ["'experimental' in dict(metadata.tags)", { "metadata.tags.experimental": { $exists: true } }],
    ["'experimental' in list(metadata.tags)", { "metadata.tags": "experimental" }],
    ["regex(name, '^J.*')", { name: { $regex: "^J.*" } }],
    ["exists(email)", { email: { $exists: true } }],
    ["exists(foo.bar, False)", { "foo.bar": { $exists: false } }],
    ["regex(name, '^J.*') and exists(email)", { $and: [{ name: { $regex: "^J.*" } }, { email: { $exists: true } }] }],
    ["tags in []", { tags: { $in: [] } }],
    ["status in ['active']", { status: { $in: ["active"] } }],
  ])("%s", (text, expected) => expectTranspiles(text, expected));

  it("turns date() into v1's UTC marker, reading the time as local time", () => {
    const local = new Date(2025, 6, 25, 23, 41);
    expect(transpile("last_modified > date('2025/7/25 23:41')")).toEqual({ last_modified: { $gt: { _dt: pythonIsoformat(local) } } });
    expect(pythonIsoformat(new Date("2025-07-25T15:41:00Z"))).toBe("2025-07-25T15:41:00+00:00");
    expect(pythonIsoformat(new Date("2025-07-25T15:41:00.123Z"))).toBe("2025-07-25T15:41:00.123000+00:00");
  });
});

describe("v1 transpiler: literals", () => {
  it.each([
    ["age == 18", { age: 18 }],
    ["score == 9.5", { score: 9.5 }],
    ["name == 'John'", { name: "John" }],
    ["active == True", { active: true }],
    ["active == False", { active: false }],
    ["value == None", { value: null }],
    ["tags == ['python', 'mongodb']", { tags: ["python", "mongodb"] }],
    ["info == {'name': 'John', 'age': 18}", { info: { name: "John", age: 18 } }],
    ["name == '你好'", { name: "你好" }],
    ["user_details.name == 'John'", { "user_details.name": "John" }],
    ["path == 'C:\\\\Users\\\\John'", { path: "C:\\Users\\John" }],
  ])("%s", (text, expected) => expectTranspiles(text, expected));

  it("writes a Python float as a float on the wire (3.0 stays 3.0)", () => {
    expect(stringifyJson(transpile("args.lr == 3.0"))).toBe('{"args.lr":3.0}');
    expect(stringifyJson(transpile("args.n == 12345678901234567890"))).toBe('{"args.n":12345678901234567890}');
    expect(stringifyJson(transpile("args.lr > -1e-05"))).toBe('{"args.lr":{"$gt":-0.00001}}');
    expect(stringifyJson(transpile("args.x == -2.0"))).toBe('{"args.x":-2.0}');
  });

  it("gives the same query whatever the whitespace", () => {
    expect(transpile("age>18")).toEqual(transpile("age > 18"));
    expect(transpile("age>18 and name=='John'")).toEqual(transpile("age > 18 and name == 'John'"));
  });
});

describe("v1 transpiler: invalid expressions", () => {
  it.each([
    ["18 is age", FilterError],
    ["18 < age < 65", FilterError],
    ["unknown_function(field, value)", FilterError],
    ["regex(name)", FilterError],
    ["def func(): pass", FilterError],
    ["", FilterError],
    ["foo.bar", FilterError],
    ["'a string'", FilterError],
    ["a + b", FilterError],
    ["a ** b > c", FilterError],
    ["foo.bar - < ,", FilterSyntaxError],
  ])("rejects %j", (text, errorClass) => {
    expect(() => transpile(text)).toThrow(errorClass);
  });
});

describe("v1 transpiler: $expr queries", () => {
  const cases: Array<[string, unknown]> = [
    ["a + b > c", { $and: [exists("c"), exists("b"), exists("a"), { $expr: { $gt: [{ $add: ["$a", "$b"] }, "$c"] } }] }],
    [
      "price - discount < maxPrice",
      { $and: [exists("maxPrice"), exists("discount"), exists("price"), { $expr: { $lt: [{ $subtract: ["$price", "$discount"] }, "$maxPrice"] } }] },
    ],
    ["quantity * price > 1000", { $and: [exists("price"), exists("quantity"), { $expr: { $gt: [{ $multiply: ["$quantity", "$price"] }, 1000] } }] }],
    ["total / count < 50", { $and: [exists("count"), exists("total"), { $expr: { $lt: [{ $divide: ["$total", "$count"] }, 50] } }] }],
    ["value % 10 == 0", { $and: [exists("value"), { $expr: { $eq: [{ $mod: ["$value", 10] }, 0] } }] }],
    [
      "(a + b) * c > 100",
      { $and: [exists("c"), exists("b"), exists("a"), { $expr: { $gt: [{ $multiply: [{ $add: ["$a", "$b"] }, "$c"] }, 100] } }] },
    ],
    [
      "price + (tax * 0.1) > totalBudget",
      {
        $and: [
          exists("totalBudget"),
          exists("tax"),
          exists("price"),
          { $expr: { $gt: [{ $add: ["$price", { $multiply: ["$tax", 0.1] }] }, "$totalBudget"] } },
        ],
      },
    ],
    ["a + b == c", { $and: [exists("c"), exists("b"), exists("a"), { $expr: { $eq: [{ $add: ["$a", "$b"] }, "$c"] } }] }],
    ["p + q >= r", { $and: [exists("r"), exists("q"), exists("p"), { $expr: { $gte: [{ $add: ["$p", "$q"] }, "$r"] } }] }],
    ["m + n <= o", { $and: [exists("o"), exists("n"), exists("m"), { $expr: { $lte: [{ $add: ["$m", "$n"] }, "$o"] } }] }],
    ["field + 10 > threshold", { $and: [exists("threshold"), exists("field"), { $expr: { $gt: [{ $add: ["$field", 10] }, "$threshold"] } }] }],
    ["price * 1.2 < maxPrice", { $and: [exists("maxPrice"), exists("price"), { $expr: { $lt: [{ $multiply: ["$price", 1.2] }, "$maxPrice"] } }] }],
    [
      "a + b * c / d > threshold",
      {
        $and: [
          exists("threshold"),
          exists("d"),
          exists("c"),
          exists("b"),
          exists("a"),
          { $expr: { $gt: [{ $add: ["$a", { $divide: [{ $multiply: ["$b", "$c"] }, "$d"] }] }, "$threshold"] } },
        ],
      },
    ],
    [
      "a + b > c and x + y < z",
      {
        $and: [
          { $and: [exists("c"), exists("b"), exists("a"), { $expr: { $gt: [{ $add: ["$a", "$b"] }, "$c"] } }] },
          { $and: [exists("z"), exists("y"), exists("x"), { $expr: { $lt: [{ $add: ["$x", "$y"] }, "$z"] } }] },
        ],
      },
    ],
    [
      "(price + tax > 100) and (category == 'electronics')",
      { $and: [{ $and: [exists("price"), exists("tax"), { $expr: { $gt: [{ $add: ["$price", "$tax"] }, 100] } }] }, { category: "electronics" }] },
    ],
    [
      "price * quantity > budget or discount > 10",
      {
        $or: [
          { $and: [exists("budget"), exists("quantity"), exists("price"), { $expr: { $gt: [{ $multiply: ["$price", "$quantity"] }, "$budget"] } }] },
          { discount: { $gt: 10 } },
        ],
      },
    ],
    ["a < -10", { a: { $lt: -10 } }],
    ["-10 > a", { a: { $lt: -10 } }],
    ["a < -b", { $and: [exists("b"), exists("a"), { $expr: { $lt: ["$a", { $multiply: [-1, "$b"] }] } }] }],
    [
      "a < -(b + c)",
      { $and: [exists("c"), exists("b"), exists("a"), { $expr: { $lt: ["$a", { $multiply: [-1, { $add: ["$b", "$c"] }] }] } }] },
    ],
    ["a > -(-b)", { $and: [exists("b"), exists("a"), { $expr: { $gt: ["$a", { $multiply: [-1, { $multiply: [-1, "$b"] }] }] } }] }],
    [
      "total > -(price * quantity)",
      {
        $and: [
          exists("quantity"),
          exists("price"),
          exists("total"),
          { $expr: { $gt: ["$total", { $multiply: [-1, { $multiply: ["$price", "$quantity"] }] }] } },
        ],
      },
    ],
    ["-a > b", { $and: [exists("b"), exists("a"), { $expr: { $gt: [{ $multiply: [-1, "$a"] }, "$b"] } }] }],
    ["-a < -b", { $and: [exists("b"), exists("a"), { $expr: { $lt: [{ $multiply: [-1, "$a"] }, { $multiply: [-1, "$b"] }] } }] }],
    ["a + (-5) > b", { $and: [exists("b"), exists("a"), { $expr: { $gt: [{ $add: ["$a", -5] }, "$b"] } }] }],
    [
      "a + b > -(c * d)",
      {
        $and: [
          exists("d"),
          exists("c"),
          exists("b"),
          exists("a"),
          { $expr: { $gt: [{ $add: ["$a", "$b"] }, { $multiply: [-1, { $multiply: ["$c", "$d"] }] }] } },
        ],
      },
    ],
    [
      "a > -b and c < -d",
      {
        $and: [
          { $and: [exists("b"), exists("a"), { $expr: { $gt: ["$a", { $multiply: [-1, "$b"] }] } }] },
          { $and: [exists("d"), exists("c"), { $expr: { $lt: ["$c", { $multiply: [-1, "$d"] }] } }] },
        ],
      },
    ],
    [
      "total > -(base + tax) * rate",
      {
        $and: [
          exists("rate"),
          exists("tax"),
          exists("base"),
          exists("total"),
          { $expr: { $gt: ["$total", { $multiply: [{ $multiply: [-1, { $add: ["$base", "$tax"] }] }, "$rate"] }] } },
        ],
      },
    ],
    ["foo.bar > foo.baz", { $and: [exists("foo.baz"), exists("foo.bar"), { $expr: { $gt: ["$foo.bar", "$foo.baz"] } }] }],
    [
      "user.profile.age + 5 > user.settings.ageLimit",
      {
        $and: [
          exists("user.settings.ageLimit"),
          exists("user.profile.age"),
          { $expr: { $gt: [{ $add: ["$user.profile.age", 5] }, "$user.settings.ageLimit"] } },
        ],
      },
    ],
    ["foo['bar'] == foo['baz']", { $and: [exists("foo.baz"), exists("foo.bar"), { $expr: { $eq: ["$foo.bar", "$foo.baz"] } }] }],
    [
      "inventory.items[0].price * inventory.items[0].quantity > 500",
      {
        $and: [
          exists("inventory.items.0.quantity"),
          exists("inventory.items.0.price"),
          { $expr: { $gt: [{ $multiply: ["$inventory.items.0.price", "$inventory.items.0.quantity"] }, 500] } },
        ],
      },
    ],
    [
      "orders[0].items[1].price < orders[1].items[0].price",
      {
        $and: [
          exists("orders.1.items.0.price"),
          exists("orders.0.items.1.price"),
          { $expr: { $lt: ["$orders.0.items.1.price", "$orders.1.items.0.price"] } },
        ],
      },
    ],
    [
      "customer.orders[0].total + customer.credits > customer.limits.spending",
      {
        $and: [
          exists("customer.limits.spending"),
          exists("customer.credits"),
          exists("customer.orders.0.total"),
          { $expr: { $gt: [{ $add: ["$customer.orders.0.total", "$customer.credits"] }, "$customer.limits.spending"] } },
        ],
      },
    ],
    [
      "data.metrics.current / data.metrics.previous > data.thresholds.growth",
      {
        $and: [
          exists("data.thresholds.growth"),
          exists("data.metrics.previous"),
          exists("data.metrics.current"),
          { $expr: { $gt: [{ $divide: ["$data.metrics.current", "$data.metrics.previous"] }, "$data.thresholds.growth"] } },
        ],
      },
    ],
    [
      "product['sale-price'] < product['original-price'] * 0.7",
      {
        $and: [
          exists("product.original-price"),
          exists("product.sale-price"),
          { $expr: { $lt: ["$product.sale-price", { $multiply: ["$product.original-price", 0.7] }] } },
        ],
      },
    ],
    [
      "(user.stats.score > 100) and (user.profile.level >= 5)",
      { $and: [{ "user.stats.score": { $gt: 100 } }, { "user.profile.level": { $gte: 5 } }] },
    ],
  ];
  it.each(cases)("%s", (text, expected) => expectTranspiles(text, expected));

  it("lists the $exists guards in order of first appearance, without prefixes of other fields", () => {
    expect(transpile("a.b + a > a.b.c")).toEqual({ $and: [exists("a.b.c"), { $expr: { $gt: [{ $add: ["$a.b", "$a"] }, "$a.b.c"] } }] });
    expect(transpile("x + y > x")).toEqual({ $and: [exists("x"), exists("y"), { $expr: { $gt: [{ $add: ["$x", "$y"] }, "$x"] } }] });
  });

  it("turns bare constants into {$expr: bool}, as v1 does", () => {
    expect(transpile("True")).toEqual({ $expr: true });
    expect(transpile("1")).toEqual({ $expr: true });
    expect(transpile("0")).toEqual({ $expr: false });
    expect(transpile("False")).toEqual({ $expr: false });
  });
});

describe("the wire form of every filter equals the transpiler's", () => {
  it("uses the same document for compileFilter().mongo as transpile, with the task allow-list", () => {
    const text = "args.lr > 0.01 and 'v1' in list(metadata.tags) and created_at >= date('1 day ago')";
    expect(compileFilter(text, { now }).mongo).toEqual({
      $and: [{ "args.lr": { $gt: 0.01 } }, { "metadata.tags": "v1" }, { created_at: { $gte: { _dt: "2025-07-29T10:20:30+00:00" } } }],
    });
  });
});
