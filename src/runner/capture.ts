/**
 * `run.log`: while a task runs, everything the loop process writes to stdout and stderr is copied to the run's log
 * file, as labtasker v1's `log_to_file` tees `sys.stdout`/`sys.stderr`. That covers a command's streamed output
 * (the loop writes it to its own stdout), a job running in-process (`console.log` in an SDK handler) and the loop's
 * log lines. The terminal keeps the bytes as they are; the file gets them without ANSI escapes (colours, cursor
 * moves, OSC titles and links) and with `\r\n` as `\n`, so it reads cleanly in an editor or `less`. A lone `\r`
 * (progress bars redrawing a line) is kept, as v1 keeps it.
 *
 * The copy is made by wrapping `process.stdout.write` and `process.stderr.write` for the duration of the task:
 * Node has no other hook that sees every write, including those of libraries that hold the stream object.
 */
import { isAscii } from "node:buffer";
import { closeSync, openSync, writeSync } from "node:fs";
import { StringDecoder } from "node:string_decoder";

/**
 * v1's escape pattern (`\x1B(?:[@-Z\\-_]|\[[0-?]*[ -/]*[@-~])`: two-character escapes and CSI sequences) plus OSC
 * strings (`ESC ] ... BEL` or `ESC ] ... ESC \`), which rich and modern terminals use for titles and hyperlinks, and
 * character-set designations such as `ESC ( B`, which `tput sgr0` emits with every colour reset.
 */
const ESC = "\u001b";
const BEL = "\u0007";
const ANSI = new RegExp(`${ESC}\\][^${BEL}${ESC}]*(?:${BEL}|${ESC}\\\\)|${ESC}(?:[@-Z\\\\-_]|\\[[0-?]*[ -/]*[@-~]|[ -/]+[0-~])`, "g");
/** An escape sequence cut at the end of a chunk: kept back until the next chunk completes it. */
const PARTIAL_ESCAPE = new RegExp(`${ESC}(?:\\[[0-?]*[ -/]*|\\][^${BEL}${ESC}]*${ESC}?|[ -/]+)?$`);

/** Removes ANSI escapes from a stream of text that arrives in arbitrary chunks. */
export class AnsiStripper {
  private pending = "";

  /** Nothing is held back: text with no escape and no `\r` then comes out as it went in. */
  get idle(): boolean {
    return this.pending === "";
  }

  /** The clean text of `chunk`, minus a trailing incomplete escape or `\r` kept for the next call. */
  push(chunk: string): string {
    let text = this.pending + chunk;
    this.pending = "";
    const partial = PARTIAL_ESCAPE.exec(text);
    // 256 characters bounds what is held back: a longer "escape" is garbage and is written as it is.
    if (partial !== null && text.length - partial.index <= 256) {
      this.pending = text.slice(partial.index);
      text = text.slice(0, partial.index);
    }
    if (text.endsWith("\r")) {
      this.pending = "\r" + this.pending;
      text = text.slice(0, -1);
    }
    return text.replace(ANSI, "").replace(/\r\n/g, "\n");
  }

  /** Whatever is still held back, at the end of the stream. */
  flush(): string {
    const rest = this.pending.replace(ANSI, "");
    this.pending = "";
    return rest;
  }
}

type Write = typeof process.stdout.write;

interface Tap {
  stream: NodeJS.WriteStream;
  original: Write;
  decoder: StringDecoder;
  /** The decoder holds no part of a character (the last bytes it got ended one). */
  decoderIdle: boolean;
  stripper: AnsiStripper;
}

const ESC_BYTE = 0x1b;
const CR_BYTE = 0x0d;

/**
 * Whether `bytes` go to the file as they are: ASCII without an escape or a `\r`, with nothing held back from the
 * chunks before. Decoding, stripping and encoding such a chunk gives the same bytes, and took most of the loop's time
 * on a chatty command (a command writing 10 MB waited on it: 26 of its 45 ms of loop CPU).
 */
function passesAsIs(tap: Tap, bytes: Buffer): boolean {
  return tap.decoderIdle && tap.stripper.idle && isAscii(bytes) && bytes.indexOf(ESC_BYTE) < 0 && bytes.indexOf(CR_BYTE) < 0;
}

/** A running copy of stdout and stderr into a file; {@link OutputCapture.stop} ends it and closes the file. */
export interface OutputCapture {
  /** Runs `fn` without copying what it writes (an interactive prompt redrawing itself has no place in the log). */
  bypass<T>(fn: () => Promise<T>): Promise<T>;
  /** Opens the file now (with `openLater`), writing what was held. Idempotent; {@link stop} does it too. */
  open(): void;
  stop(): void;
}

export interface CaptureOptions {
  /** Gets every write as it is (colours included, for the server's copy of the log). */
  onBytes?: (bytes: Buffer) => void;
  /**
   * Hold the copy in memory until {@link OutputCapture.open}: the loop opens `run.log` once its command has started,
   * as creating a file is the slowest step before the start on some file systems (0.2-0.5 ms on the development
   * machine's) and nothing reads the file that early. @defaultValue false
   */
  openLater?: boolean;
}

/**
 * The bytes of what was held: neighbouring texts joined before they are encoded, so a character whose halves (a
 * surrogate pair) came in two writes is encoded whole, as it was when only text was held.
 */
function joinHeld(held: ReadonlyArray<string | Buffer>): Buffer {
  const parts: Buffer[] = [];
  let text = "";
  for (const part of held) {
    if (typeof part === "string") {
      text += part;
      continue;
    }
    if (text !== "") parts.push(Buffer.from(text, "utf8"));
    text = "";
    parts.push(part);
  }
  if (text !== "") parts.push(Buffer.from(text, "utf8"));
  return Buffer.concat(parts);
}

/**
 * Starts copying `process.stdout` and `process.stderr` to `file` (appending). Captures do not nest. A file that
 * cannot be opened or written to is left alone, the output still goes to the terminal.
 */
export function captureOutput(file: string, options: CaptureOptions = {}): OutputCapture {
  const { onBytes } = options;
  let fd: number | null = null;
  /** What was written before the file was open. */
  let held: Array<string | Buffer> | null = [];
  let writable = true;
  let stopped = false;
  let bypassed = 0;
  const write = (text: string | Buffer) => {
    try {
      // Two calls for TypeScript's two overloads (text, bytes).
      if (typeof text === "string") writeSync(fd!, text);
      else writeSync(fd!, text);
    } catch {
      // A full disk must not take the task down with it: the terminal still has the output.
      writable = false;
    }
  };
  const open = () => {
    if (held === null) return;
    const text = joinHeld(held);
    held = null;
    try {
      fd = openSync(file, "a");
    } catch {
      writable = false;
      return;
    }
    if (text.length > 0) write(text);
  };
  const append = (text: string | Buffer) => {
    if (!writable || bypassed > 0 || text.length === 0) return;
    if (held !== null) held.push(text);
    else write(text);
  };
  if (!options.openLater) open();
  const taps: Tap[] = [process.stdout, process.stderr].map((stream) => ({
    stream,
    original: stream.write,
    decoder: new StringDecoder("utf8"),
    decoderIdle: true,
    stripper: new AnsiStripper(),
  }));
  for (const tap of taps) {
    const wrapped = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
      if (chunk instanceof Uint8Array) {
        // Bytes are passed on and held as they are: a writer must not change a chunk after write(), which keeps it too.
        const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        if (onBytes !== undefined && bypassed === 0) onBytes(bytes);
        if (passesAsIs(tap, bytes)) {
          append(bytes);
        } else {
          append(tap.stripper.push(tap.decoder.write(bytes)));
          tap.decoderIdle = bytes.length === 0 ? tap.decoderIdle : bytes[bytes.length - 1]! < 0x80;
        }
      } else if (typeof chunk === "string") {
        if (onBytes !== undefined && bypassed === 0) onBytes(Buffer.from(chunk, "utf8"));
        append(tap.stripper.push(chunk));
      }
      return (tap.original as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
    };
    tap.stream.write = wrapped as Write;
  }
  return {
    async bypass(fn) {
      bypassed += 1;
      try {
        return await fn();
      } finally {
        bypassed -= 1;
      }
    },
    stop() {
      if (stopped) return;
      stopped = true;
      for (const tap of taps) {
        tap.stream.write = tap.original;
        append(tap.stripper.push(tap.decoder.end()) + tap.stripper.flush());
      }
      open();
      if (fd !== null) closeSync(fd);
    },
    open,
  };
}
