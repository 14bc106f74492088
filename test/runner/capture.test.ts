/**
 * run.log capture: ANSI escapes removed even when a chunk boundary cuts one, \r\n folded to \n, lone \r kept (as
 * v1's AnsiFilterStream), and the terminal still getting the bytes unchanged.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StringDecoder } from "node:string_decoder";
import { afterEach, describe, expect, it } from "vitest";
import { AnsiStripper, captureOutput } from "../../src/runner/capture.js";

describe("AnsiStripper", () => {
  it("removes colours, cursor moves, two-character escapes and OSC titles and links", () => {
    const stripper = new AnsiStripper();
    const text = "\u001b[1;31mred\u001b[0m \u001b[2K\u001b[1Aup \u001b(Bcharset \u001b]0;title\u0007x \u001b]8;;http://a\u001b\\link\u001b]8;;\u001b\\\n";
    expect(stripper.push(text) + stripper.flush()).toBe("red up charset x link\n");
  });

  it("holds back an escape cut at the end of a chunk until the next chunk completes it", () => {
    const stripper = new AnsiStripper();
    const chunks = ["ok \u001b", "[3", "2mgreen\u001b[", "0m done\r", "\nnext\rbar"];
    const out = chunks.map((chunk) => stripper.push(chunk)).join("") + stripper.flush();
    expect(out).toBe("ok green done\nnext\rbar");
  });

  it("writes out a stray ESC that never completes instead of holding it forever", () => {
    const stripper = new AnsiStripper();
    expect(stripper.push("a\u001b") + stripper.flush()).toBe("a\u001b");
    // Too long to be a real OSC string: not held back; v1's pattern then drops `ESC ]` as a two-character escape.
    expect(stripper.push(`\u001b]${"x".repeat(300)}`)).toBe("x".repeat(300));
  });
});

describe("captureOutput", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it("copies stdout and stderr writes to the file without escapes, and restores the streams on stop", async () => {
    const dir = mkdtempSync(join(tmpdir(), "capture-"));
    dirs.push(dir);
    const file = join(dir, "run.log");
    const originalOut = process.stdout.write;
    const originalErr = process.stderr.write;
    const seen: string[] = [];
    // Stand-ins for the terminal, so the test's own output stays clean and the bytes passed through can be checked.
    process.stdout.write = ((chunk: string | Uint8Array) => (seen.push(`out:${chunk.toString()}`), true)) as typeof process.stdout.write;
    process.stderr.write = ((chunk: string | Uint8Array) => (seen.push(`err:${chunk.toString()}`), true)) as typeof process.stderr.write;
    try {
      const capture = captureOutput(file);
      process.stdout.write("\u001b[32mgreen\u001b[0m\r\n");
      process.stderr.write(Buffer.from([0x63, 0x61, 0x66, 0xc3])); // "caf" and half of "é"
      process.stderr.write(Buffer.from([0xa9, 0x0a]));
      process.stdout.write(Buffer.from([0xe2, 0x9c])); // a UTF-8 character cut in two
      process.stdout.write(Buffer.from([0x93, 0x0a]));
      await capture.bypass(async () => void process.stderr.write("prompt redraw\n")); // terminal only
      process.stderr.write("end\n");
      capture.stop();
      capture.stop(); // idempotent
      process.stdout.write("after\n");
    } finally {
      const restoredOut = process.stdout.write;
      process.stdout.write = originalOut;
      process.stderr.write = originalErr;
      expect(restoredOut).not.toBe(originalOut); // our stand-in, put back by stop()
    }
    expect(readFileSync(file, "utf8")).toBe("green\ncaf\u00e9\n\u2713\nend\n");
    expect(seen).toContain("err:prompt redraw\n");
    expect(seen[0]).toBe("out:\u001b[32mgreen\u001b[0m\r\n");
    expect(seen.at(-1)).toBe("out:after\n");
  });

  it("with openLater holds the copy until open() (or stop()) creates the file", () => {
    const dir = mkdtempSync(join(tmpdir(), "capture-"));
    dirs.push(dir);
    const originalErr = process.stderr.write;
    const seen: string[] = [];
    process.stderr.write = ((chunk: string | Uint8Array) => (seen.push(chunk.toString()), true)) as typeof process.stderr.write;
    const bytes: string[] = [];
    try {
      const late = join(dir, "late.log");
      const capture = captureOutput(late, { openLater: true, onBytes: (chunk) => bytes.push(chunk.toString()) });
      process.stderr.write("\u001b[1mbefore\u001b[0m\n");
      expect(existsSync(late)).toBe(false);
      capture.open();
      capture.open(); // idempotent
      process.stderr.write("after\n");
      capture.stop();
      expect(readFileSync(late, "utf8")).toBe("before\nafter\n");
      const never = join(dir, "never.log");
      const unopened = captureOutput(never, { openLater: true });
      process.stderr.write("only line\n");
      unopened.stop();
      expect(readFileSync(never, "utf8")).toBe("only line\n");
    } finally {
      process.stderr.write = originalErr;
    }
    expect(seen).toEqual(["\u001b[1mbefore\u001b[0m\n", "after\n", "only line\n"]); // the terminal at once
    expect(bytes).toEqual(["\u001b[1mbefore\u001b[0m\n", "after\n"]); // the server's copy as written
  });

  it("writes plain ASCII chunks as they are and the rest decoded and stripped: the same file as decoding and stripping every write", () => {
    const dir = mkdtempSync(join(tmpdir(), "capture-"));
    dirs.push(dir);
    const originals = [process.stdout.write, process.stderr.write];
    process.stdout.write = (() => true) as typeof process.stdout.write;
    process.stderr.write = (() => true) as typeof process.stderr.write;
    // Pieces that take the fast path and every way out of it: escapes, \r, characters of 2 to 4 bytes, a stray
    // continuation byte; cut at random places, so characters and escapes straddle writes (and the two streams).
    const pieces = ["plain text ", "1 2 3\n", "\u001b[31mred\u001b[0m", "bar\r", "\r\n", "é", "日本", "😀", "\u001b]0;t\u0007", "\n"].map((piece) => Buffer.from(piece, "utf8"));
    pieces.push(Buffer.from([0x80]));
    for (let i = 0; i < 8; i++) pieces.push(Buffer.from(`plain line ${i}\n`)); // most output is plain
    let seed = 7;
    const random = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0), (seed >>> 16) % n);
    let plainWrites = 0;
    try {
      for (let round = 0; round < 300; round++) {
        const streams = [Buffer.concat(Array.from({ length: 1 + random(30) }, () => pieces[random(pieces.length)]!)), Buffer.concat(Array.from({ length: random(10) }, () => pieces[random(pieces.length)]!))];
        const file = join(dir, `run-${round}.log`);
        const openLater = random(2) === 0;
        const capture = captureOutput(file, { openLater });
        // The reference: every write decoded (per stream) and stripped (per stream), as before the fast path.
        const decoders = [new StringDecoder("utf8"), new StringDecoder("utf8")];
        const strippers = [new AnsiStripper(), new AnsiStripper()];
        let expected = "";
        const at = [0, 0];
        while (at[0]! < streams[0]!.length || at[1]! < streams[1]!.length) {
          const which = at[1]! < streams[1]!.length && (at[0]! >= streams[0]!.length || random(3) === 0) ? 1 : 0;
          const size = random(13); // 0: an empty write
          const bytes = streams[which]!.subarray(at[which]!, at[which]! + size);
          at[which]! += bytes.length;
          const asText = random(4) === 0 && bytes.every((byte) => byte < 0x80); // sometimes a string (whole characters)
          if (!asText && bytes.length > 0 && bytes.every((byte) => byte < 0x80 && byte !== 0x1b && byte !== 0x0d)) plainWrites += 1;
          (which === 0 ? process.stdout : process.stderr).write(asText ? bytes.toString("latin1") : bytes);
          expected += strippers[which]!.push(asText ? bytes.toString("latin1") : decoders[which]!.write(bytes));
          if (openLater && random(20) === 0) capture.open();
        }
        capture.stop();
        for (const which of [0, 1]) expected += strippers[which]!.push(decoders[which]!.end()) + strippers[which]!.flush();
        expect(readFileSync(file)).toEqual(Buffer.from(expected, "utf8"));
      }
    } finally {
      [process.stdout.write, process.stderr.write] = originals as [typeof process.stdout.write, typeof process.stderr.write];
    }
    expect(plainWrites).toBeGreaterThan(1000); // writes that can pass as they are were many
  });
});
