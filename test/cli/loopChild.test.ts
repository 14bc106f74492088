/**
 * The command's tail for a failure summary (src/cli/loop/child.ts): the last lines of its output, stdout and stderr in
 * the order they came, ANSI escapes removed, however long the output and wherever its chunks were cut.
 */
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { runChild } from "../../src/cli/loop/child.js";

const sink = () => new Writable({ write: (_chunk, _encoding, done) => done() });

describe("runChild's tail", () => {
  it("keeps the last 40 lines of a long output, colours removed, multi-byte characters whole", async () => {
    // 300 KB of coloured lines on stdout, then a few on stderr and stdout in turn, then exit 3.
    const script = [
      'i=0; while [ $i -lt 6000 ]; do printf "\\033[32mline %05d é日😀\\033[0m\\n" $i; i=$((i+1)); done',
      'echo "to stderr" >&2; sleep 0.05; echo "back on stdout"; printf "no newline at the end"',
      "exit 3",
    ].join("\n");
    const never = new AbortController();
    const result = await runChild({ command: script, pty: false, env: process.env, signal: never.signal, forceSignal: never.signal, stdout: sink(), stderr: sink() });
    expect(result.exitCode).toBe(3);
    const lines = result.tail.split("\n");
    expect(lines).toHaveLength(40);
    expect(lines.slice(-4)).toEqual(["line 05999 é日😀", "to stderr", "back on stdout", "no newline at the end"]);
    expect(lines[0]).toBe("line 05963 é日😀");
    expect(result.tail.includes("\u001b") || result.tail.includes("\ufffd")).toBe(false); // no escape, no broken character
  });

  it("keeps whole lines of output dense with escapes (a truecolor bar), and no tail after exit code 0", async () => {
    // Each line: 400 cells of 20 bytes of escapes for one character, then its number: about 8 KB a line, so the
    // 256 KiB kept hold about 30 lines, fewer than the 40 a tail shows.
    const bar = "\\033[38;2;255;128;0m#\\033[0m".repeat(400);
    const script = `i=0; while [ $i -lt 100 ]; do printf "${bar} %03d\\n" $i; i=$((i+1)); done; exit 1`;
    const never = new AbortController();
    const options = { pty: false, env: process.env, signal: never.signal, forceSignal: never.signal, stdout: sink(), stderr: sink() };
    const failed = await runChild({ command: script, ...options });
    expect(failed.exitCode).toBe(1);
    const lines = failed.tail.split("\n");
    expect(lines.at(-1)).toBe(""); // the output ended with a newline
    const shown = lines.slice(0, -1);
    expect(shown.length).toBeGreaterThanOrEqual(25);
    // Every line whole and clean, the last ones of the output, in order.
    expect(shown).toEqual(shown.map((_, i) => `${"#".repeat(400)} ${String(100 - shown.length + i).padStart(3, "0")}`));
    const succeeded = await runChild({ command: "echo fine", ...options });
    expect(succeeded).toEqual({ exitCode: 0, tail: "" });
  });
});
