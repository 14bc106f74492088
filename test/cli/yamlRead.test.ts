/**
 * The reader of `task update`'s editor mode beyond what test/cli/parsing.test.ts pins: what the `yaml` package
 * brings (quoted strings over several lines, anchors and aliases), PyYAML's number typing, and where errors point.
 */
import { describe, expect, test } from "vitest";
import { parseYaml, YamlError } from "../../src/cli/common/yamlRead.js";
import { LosslessNumber, stringifyJson } from "../../src/json.js";

describe("the editor's YAML reader", () => {
  test("numbers as Python types them: 3.0 stays a float, integers beyond 2^53 stay exact, 1e3 is a string", () => {
    const value = parseYaml("a: 3.0\nb: 12345678901234567890\nc: 1e3\nd: 1.0e+3\ne: -0.5\nf: 1_000\n");
    expect(stringifyJson(value)).toBe('{"a":3.0,"b":12345678901234567890,"c":"1e3","d":1000.0,"e":-0.5,"f":1000}');
    expect((value as Record<string, unknown>).b).toBeInstanceOf(LosslessNumber);
  });

  test("keys are kept as written; the last of duplicate keys wins, as in PyYAML", () => {
    expect(parseYaml("on: 1\n1: 2\nnull: 3\na: 1\na: 2\n")).toEqual({ on: 1, "1": 2, null: 3, a: 2 });
  });

  test("quoted strings over several lines, !!str, anchors and aliases", () => {
    const text = "a: 'one\n\n  two'\nb: \"x\\\n  \\ y\"\nc: !!str 0.1\nd: &d {k: [1, 2]}\ne: *d\n";
    expect(parseYaml(text)).toEqual({ a: "one\ntwo", b: "x y", c: "0.1", d: { k: [1, 2] }, e: { k: [1, 2] } });
  });

  test("errors give the line, the column, and the line with a caret", () => {
    let error: unknown;
    try {
      parseYaml("a: 1\nb: [1, 2\n");
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(YamlError);
    expect((error as YamlError).line).toBeGreaterThanOrEqual(2);
    expect((error as YamlError).column).toBeGreaterThan(0);
    expect((error as YamlError).message).toMatch(/^unterminated flow sequence: missing '\]' \(line \d\)\n {2}.*\n {2} *\^$/);
  });

  test("refuses what JSON or the CLI cannot hold, saying what", () => {
    expect(() => parseYaml("a: .inf")).toThrow(/\.inf cannot be stored .*\(line 1\)/);
    expect(() => parseYaml("a: !!int 3")).toThrow(/tags other than !!str are not supported: !!int \(line 1\)/);
    expect(() => parseYaml("? [a]\n: 1")).toThrow(/complex keys are not supported \(line 1\)/);
    expect(() => parseYaml("x: &a [*a]")).toThrow(/alias \*a refers to a collection that contains it/);
    expect(() => parseYaml("--- 1\n--- 2")).toThrow(/only one document is allowed \(remove the second '---'\) \(line 2\)/);
    expect(() => parseYaml('a: "\\q"')).toThrow(/unknown escape \\q in a double-quoted string/);
  });

  test("an empty document is null", () => {
    expect(parseYaml("")).toBeNull();
    expect(parseYaml("# only a comment\n")).toBeNull();
  });
});
