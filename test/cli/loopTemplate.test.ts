/**
 * The `%(a.b)` placeholder grammar and rendering of `labtasker loop`, checked against the cases of labtasker v1's
 * own tests (tests/test_client/test_core/test_parser.py) and the contract (7.4): Python `str()` of values, dicts
 * with swapped quotes, `shlex.quote` in shell mode only.
 */
import { describe, expect, it } from "vitest";
import {
  CommandKeyError,
  CommandSyntaxError,
  CommandTypeError,
  describeCommand,
  parseCommand,
  parseTemplate,
  renderCommand,
} from "../../src/cli/loop/template.js";
import { LosslessNumber, parseJson, type JsonObject } from "../../src/json.js";

/** v1's test fixture. */
const PARAMS: JsonObject = {
  arg1: "value1",
  arg2: { arg3: "value3", arg4: { arg5: "value5", arg6: [0, 1, 2] } },
};

function list(argv: string[], args: JsonObject = PARAMS): string[] {
  return renderCommand(parseCommand(argv), args) as string[];
}

function shell(text: string, args: JsonObject): string {
  return renderCommand(parseCommand(text), args) as string;
}

describe("placeholder grammar", () => {
  it("splits text and placeholders, skipping blanks inside and joining the path with dots", () => {
    expect(parseTemplate("a %( x . y )b")).toEqual([
      { kind: "text", text: "a " },
      { kind: "field", path: ["x", "y"], key: "x.y", offset: 2 },
      { kind: "text", text: "b" },
    ]);
  });

  it("allows integer keys, as v1's INT token (%(1) looks up the key \"1\")", () => {
    expect(list(["python", "main.py", "--foo.bar", "%(foo.bar)", "%(1)"], { "1": "positional_1", foo: { bar: "hello" } })).toEqual([
      "python",
      "main.py",
      "--foo.bar",
      "hello",
      "positional_1",
    ]);
  });

  it("keeps lone parentheses, percent signs and shell specials as text", () => {
    expect(list(["python", "main.py", "--arg1", "(", "%(arg1)"])).toEqual(["python", "main.py", "--arg1", "(", "value1"]);
    expect(list(["$abc", "$@", "$*", "$", "$?", "$#", "--arg1", "%(arg1)"])).toEqual(["$abc", "$@", "$*", "$", "$?", "$#", "--arg1", "value1"]);
    expect(list(["literal(%)", "%%(arg1)", "%(arg1))"])).toEqual(["literal(%)", "%value1", "value1)"]);
  });

  it.each([
    ["%()", 2, "mismatched input ')' expecting {ID, INT}"],
    ["--arg1 %(( arg1 )", 9, "mismatched input '(' expecting {ID, INT}"],
    ["--arg1 %(arg1", 13, "mismatched input '<EOF>' expecting {')', '.'}"],
    ["%(a-b)", 3, "mismatched input '-' expecting {')', '.'}"],
    ["%(a b)", 4, "mismatched input 'b' expecting {')', '.'}"],
    ["%(a.)", 4, "mismatched input ')' expecting {ID, INT}"],
    ["%(1a)", 3, "mismatched input 'a' expecting {')', '.'}"],
  ])("rejects %j at offset %i", (text, offset, message) => {
    let error: unknown;
    try {
      parseTemplate(text);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(CommandSyntaxError);
    expect((error as CommandSyntaxError).offset).toBe(offset);
    expect((error as CommandSyntaxError).message).toBe(message);
  });

  it("formats a syntax error as v1 does: line, column, the line and a caret under the column", () => {
    let error: CommandSyntaxError | undefined;
    try {
      parseTemplate("python main.py --arg1 %()");
    } catch (caught) {
      error = caught as CommandSyntaxError;
    }
    expect(error?.format().split("\n")).toEqual([
      "Error when parsing cmd line at line 1, column 25:",
      "Err context: python main.py --arg1 %()",
      `${" ".repeat("Err context: ".length + 24)}^  <-- Error here (Column: 25)`,
      "Error: mismatched input ')' expecting {ID, INT}",
    ]);
  });

  it("collects the distinct placeholder paths as required fields, in order", () => {
    expect(parseCommand(["python", "main.py", "--arg1", "%(arg1)", "--arg2", "%(arg2.arg4.arg5)", "%(arg1)"]).requiredFields).toEqual(["arg1", "arg2.arg4.arg5"]);
    expect(parseCommand("echo %(a) %( b . c ) %(a)").requiredFields).toEqual(["a", "b.c"]);
    expect(parseCommand(["true"]).requiredFields).toEqual([]);
  });
});

describe("rendering (contract 7.4)", () => {
  it("renders a dict as its Python repr with the quotes swapped, unquoted in list mode (v1 test_basic)", () => {
    expect(list(["python", "main.py", "--arg1", "%(arg1)", "--arg2", "%(arg2)"])).toEqual([
      "python",
      "main.py",
      "--arg1",
      "value1",
      "--arg2",
      '{"arg3": "value3", "arg4": {"arg5": "value5", "arg6": [0, 1, 2]}}',
    ]);
  });

  it("renders numbers as Python prints them: a float stays a float, big integers stay exact", () => {
    const args = parseJson('{"f": 3.0, "e": 1e-05, "big": 1e16, "i": 7, "huge": 123456789012345678901234567890, "neg": -0.5}') as JsonObject;
    expect(list(["%(f)", "%(e)", "%(big)", "%(i)", "%(huge)", "%(neg)"], args)).toEqual(["3.0", "1e-05", "1e+16", "7", "123456789012345678901234567890", "-0.5"]);
    expect(list(["%(x)"], { x: new LosslessNumber("2.50") })).toEqual(["2.5"]);
  });

  it("renders booleans, falsy values and lists as Python's str()", () => {
    const args: JsonObject = { t: true, f: false, zero: 0, empty: "", items: [1, "x", null, { k: "it's" }, [true]] };
    expect(list(["%(t)", "%(f)", "%(zero)", "[%(empty)]", "%(items)"], args)).toEqual(["True", "False", "0", "[]", `[1, 'x', None, {'k': "it's"}, [True]]`]);
  });

  it("swaps every quote of a dict's repr, including quotes inside its strings (as v1's reverse_quotes)", () => {
    expect(list(["%(d)"], { d: { msg: "it's", t: true, n: null } })).toEqual([`{"msg": 'it"s', "t": True, "n": None}`]);
  });

  it("shell-quotes each value in shell mode and only there", () => {
    const args: JsonObject = { msg: "hello world; touch PWNED", n: 2, q: `it's "quoted"`, cfg: { depth: 3 }, empty: "", safe: "a/b.c-d_e@f%g+h=i:j,k" };
    expect(shell("echo %(msg) > out_%(n).txt", args)).toBe("echo 'hello world; touch PWNED' > out_2.txt");
    expect(shell("echo %(q)", args)).toBe(`echo 'it'"'"'s "quoted"'`);
    expect(shell("echo %(cfg) %(empty) %(safe)", args)).toBe(`echo '{"depth": 3}' '' a/b.c-d_e@f%g+h=i:j,k`);
    expect(list(["echo", "%(msg)"], args)).toEqual(["echo", "hello world; touch PWNED"]);
  });

  it("fails on a missing key or a None value (v1's CmdKeyError) and on a non-dict parent (CmdTypeError)", () => {
    expect(() => list(["%(arg_non_existent)"])).toThrow(CommandKeyError);
    expect(() => list(["%(arg1)"], {})).toThrow("Key 'arg1' not found in the current context {}");
    expect(() => list(["%(v)"], { v: null })).toThrow(CommandKeyError);
    expect(() => list(["%(arg1.x)"])).toThrow(CommandTypeError);
    expect(() => list(["%(arg1.x)"])).toThrow("Expected a dictionary-like object, but got 'str' for context 'x'.");
    expect(() => list(["%(arg2.arg4.arg6.0)"])).toThrow("but got 'list' for context '0'");
  });

  it("leaves an empty command empty", () => {
    expect(list([])).toEqual([]);
  });

  it("describes commands for log lines: a string as it is, a list as Python's repr", () => {
    expect(describeCommand("echo hi")).toBe("echo hi");
    expect(describeCommand(["python", "it's.py"])).toBe(`['python', "it's.py"]`);
  });
});
