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
