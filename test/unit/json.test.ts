import { parse as losslessParse, LosslessNumber } from "lossless-json";
import { describe, expect, it } from "vitest";
import { parseJson, pythonFloat, pythonFloatRepr, stringifyJson, toPlain } from "../../src/json.js";

describe("lossless JSON", () => {
  it("keeps float and big-integer forms through a round trip", () => {
    const text = '{"a":3.0,"b":12345678901234567890,"c":0.1,"d":[1e-05,2,-0.0],"e":"x"}';
    expect(stringifyJson(parseJson(text))).toBe(text);
  });

  it("gives plain numbers where JavaScript prints them back identically", () => {
    expect(parseJson('{"a":1,"b":0.5}')).toEqual({ a: 1, b: 0.5 });
  });

  it.each([
    '{"lr":0.004,"model":"vit_b16","bs":64,"seed":12345,"epochs":90}',
    '{"a":3.0}',
    '{"a":1.50}',
    '{"a":12345678901234567890}',
    '{"a":-0}',
    '{"a":1E3}',
    '{"a": 1}',
    '{"b":1,"a":2}',
    '{"2":1,"1":2}',
    '{"__proto__":{"x":1}}',
    '{"s":"\\u0041\\n"}',
    '[1,[2.0,{"k":null}],true,"x"]',
    '"text"',
    "{}",
    '""',
    "0.1",
    "1e400",
  ])("parses %s to the same value whichever way it takes", (text) => {
    const value = parseJson(text);
    const expected = losslessParse(text, null, (n: string) => (String(Number(n)) === n ? Number(n) : new LosslessNumber(n)));
    expect(value).toStrictEqual(expected);
    expect(Object.getPrototypeOf(value)).toBe(Object.getPrototypeOf(expected));
    expect(stringifyJson(value)).toBe(stringifyJson(expected));
  });

  it("refuses bad JSON with the lossless parser's errors", () => {
    for (const text of ['{"a":1,"a":2}', "{", '{"a":01}', "NaN"]) {
      expect(() => parseJson(text)).toThrow(SyntaxError);
      expect(() => parseJson(text)).toThrow(/./);
      let expected = "";
      try {
        losslessParse(text);
      } catch (error) {
        expected = (error as Error).message;
      }
      expect(() => parseJson(text)).toThrow(expected);
    }
  });

  it("converts to plain JavaScript values for comparison", () => {
    expect(toPlain(parseJson('{"a":[3.0,{"b":1e-05}]}'))).toEqual({ a: [3, { b: 0.00001 }] });
  });

  it.each([
    [3, "3.0"],
    [0.1, "0.1"],
    [1e-5, "1e-05"],
    [1e16, "1e+16"],
    [1e15, "1000000000000000.0"],
    [2.5e-7, "2.5e-07"],
    [-3, "-3.0"],
  ])("prints %d as Python does (%s)", (value, repr) => {
    expect(pythonFloatRepr(value)).toBe(repr);
  });

  it("serializes integral floats with a fraction so Python reads a float", () => {
    expect(stringifyJson({ lr: pythonFloat(3), mom: pythonFloat(0.9) })).toBe('{"lr":3.0,"mom":0.9}');
  });
});
