/**
 * Python's str()/repr() and shlex.quote as the loop uses them for commands and log lines. Expected texts are what
 * CPython 3.11 prints for the same values (`repr(json.loads(text))`, `shlex.quote(s)`).
 */
import { describe, expect, it } from "vitest";
import { LosslessNumber, parseJson } from "../../src/json.js";
import { pythonNumber, pythonRepr, pythonStr, pythonStrRepr, shellQuote } from "../../src/core/python.js";

describe("pythonRepr", () => {
  it.each([
    ['"it\'s"', `"it's"`],
    ['"say \\"hi\\""', `'say "hi"'`],
    ['"both \' and \\""', `'both \\' and "'`],
    ['"tab\\tnl\\ncr\\rbs\\\\"', `'tab\\tnl\\ncr\\rbs\\\\'`],
    ['"\\u0000\\u001b\\u007f\\u0085"', `'\\x00\\x1b\\x7f\\x85'`],
    ['"é中文🙂"', `'é中文🙂'`],
    ['"\\u200b\\u2028\\u00a0"', `'\\u200b\\u2028\\xa0'`],
  ])("repr of the str %s is %s", (json, expected) => {
    expect(pythonStrRepr(parseJson(json) as string)).toBe(expected);
  });

  it("prints JSON numbers as Python's json module loads them: text with . or e is a float", () => {
    const cases: Array<[string, string]> = [
      ["3", "3"],
      ["3.0", "3.0"],
      ["1e5", "100000.0"],
      ["1E-5", "1e-05"],
      ["0.1", "0.1"],
      ["1e16", "1e+16"],
      ["-0", "0"],
      ["-0.0", "-0.0"],
      ["12345678901234567890", "12345678901234567890"],
      ["1e400", "inf"],
    ];
    expect(cases.map(([text]) => pythonNumber(new LosslessNumber(text)))).toEqual(cases.map(([, expected]) => expected));
    expect(pythonNumber(0.30000000000000004)).toBe("0.30000000000000004");
  });

  it("prints containers with Python's separators and quotes", () => {
    const value = parseJson('{"a": [1, 2.0, "x", null, true, false], "b": {}, "c": [], "d\'": {"e": "f"}}');
    expect(pythonRepr(value)).toBe(`{'a': [1, 2.0, 'x', None, True, False], 'b': {}, 'c': [], "d'": {'e': 'f'}}`);
  });

  it("str() leaves strings raw and reprs everything else", () => {
    expect(pythonStr("a 'b'")).toBe("a 'b'");
    expect(pythonStr(["a"])).toBe("['a']");
    expect(pythonStr(null)).toBe("None");
  });
});

describe("shellQuote (shlex.quote)", () => {
  it.each([
    ["", "''"],
    ["plain-_./@%+=:,0", "plain-_./@%+=:,0"],
    ["two words", "'two words'"],
    ["it's", `'it'"'"'s'`],
    ["$HOME;rm", "'$HOME;rm'"],
    ["é", "'é'"],
  ])("quotes %j as %s", (text, expected) => {
    expect(shellQuote(text)).toBe(expected);
  });
});
