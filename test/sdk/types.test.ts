/**
 * The types `loop()` infers for the handler's args from the schema (checked by the type checker: `npm run
 * typecheck` fails if one is wrong), and what the schema's required fields are at run time.
 */
import { describe, expect, expectTypeOf, it } from "vitest";
import { loop, type ArgsSchema, type JsonObject, type JsonValue, type LoopContext, type ParsedArgs } from "../../src/index.js";
import { compileSchema } from "../../src/sdk/schema.js";
import { toSortSpec } from "../../src/sdk/sort.js";

/** Type-checks a loop call without running it. */
function typed(run: () => unknown): void {
  expect(typeof run).toBe("function");
}

describe("the handler's args type", () => {
  it("follows the schema: converters, resolvers (sync and async), parse() objects, nested schemas, raw values", () => {
    class Semver {
      parse(value: unknown): [number, number] {
        const [major = 0, minor = 0] = String(value).split(".").map(Number);
        return [major, minor];
      }
    }
    typed(() =>
      loop(
        { args: { lr: Number, model: String, flag: Boolean, when: async (value) => new Date(String(value)), version: new Semver(), optimizer: { lr: Number, betas: (v) => v as number[] }, raw: true } },
        (args, context) => {
          expectTypeOf(args).toEqualTypeOf<{ lr: number; model: string; flag: boolean; when: Date; version: [number, number]; optimizer: { lr: number; betas: number[] }; raw: JsonValue }>();
          expectTypeOf(context).toEqualTypeOf<LoopContext>();
        },
      ),
    );
  });

  it('is the raw args with passArgsDict, none without a schema, and open with "*"', () => {
    typed(() => loop({ requiredFields: ["lr"], passArgsDict: true }, (args) => expectTypeOf(args).toEqualTypeOf<JsonObject>()));
    typed(() => loop({ extraFilter: "args.lr > 0" }, (args) => expectTypeOf(args).toEqualTypeOf<Record<string, never>>()));
    typed(() => loop((args) => expectTypeOf(args).toEqualTypeOf<Record<string, never>>()));
    typed(() =>
      loop({ args: { prompt: String, "*": true } }, (args) => {
        expectTypeOf(args.prompt).toEqualTypeOf<string>();
        expectTypeOf(args.guidance_scale).toEqualTypeOf<unknown>();
      }),
    );
    expectTypeOf<ParsedArgs<{ a: NumberConstructor; b: { c: StringConstructor } }>>().toEqualTypeOf<{ a: number; b: { c: string } }>();
  });
});

describe("the schema's required fields", () => {
  it('are its keys, dotted for nested schemas, with "*" for extras; declared keys may be dotted paths themselves', () => {
    const schema = { lr: Number, "optimizer.momentum": Number, model: { name: String, size: { depth: Number } }, raw: true, "*": true } satisfies ArgsSchema;
    expect(compileSchema(schema).requiredFields).toEqual(["lr", "optimizer.momentum", "model.name", "model.size.depth", "raw", "*"]);
    expect(compileSchema(undefined).requiredFields).toEqual([]);
  });

  it("look values up by key first, then by dotted path (v1's get_nested_value)", async () => {
    const schema = compileSchema({ "optimizer.lr": Number, "a.b": String });
    expect(await schema.parse({ optimizer: { lr: 0.1 }, "a.b": "direct" })).toEqual({ "optimizer.lr": 0.1, "a.b": "direct" });
  });
});

describe("sort orders", () => {
  it("take v1 pairs and the CLI's field:asc|desc text", () => {
    expect(toSortSpec("summary.acc:desc")).toEqual([["summary.acc", -1]]);
    expect(toSortSpec("priority:desc, created_at")).toEqual([["priority", -1], ["created_at", 1]]);
    expect(toSortSpec(["a:ASC", "b:descending"])).toEqual([["a", 1], ["b", -1]]);
    expect(toSortSpec([["a", -1]])).toEqual([["a", -1]]);
    expect(toSortSpec(null)).toBeNull();
    expect(() => toSortSpec(":desc")).toThrow(RangeError);
  });
});
