/**
 * The Python-literal parser shared with the CLI (`--args`, `--metadata`, `-u key=value`, dict filters): the subset
 * of `ast.literal_eval` of contract 11, with Python's number types kept for Python readers.
 */
import { describe, expect, it } from "vitest";
import { PythonLiteralError, parsePythonLiteral } from "../../src/filter/index.js";
import { LosslessNumber, stringifyJson } from "../../src/json.js";

const json = (text: string): string => stringifyJson(parsePythonLiteral(text));

describe("parsePythonLiteral", () => {
  it.each([
    ["42", 42],
    ["-7", -7],
    ["+7", 7],
    ["0.1", 0.1],
    ["1e-3", 0.001],
    ["True", true],
    ["False", false],
    ["None", null],
    ["'hello world'", "hello world"],
    ['"hello"', "hello"],
    ["[1, 2, 3]", [1, 2, 3]],
    ["(1, 'a')", [1, "a"]],
    ["()", []],
    ["(1,)", [1]],
    ["1, 2", [1, 2]],
    ["{'a': 1, 'b': [True, None]}", { a: 1, b: [true, null] }],
    ['{"a": {"b": {"c": "d"}}}', { a: { b: { c: "d" } } }],
    ["{}", {}],
    ["set()", []],
    ["{1, 2, 2, 1.0}", [1, 2]],
    ["[\n  1,\n  2,  # a comment\n]", [1, 2]],
  ])("%s", (text, expected) => {
    expect(parsePythonLiteral(text)).toEqual(expected);
  });

  it("reads every integer form of Python", () => {
    expect(parsePythonLiteral("1_000_000")).toBe(1_000_000);
    expect(parsePythonLiteral("0x1F")).toBe(31);
    expect(parsePythonLiteral("0XfF")).toBe(255);
    expect(parsePythonLiteral("0o17")).toBe(15);
    expect(parsePythonLiteral("0b101")).toBe(5);
    expect(parsePythonLiteral("-0b1_0")).toBe(-2);
    expect(parsePythonLiteral("000")).toBe(0);
  });

  it("keeps integral floats as Python floats and big integers exact", () => {
    expect(json("3.0")).toBe("3.0");
    expect(json("1e5")).toBe("100000.0");
    expect(json("1e16")).toBe("1e+16");
    expect(json("-2.")).toBe("-2.0");
    expect(json("-0.0")).toBe("-0.0");
    expect(json("{'lr': 3.0, 'wd': 0.5}")).toBe('{"lr":3.0,"wd":0.5}');
    expect(parsePythonLiteral("12345678901234567890")).toEqual(new LosslessNumber("12345678901234567890"));
    expect(json("-0x10000000000000000")).toBe("-18446744073709551616");
    expect(parsePythonLiteral("1_0.5_0")).toBe(10.5);
  });

  it("decodes Python string escapes", () => {
    expect(parsePythonLiteral(String.raw`'a\nb\tc\\d\'e'`)).toBe("a\nb\tc\\d'e");
    expect(parsePythonLiteral(String.raw`'\x41\u00e9\U0001F600\101\0'`)).toBe("Aé😀A\0");
    expect(parsePythonLiteral(String.raw`'\d+'`)).toBe("\\d+");
    expect(parsePythonLiteral(String.raw`'\a\b\f\v\r'`)).toBe("\x07\b\f\v\r");
    expect(parsePythonLiteral("'a\\\nb'")).toBe("ab");
    expect(parsePythonLiteral(`"it's"`)).toBe("it's");
  });

  it("keeps raw strings as written", () => {
    expect(parsePythonLiteral(String.raw`r'\d+\n'`)).toBe(String.raw`\d+\n`);
    expect(parsePythonLiteral(String.raw`R"C:\Users"`)).toBe(String.raw`C:\Users`);
    expect(parsePythonLiteral(String.raw`r'\''`)).toBe(String.raw`\'`);
  });

  it("reads triple-quoted strings, u-prefixed strings and adjacent strings", () => {
    expect(parsePythonLiteral("'''a\nb'''")).toBe("a\nb");
    expect(parsePythonLiteral('"""say "hi" """')).toBe('say "hi" ');
    expect(parsePythonLiteral("u'x'")).toBe("x");
    expect(parsePythonLiteral("'a' 'b' \"c\"")).toBe("abc");
  });

  it("writes non-string dict keys as Python's json.dumps does", () => {
    expect(parsePythonLiteral("{1: 'a', 2.5: 'b', True: 'c', None: 'd', 3.0: 'e'}")).toEqual({ "1": "a", "2.5": "b", true: "c", null: "d", "3.0": "e" });
  });

  it("keeps a __proto__ key as data", () => {
    const value = parsePythonLiteral("{'__proto__': {'polluted': 1}}") as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(["__proto__"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("lets a repeated key win with its last value", () => {
    expect(parsePythonLiteral("{'a': 1, 'b': 2, 'a': 3}")).toEqual({ a: 3, b: 2 });
  });

  it.each([
    ["true", 1, "write True"],
    ["{'a': null}", 7, "write None"],
    ["foo", 1, "name 'foo' is not a literal"],
    ["1 + 2", 1, "the operation '+'"],
    ["--1", 1, "the unary operator '-'"],
    ["-True", 1, "the unary operator '-'"],
    ["f(1)", 1, "a function call"],
    ["[1, x]", 5, "name 'x'"],
    ["b'bytes'", 1, "bytes literals cannot be represented in JSON"],
    ["1j", 1, "complex numbers"],
    ["1e999", 1, "inf cannot be represented"],
    ["f'x'", 1, "f-strings are not supported"],
    ["'abc", 1, "unterminated string literal"],
    ["[1, 2", 1, "'[' was never closed"],
    ["012", 1, "leading zeros in decimal integer literals are not permitted"],
    ["1_", 2, "invalid decimal literal"],
    ["'\\x4'", 2, "truncated \\xXX escape"],
    ["'\\N{BULLET}'", 2, "\\N{...} escapes are not supported"],
    ["{[1]: 2}", 2, "unhashable type: 'list'"],
    ["{(1, 2): 3}", 2, "keys must be str, int, float, bool or None, not tuple"],
    ["1 2", 3, "invalid syntax"],
    ["", 1, "unexpected end of input"],
    ["a = 1", 3, "invalid syntax"],
    ["{'a': 1}}", 9, "unmatched '}'"],
    ["€", 1, "invalid character '€' (U+20AC)"],
  ])("rejects %j at column %i", (text, column, message) => {
    let caught: unknown;
    try {
      parsePythonLiteral(text);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(PythonLiteralError);
    expect((caught as PythonLiteralError).column).toBe(column);
    expect((caught as PythonLiteralError).message).toContain(message);
  });
});
