/**
 * MongoDB (PCRE) regexes as JavaScript and JSONata regexes: options, inline flags, PCRE-only syntax, and the
 * escaping JSONata's regex literal needs. Each pattern is checked on both evaluators.
 */
import { describe, expect, it } from "vitest";
import { compileFilter } from "../../src/filter/index.js";
import { toJsonataRegex, translateRegex } from "../../src/filter/regex.js";
import { expectMatches } from "./helpers.js";

const docs = (...names: string[]): Array<{ _id: string; name: string }> => names.map((name) => ({ _id: name, name }));

describe("translateRegex", () => {
  it("turns a leading inline-flag group into flags", () => {
    expect(translateRegex("(?i)abc")).toEqual({ source: "abc", flags: "i" });
    expect(translateRegex("(?ims)a.c", "")).toEqual({ source: "a.c", flags: "ims" });
    expect(translateRegex("abc", "im")).toEqual({ source: "abc", flags: "im" });
  });

  it("rejects options MongoDB rejects and patterns JavaScript cannot run", () => {
    expect(() => translateRegex("a", "g")).toThrow("invalid flag in regex options: g");
    expect(() => translateRegex("a++")).toThrow("Regular expression is invalid");
    expect(() => translateRegex("(?>a)")).toThrow("Regular expression is invalid");
    expect(() => translateRegex("a\0b")).toThrow("embedded null byte");
  });

  // Found by the fault suite (test/faults/bad-input.test.ts): one such filter blocked the server for minutes.
  it("keeps catastrophic patterns from backtracking for ever: linear-time engine, or refused", async () => {
    // Anchors outside multiline mode need no lookaround, so V8 can fall back to its linear-time engine.
    expect(translateRegex("^(a+)+$").source).toBe("^(a+)+\\n?$");
    expect(translateRegex("\\A(a+)+\\z").source).toBe("^(a+)+$");
    expect(translateRegex("a$|b").source).toBe("a(?=\\n?(?![\\s\\S]))|b");
    const subject = { _id: "t", name: `${"a".repeat(40)}_` };
    for (const pattern of ["^(a+)+$", "^(a|a)*$", "^(a|aa)+$", "\\A(a+)+\\z", "^(a+)+\\Z"]) {
      const started = performance.now();
      expect(await compileFilter({ name: { $regex: pattern } }).test(subject)).toBe(false);
      expect(performance.now() - started, `${pattern}`).toBeLessThan(1000);
    }
    // What the linear engine cannot run (case-insensitive, lookarounds, backreferences) must not repeat a group that
    // itself repeats or alternates.
    for (const pattern of ["(?i)^(a+)+$", "^(a+)+\\1$", "(?=a)(a+)+b", "(?i)(.*a){20}", "(?i)(a|aa)*$"]) {
      expect(() => translateRegex(pattern), `${pattern}`).toThrow("could take exponential time");
    }
    for (const pattern of ["(?i)^grid-.*$", "(?i)(ab)c+", "^(\\w+)-\\1$", "(?i)[a-z]+\\d*"]) expect(() => translateRegex(pattern), `${pattern}`).not.toThrow();
    expect(() => compileFilter({ $jsonata: "$match(name, /^(a+)+\\1$/)" })).toThrow("could take exponential time");
  });

  it("writes JSONata literals that JSONata's scanner reads back as the same pattern", () => {
    expect(toJsonataRegex({ source: "a/b", flags: "" })).toBe("/a\\/b/");
    expect(toJsonataRegex({ source: "[(/]", flags: "i" })).toBe("/[\\(\\/]/i");
    expect(toJsonataRegex({ source: "a.b", flags: "s" })).toBe("/a[\\s\\S]b/");
    expect(toJsonataRegex({ source: "\\\\[x]", flags: "" })).toBe("/\\x5c[x]/");
    expect(toJsonataRegex({ source: "a{2}{", flags: "" })).toBe("/a{2}\\{/");
    expect(toJsonataRegex({ source: "", flags: "" })).toBe("/(?:)/");
  });
});

describe("regexes on both evaluators", () => {
  const names = docs("apple", "Apple pie", "banana", "a/b", "x\ny", "(paren)", "a{b}", "back\\slash", "line\n", "[x]");

  const cases: Array<[Record<string, unknown>, string[], string?]> = [
    [{ name: { $regex: "^a" } }, ["apple", "a/b", "a{b}"]],
    [{ name: { $regex: "^a", $options: "i" } }, ["apple", "Apple pie", "a/b", "a{b}"]],
    [{ name: { $regex: "(?i)PIE$" } }, ["Apple pie"]],
    [{ name: { $regex: "a/b" } }, ["a/b"]],
    [{ name: { $regex: "x.y" } }, []],
    [{ name: { $regex: "x.y", $options: "s" } }, ["x\ny"]],
    [{ name: { $regex: "^y", $options: "m" } }, ["x\ny"]],
    [{ name: { $regex: "^ a p p", $options: "x" } }, ["apple"]],
    [{ name: { $regex: "\\(paren\\)" } }, ["(paren)"]],
    [{ name: { $regex: "[(]" } }, ["(paren)"]],
    [{ name: { $regex: "a{b}" } }, ["a{b}"]],
    [{ name: { $regex: "\\\\" } }, ["back\\slash"]],
    [{ name: { $regex: "\\Aapple\\z" } }, ["apple"]],
    [{ name: { $regex: "line$" } }, ["line\n"], "PCRE's $ matches before a final newline"],
    [{ name: { $regex: "line\\z" } }, []],
    [{ name: { $regex: "(?P<first>b)anana" } }, ["banana"]],
    [{ name: { $regex: "[]x]" } }, ["[x]", "x\ny"], "a ] first in a class is a literal in PCRE"],
    [{ name: { $regex: "^[]]" } }, [], "...and so never an empty class"],
    [{ name: { $regex: "" } }, ["apple", "Apple pie", "banana", "a/b", "x\ny", "(paren)", "a{b}", "back\\slash", "line\n", "[x]"]],
    [{ name: { $in: ["banana", "apple"] } }, ["apple", "banana"]],
  ];
  it.each(cases)("%j", async (filter, expected) => {
    await expectMatches(filter, names, expected);
  });

  it("sends the Python pattern unchanged on the wire", () => {
    expect(compileFilter("regex(task_name, '(?i)^GRID')").mongo).toEqual({ task_name: { $regex: "(?i)^GRID" } });
  });
});
