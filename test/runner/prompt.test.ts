/**
 * The timed Report/Ignore and Continue/Exit prompt on a (fake) terminal: the default on timeout, Ctrl+C's choice,
 * arrows and Enter, a number key, an abort; and no prompt at all without a terminal.
 */
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { canPrompt, defaultChoice, terminalPrompter, type ChoiceRequest } from "../../src/runner/prompt.js";

/** A terminal stand-in: stdin in raw mode as a PassThrough, stderr collecting what is drawn. */
function fakeTerminal() {
  const input = Object.assign(new PassThrough(), { isTTY: true, rawModes: [] as boolean[], setRawMode(mode: boolean) {
    this.rawModes.push(mode);
    return this;
  } });
  let drawn = "";
  const output = Object.assign(new PassThrough(), { isTTY: true, columns: 60 });
  output.on("data", (chunk: Buffer) => (drawn += chunk.toString()));
  return { input, output, drawn: () => drawn };
}

const request = (timeoutSeconds = 10, signal?: AbortSignal): ChoiceRequest<string> => ({
  question: "Task failed. Choose:",
  choices: [
    { label: "(default) Report: report it", value: "report" },
    { label: "(ctrl+c) Ignore: as if it never ran, with a label long enough to be cut at the terminal width", value: "ignore" },
  ],
  defaultIndex: 0,
  interruptIndex: 1,
  timeoutSeconds,
  signal,
});

describe("terminalPrompter", () => {
  it("takes the default when the countdown ends, and leaves raw mode", async () => {
    const terminal = fakeTerminal();
    const started = Date.now();
    await expect(terminalPrompter(terminal)(request(1))).resolves.toBe("report");
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(terminal.input.rawModes).toEqual([true, false]);
    expect(terminal.drawn()).toContain("TIMER: 1 seconds remaining");
    // Labels are cut to the terminal width so redrawing never wraps.
    expect(terminal.drawn()).toContain("…");
  });

  it("takes the Ctrl+C choice on Ctrl+C (a key in raw mode, not a signal)", async () => {
    const terminal = fakeTerminal();
    const answer = terminalPrompter(terminal)(request());
    terminal.input.write("\u0003");
    await expect(answer).resolves.toBe("ignore");
    expect(terminal.drawn()).toContain("? Task failed. Choose: \u001b[36m(ctrl+c) Ignore");
  });

  it("moves with the arrows and confirms with Enter, or picks by number", async () => {
    const terminal = fakeTerminal();
    const answer = terminalPrompter(terminal)(request());
    terminal.input.write("\u001b[B");
    await new Promise((r) => setImmediate(r));
    terminal.input.write("\r");
    await expect(answer).resolves.toBe("ignore");

    // Keys that arrive in one read (typed fast, pasted, sent together by tmux) are taken one by one.
    const together = fakeTerminal();
    const combined = terminalPrompter(together)(request());
    together.input.write("\u001bOB\u001b[A\u001b[B\r");
    await expect(combined).resolves.toBe("ignore");

    const again = fakeTerminal();
    const byNumber = terminalPrompter(again)(request());
    again.input.write("x"); // ignored
    again.input.write("1");
    await expect(byNumber).resolves.toBe("report");
  });

  it("takes the default at once when the loop is told to stop meanwhile", async () => {
    const terminal = fakeTerminal();
    const stop = new AbortController();
    const answer = terminalPrompter(terminal)(request(10, stop.signal));
    stop.abort("SIGTERM");
    await expect(answer).resolves.toBe("report");
    const aborted = AbortSignal.abort("SIGTERM");
    await expect(terminalPrompter(fakeTerminal())(request(10, aborted))).resolves.toBe("report");
  });
});

describe("without a terminal", () => {
  it("cannot prompt, and the default choice is taken without asking", async () => {
    expect(canPrompt({ input: new PassThrough(), output: new PassThrough() })).toBe(false);
    expect(canPrompt(fakeTerminal())).toBe(true);
    await expect(defaultChoice(request())).resolves.toBe("report");
  });
});
