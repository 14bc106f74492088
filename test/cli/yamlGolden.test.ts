/**
 * The CLI's YAML emitter against PyYAML's own output. Each case in golden/yaml/ is a JSON input and the text PyYAML
 * 6 writes for it with labtasker v1's `task ls` options (`yaml.dump(value, indent=2, sort_keys=False,
 * allow_unicode=True)`); golden/make_yaml_golden.py writes both (run it with test/compat/.venv/bin/python).
 * The reader is checked on the same texts: PyYAML's output reads back to the input, numbers typed as Python typed
 * them (3.0 a float, big integers exact).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { dumpYaml, YamlTimestamp } from "../../src/cli/common/yamlEmit.js";
import { parseYaml } from "../../src/cli/common/yamlRead.js";
import { isLosslessNumber, parseJson, pythonFloatRepr, type JsonValue } from "../../src/json.js";

const GOLDEN = join(import.meta.dirname, "golden", "yaml");
const cases = readdirSync(GOLDEN)
  .filter((name) => name.endsWith(".json"))
  .map((name) => name.slice(0, -".json".length))
  .sort();

/** Python's `datetime.isoformat(" ")` of `datetime.fromisoformat(text)`: microseconds as 6 digits, none when zero. */
function pythonDatetime(text: string): string {
  const [date, time] = text.split("T") as [string, string];
  const [clock, fraction = ""] = time.split(".");
  const micro = fraction.padEnd(6, "0");
  return `${date} ${clock}${/^0+$/.test(micro) ? "" : `.${micro}`}`;
}

/** The value with each `{"$datetime": ...}` replaced by `replace(its Python text)`. */
function withDatetimes(value: JsonValue, replace: (text: string) => unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => withDatetimes(item, replace));
  if (value !== null && typeof value === "object" && !isLosslessNumber(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === "$datetime") return replace(pythonDatetime(String(value.$datetime)));
    return Object.fromEntries(keys.map((key) => [key, withDatetimes(value[key]!, replace)]));
  }
  return value;
}

/** A JSON value with every number as Python would type it (`int:3`, `float:3.0`), to compare types and digits. */
function typed(value: JsonValue): unknown {
  if (Array.isArray(value)) return value.map(typed);
  if (isLosslessNumber(value)) return /^-?\d+$/.test(value.value) ? `int:${BigInt(value.value)}` : `float:${pythonFloatRepr(Number(value.value))}`;
  if (typeof value === "number") return Number.isInteger(value) ? `int:${value}` : `float:${pythonFloatRepr(value)}`;
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, typed(item)]));
  return value;
}

/**
 * Cases the reader (YAML 1.2, the `yaml` package) takes back differently from PyYAML: YAML 1.1 counts NEL, LS and PS
 * (U+0085, U+2028, U+2029) as line breaks, so PyYAML writes `'a<NEL>  b'` for "a<NEL>b", which YAML 1.2 reads as
 * "a<NEL>  b". Harmless for `task update`: it compares what the reader makes of the file before and after editing.
 */
const READ_DIFFERENTLY = new Set(["unicode"]);

describe("YAML emitter against PyYAML (golden files)", () => {
  test("there are cases", () => {
    expect(cases.length).toBeGreaterThan(10);
  });

  test.each(cases)("%s", (name) => {
    const input = parseJson(readFileSync(join(GOLDEN, `${name}.json`), "utf8"));
    const expected = readFileSync(join(GOLDEN, `${name}.yaml`), "utf8");
    // The CLI hands datetimes to the emitter as timestamps (src/cli/common/output.ts).
    expect(dumpYaml(withDatetimes(input, (text) => new YamlTimestamp(text)))).toBe(expected);
  });

  test.each(cases.filter((name) => !READ_DIFFERENTLY.has(name)))("%s reads back to its input", (name) => {
    const input = parseJson(readFileSync(join(GOLDEN, `${name}.json`), "utf8"));
    const yaml = readFileSync(join(GOLDEN, `${name}.yaml`), "utf8");
    // Datetimes read back as their text: the reader keeps timestamps as strings.
    expect(typed(parseYaml(yaml))).toEqual(typed(withDatetimes(input, (text) => text) as JsonValue));
  });
});
