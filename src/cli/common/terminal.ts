/**
 * Terminal decisions in one place: colour as chalk decides it (FORCE_COLOR, NO_COLOR, TERM=dumb; see
 * {@link colorEnabled}), the pager only when stdout is a terminal, progress only when stderr is one. Data goes to
 * stdout through an {@link Output} that respects back-pressure and stops quietly when the reader goes away (`| head`,
 * quitting less).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import type { Writable } from "node:stream";
import type * as Chalk from "chalk";

/**
 * Whether to colour what goes to `stream` (stdout or stderr), in this order: `--no-ansi` turns it off; FORCE_COLOR,
 * when set, decides (`0` or `false` off, anything else on, on a pipe too), and wins over NO_COLOR as it does for
 * Node itself; NO_COLOR (non-empty, https://no-color.org) turns it off; a stream that is not a terminal is never
 * coloured; on a terminal, chalk decides from TERM (none for `dumb`), COLORTERM and the CI variables.
 *
 * chalk (its supports-color) makes the decision; the styles stay ours (see {@link palette}). It is loaded only when
 * its answer is needed, on a terminal or with FORCE_COLOR: it costs about 5 ms, which a command piping its output
 * should not pay.
 */
export function colorEnabled(stream: { isTTY?: boolean }, flag?: boolean): boolean {
  if (flag === false) return false;
  if (process.env.FORCE_COLOR === undefined && (process.env.NO_COLOR || stream.isTTY !== true)) return false;
  const { supportsColor, supportsColorStderr } = createRequire(import.meta.url)("chalk") as typeof Chalk;
  const support = stream === process.stderr ? supportsColorStderr : supportsColor;
  return support !== false && support.level > 0;
}

/**
 * ANSI styles; the identity when colour is off, so callers never branch. Written here rather than with chalk's
 * styles: chalk closes each attribute separately (`\u001b[1m\u001b[34mkey\u001b[39m\u001b[22m`), where this CLI has
 * always written one sequence and a full reset (`\u001b[1;34mkey\u001b[0m`), which scripts and tests match on.
 */
export interface Palette {
  /** Whether the styles add anything (callers may skip colouring work when not). */
  readonly enabled: boolean;
  key(text: string): string;
  string(text: string): string;
  number(text: string): string;
  literal(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
  /** A colour by name (`green`, `red`, `yellow`, `blue`, `cyan`, `magenta`, `white`). */
  color(name: string, text: string): string;
}

const CODES: Record<string, number> = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, white: 37, gray: 90 };

export function palette(enabled: boolean): Palette {
  const wrap = (open: string, text: string) => (enabled ? `\u001b[${open}m${text}\u001b[0m` : text);
  return {
    enabled,
    key: (text) => wrap("1;34", text),
    string: (text) => wrap("32", text),
    number: (text) => wrap("36", text),
    literal: (text) => wrap("35", text),
    dim: (text) => wrap("2", text),
    bold: (text) => wrap("1", text),
    color: (name, text) => wrap(String(CODES[name] ?? 0), text),
  };
}

/** Where a command writes its data. `closed` turns true when the reader has gone; producers should stop then. */
export interface Output {
  write(text: string): Promise<void>;
  readonly closed: boolean;
  /** Ends the output and waits for the pager, if any, to exit. */
  end(): Promise<void>;
}

function isBrokenPipe(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  return code === "EPIPE" || code === "ERR_STREAM_DESTROYED";
}

/** An {@link Output} on a writable stream: waits for `drain` when the buffer is full; a broken pipe closes it. */
function streamOutput(stream: Writable, onEnd: () => Promise<void> = async () => undefined): Output {
  let closed = false;
  stream.on("error", (error) => {
    if (isBrokenPipe(error)) closed = true;
  });
  return {
    get closed() {
      return closed;
    },
    async write(text) {
      if (closed || text === "") return;
      const ok = stream.write(text);
      if (!ok && !closed) {
        await new Promise<void>((resolve) => {
          const done = () => {
            stream.off("drain", done);
            stream.off("close", done);
            stream.off("error", done);
            resolve();
          };
          stream.once("drain", done);
          stream.once("close", done);
          stream.once("error", done);
        });
      }
    },
    end: onEnd,
  };
}

/** stdout as an {@link Output} (main.ts ends the process quietly when the reader goes away, `| head`). */
export function stdoutOutput(): Output {
  return streamOutput(process.stdout);
}

/**
 * A pager (`$PAGER`, else `less`) when `enabled` and stdout is a terminal; stdout otherwise, or when the pager
 * cannot be started. `less` gets `LESS=FRX` unless LESS is set: quit when the text fits one screen, keep colours,
 * leave the text on the screen.
 */
export function pagerOutput(enabled: boolean): Output {
  if (!enabled || !process.stdout.isTTY) return stdoutOutput();
  const command = process.env.PAGER?.trim() || "less";
  let child: ChildProcess;
  try {
    child = spawn(command, { shell: true, stdio: ["pipe", "inherit", "inherit"], env: { LESS: "FRX", ...process.env } });
  } catch {
    return stdoutOutput();
  }
  // While the pager runs, Ctrl+C is the pager's (less uses it to stop a search), not a reason to end this process.
  const ignoreInterrupt = () => undefined;
  process.on("SIGINT", ignoreInterrupt);
  const exited = new Promise<void>((resolve) => {
    const done = () => {
      process.off("SIGINT", ignoreInterrupt);
      resolve();
    };
    child.once("close", done);
    child.once("error", done);
  });
  const stdin = child.stdin!;
  return streamOutput(stdin, async () => {
    stdin.end();
    await exited;
  });
}

/** A progress bar on stderr, drawn only when stderr is a terminal. */
export interface Progress {
  update(done: number): void;
  finish(): void;
}

export function progressBar(total: number, label: string): Progress {
  if (!process.stderr.isTTY || total <= 0) return { update: () => undefined, finish: () => undefined };
  const width = 30;
  let last = -1;
  let current = 0;
  const draw = (done: number, force = false) => {
    current = done;
    const filled = Math.round((done / total) * width);
    if (filled === last && done !== total && !force) return;
    last = filled;
    const percent = Math.floor((done / total) * 100);
    process.stderr.write(`\r${label} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${total} (${percent}%)`);
  };
  draw(0);
  return {
    update: (done) => draw(done),
    // Where the work stopped, which is short of the total when it failed.
    finish: () => {
      draw(current, true);
      process.stderr.write("\n");
    },
  };
}

/** Writes a message line on stderr (messages never go to stdout, which carries data only). */
export function note(message: string): void {
  process.stderr.write(`${message}\n`);
}
