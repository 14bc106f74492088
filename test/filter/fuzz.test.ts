/**
 * Property tests with generated inputs (seeded, so a failure reproduces):
 * - malformed text and documents never crash: each compiles or fails with a FilterError that has a position
 *   (a column inside the text, or a path into the document);
 * - on random documents, every compiled filter returns a boolean, and the JavaScript predicate and the JSONata
 *   program agree on every document (the differential half of the conformance suite).
 * Each test collects every violation and asserts there are none, so a failure lists all offending inputs.
 */
import { describe, expect, it } from "vitest";
import { FilterError, compileFilter, type CompiledFilter } from "../../src/filter/index.js";
import { Random, document, malformedMongo, mongoFilter, pythonFilter, regexPattern, regexSubject, tokenSoup } from "./generators.js";
import { now } from "./helpers.js";

const DOCUMENTS_PER_FILTER = 6;

/** A compiled filter, a FilterError, or (for any other exception) a description of the crash. */
function compileOrError(input: unknown): CompiledFilter | FilterError | string {
  try {
    return compileFilter(input as string | Record<string, unknown>, { now, fields: null });
  } catch (error) {
    if (error instanceof FilterError) return error;
    return `${JSON.stringify(input)} crashed with ${(error as Error).stack ?? String(error)}`;
  }
}

/** What is wrong with an error's position, or undefined when it is well placed. */
function positionProblem(error: FilterError, input: unknown): string | undefined {
  const label = JSON.stringify(input);
  if (error.message.length === 0) return `${label}: empty message`;
  if (typeof input === "string" && error.text !== undefined) {
    const line = error.text.split("\n")[(error.line ?? 1) - 1] ?? "";
    const column = error.column ?? 0;
    if ((error.line ?? 0) < 1 || column < 1 || column > line.length + 1) return `${label}: line ${error.line}, column ${column} is outside the text`;
    if (!error.format().includes("^  <-- Error here")) return `${label}: no caret in ${error.format()}`;
    return undefined;
  }
  return typeof error.path === "string" || typeof error.column === "number" ? undefined : `${label}: no position`;
}

/** What is wrong with a compiled filter on random documents (evaluators disagreeing, a non-boolean). */
async function evaluationProblems(filter: CompiledFilter, random: Random, label: string): Promise<string[]> {
  const problems: string[] = [];
  for (let i = 0; i < DOCUMENTS_PER_FILTER; i++) {
    const doc = document(random, `d${i}`);
    const js = filter.async ? await filter.evaluate(doc) : filter.test(doc);
    const viaJsonata = await filter.evaluateJsonata(doc);
    if (typeof js !== "boolean" || js !== viaJsonata) problems.push(`${label} on ${JSON.stringify(doc)}: test=${String(js)}, jsonata=${String(viaJsonata)}`);
  }
  return problems;
}

/** Compiles each input; returns the problems found and how many inputs compiled. */
async function exercise(inputs: unknown[], random: Random, evaluate: boolean): Promise<{ problems: string[]; compiled: number }> {
  const problems: string[] = [];
  let compiled = 0;
  for (const input of inputs) {
    const result = compileOrError(input);
    if (typeof result === "string") {
      problems.push(result);
    } else if (result instanceof FilterError) {
      const problem = positionProblem(result, input);
      if (problem !== undefined) problems.push(problem);
    } else {
      compiled++;
      if (evaluate) problems.push(...(await evaluationProblems(result, random, JSON.stringify(input))));
    }
  }
  return { problems, compiled };
}

describe("malformed input never crashes", () => {
  it("random token soup compiles or fails with a positioned FilterError", async () => {
    const random = new Random(20250730);
    const inputs = Array.from({ length: 3000 }, () => tokenSoup(random));
    const { problems, compiled } = await exercise(inputs, random, true);
    expect(problems).toEqual([]);
    expect(compiled).toBeLessThan(2000);
  });

  it("random characters compile or fail with a positioned FilterError", async () => {
    const random = new Random(7);
    const inputs = Array.from({ length: 2000 }, () =>
      Array.from({ length: 1 + random.int(20) }, () => String.fromCharCode(random.chance(0.9) ? 32 + random.int(95) : random.int(0x3000))).join(""),
    );
    const { problems } = await exercise([...inputs, "\u0000", "\ud800"], random, true);
    expect(problems).toEqual([]);
  });

  it("truncations of valid filters fail with a position or compile", async () => {
    const random = new Random(99);
    const inputs: string[] = [];
    for (let i = 0; i < 200; i++) {
      const text = pythonFilter(random);
      for (let cut = 1; cut < text.length; cut += 1 + random.int(4)) inputs.push(text.slice(0, cut));
    }
    const { problems } = await exercise(inputs, random, false);
    expect(problems).toEqual([]);
  });

  it("random malformed documents compile or fail with a FilterError that has a path", async () => {
    const random = new Random(4242);
    const inputs = Array.from({ length: 3000 }, () => malformedMongo(random));
    const { problems, compiled } = await exercise(inputs, random, true);
    expect(problems).toEqual([]);
    expect(compiled).toBeGreaterThan(100);
  });
});

describe("both evaluators agree on generated filters and documents", () => {
  it("Python-style filters", async () => {
    const random = new Random(1);
    const inputs = Array.from({ length: 400 }, () => pythonFilter(random));
    const { problems, compiled } = await exercise(inputs, random, true);
    expect(problems).toEqual([]);
    // A few generated filters are rejected on purpose by v1's rules (e.g. a comparison between two literals).
    expect(compiled).toBeGreaterThan(300);
  });

  it("Mongo query documents", async () => {
    const random = new Random(2);
    const inputs = Array.from({ length: 600 }, () => mongoFilter(random));
    const { problems, compiled } = await exercise(inputs, random, true);
    expect(problems).toEqual([]);
    expect(compiled).toBeGreaterThan(500);
  });

  it("regular expressions: JavaScript and the JSONata regex literal match the same strings", async () => {
    const random = new Random(5);
    const problems: string[] = [];
    let compiled = 0;
    for (let i = 0; i < 1500; i++) {
      const { pattern, options } = regexPattern(random);
      const result = compileOrError({ name: { $regex: pattern, $options: options } });
      if (typeof result === "string") {
        problems.push(result);
        continue;
      }
      if (result instanceof FilterError) continue;
      compiled++;
      for (let j = 0; j < 4; j++) {
        const doc = { name: regexSubject(random) };
        let viaJsonata: boolean | string;
        try {
          viaJsonata = await result.evaluateJsonata(doc);
        } catch (error) {
          viaJsonata = `threw ${(error as Error).message}`;
        }
        if (viaJsonata !== result.test(doc)) problems.push(`/${pattern}/${options} on ${JSON.stringify(doc.name)}: test=${result.test(doc)}, jsonata=${String(viaJsonata)}`);
      }
    }
    expect(problems).toEqual([]);
    expect(compiled).toBeGreaterThan(300);
  });

  it("the wire form of a compiled filter compiles to the same filter", () => {
    const random = new Random(3);
    const mismatches: string[] = [];
    for (let i = 0; i < 200; i++) {
      const text = pythonFilter(random);
      const first = compileOrError(text);
      if (typeof first === "string" || first instanceof FilterError) continue;
      const again = compileFilter(JSON.parse(JSON.stringify(first.mongo)) as Record<string, unknown>);
      for (let j = 0; j < DOCUMENTS_PER_FILTER; j++) {
        const doc = document(random, `d${j}`);
        if (again.test(doc) !== first.test(doc)) mismatches.push(`${text} on ${JSON.stringify(doc)}`);
      }
    }
    expect(mismatches).toEqual([]);
  });
});
