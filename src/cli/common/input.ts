/**
 * Reading from the user: ids piped on stdin, answers to prompts (from a terminal, or lines piped in by a script),
 * and an editor session. Prompts and their questions go to stderr, so stdout keeps only data.
 */
import { spawnSync } from "node:child_process";
import { closeSync, existsSync, fstatSync, openSync } from "node:fs";
import { delimiter, join } from "node:path";
import { ReadStream } from "node:tty";
import { CliError, EXIT } from "./errors.js";

/**
 * Whether stdin carries data to read: a pipe, a socket or a redirected file. A terminal, /dev/null or a closed
 * stdin does not (v1 reads stdin whenever stdin *or stdout* is not a terminal, which blocks `lt task update ... >
 * log` waiting for typed ids; that case is excluded here).
 */
export function stdinHasData(): boolean {
  if (process.stdin.isTTY) return false;
  try {
    const stat = fstatSync(0);
    return stat.isFIFO() || stat.isFile() || stat.isSocket();
  } catch {
    return false;
  }
}

/** Non-empty, trimmed lines of stdin (for ids piped from `task ls -q`). */
export async function readStdinLines(): Promise<string[]> {
  let text = "";
  process.stdin.setEncoding("utf8");
  for await (const chunk of process.stdin) text += chunk as string;
  return text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== "");
}

/**
 * Line-by-line answers from an input stream. On a terminal, hidden answers (passwords) are read in raw mode
 * without echo; elsewhere lines are read as they come, so scripts can pipe answers in.
 */
export class Prompter {
  private buffer = "";
  private ended = false;
  private waiter: ((line: string | null) => void) | undefined;
  private hidden: { text: string } | undefined;
  private readonly onData = (chunk: string) => this.receive(chunk);
  private readonly onEnd = () => {
    this.ended = true;
    this.flush();
  };

  constructor(
    private readonly input: NodeJS.ReadStream = process.stdin,
    private readonly output: NodeJS.WriteStream = process.stderr,
  ) {
    input.setEncoding("utf8");
    input.on("data", this.onData);
    input.on("end", this.onEnd);
  }

  /** A prompter on the controlling terminal, for confirmations when stdin carries data; null without one. */
  static onTerminal(): Prompter | null {
    let fd: number;
    try {
      fd = openSync("/dev/tty", "r");
    } catch {
      return null;
    }
    try {
      return new Prompter(new ReadStream(fd), process.stderr);
    } catch {
      closeSync(fd);
      return null;
    }
  }

  private receive(chunk: string): void {
    if (this.hidden) {
      for (const char of chunk) {
        if (char === "\r" || char === "\n") {
          const text = this.hidden.text;
          this.hidden = undefined;
          this.resolve(text);
          return;
        }
        if (char === "\u0003") {
          this.restore();
          this.output.write("\n");
          process.exit(EXIT.INTERRUPTED);
        }
        if (char === "\u0004") {
          this.hidden = undefined;
          this.resolve(null);
          return;
        }
        if (char === "\u007f" || char === "\b") this.hidden.text = this.hidden.text.slice(0, -1);
        else this.hidden.text += char;
      }
      return;
    }
    this.buffer += chunk;
    this.flush();
  }

  private flush(): void {
    if (!this.waiter) return;
    const newline = this.buffer.search(/\r?\n/);
    if (newline >= 0) {
      const line = this.buffer.slice(0, newline);
      this.buffer = this.buffer.slice(this.buffer[newline] === "\r" ? newline + 2 : newline + 1);
      this.resolve(line);
    } else if (this.ended) {
      const rest = this.buffer;
      this.buffer = "";
      this.resolve(rest === "" ? null : rest);
    }
  }

  private resolve(line: string | null): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    this.restore();
    waiter?.(line);
  }

  private restore(): void {
    if (this.input.isTTY && this.input.isRaw) this.input.setRawMode(false);
  }

  /** The next line typed or piped, or null at the end of input. */
  private nextLine(hidden: boolean): Promise<string | null> {
    return new Promise((resolve) => {
      this.waiter = resolve;
      if (hidden && this.input.isTTY) {
        this.input.setRawMode(true);
        this.hidden = { text: "" };
      }
      this.input.resume();
      this.flush();
    });
  }

  /** Asks a question; returns the answer, `defaultValue` for an empty one, or null at the end of input. */
  async ask(question: string, options: { defaultValue?: string; hidden?: boolean } = {}): Promise<string | null> {
    const hint = options.defaultValue !== undefined ? ` [${options.defaultValue}]` : "";
    this.output.write(`${question}${hint}: `);
    const line = await this.nextLine(options.hidden ?? false);
    // A terminal echoes the answer and its newline (except a hidden one); piped answers are not echoed.
    if (!this.input.isTTY || options.hidden) this.output.write("\n");
    if (line === null) return options.defaultValue ?? null;
    const answer = options.hidden ? line : line.trim();
    return answer === "" && options.defaultValue !== undefined ? options.defaultValue : answer;
  }

  /** A yes/no question; an empty answer or the end of input gives `defaultValue`. */
  async confirm(question: string, defaultValue: boolean): Promise<boolean> {
    for (;;) {
      this.output.write(`${question} [${defaultValue ? "Y/n" : "y/N"}]: `);
      const line = await this.nextLine(false);
      if (!this.input.isTTY) this.output.write("\n");
      if (line === null) return defaultValue;
      const answer = line.trim().toLowerCase();
      if (answer === "") return defaultValue;
      if (answer === "y" || answer === "yes") return true;
      if (answer === "n" || answer === "no") return false;
      this.output.write("Error: invalid input\n");
    }
  }

  /** Stops reading, so the process can exit. */
  close(): void {
    this.restore();
    this.input.off("data", this.onData);
    this.input.off("end", this.onEnd);
    this.input.pause();
    if (this.input !== process.stdin) this.input.destroy();
  }
}

/** The editor: `--editor`, then VISUAL, EDITOR, then the first of sensible-editor, vim, nano on PATH, else vi (as v1). */
export function resolveEditor(flag?: string): string {
  if (flag) return flag;
  for (const name of ["VISUAL", "EDITOR"]) {
    const value = process.env[name];
    if (value) return value;
  }
  if (process.platform === "win32") return "notepad";
  const path = (process.env.PATH ?? "").split(delimiter).filter(Boolean);
  for (const candidate of ["sensible-editor", "vim", "nano"]) {
    if (path.some((dir) => existsSync(join(dir, candidate)))) return candidate;
  }
  return "vi";
}

/** Opens `file` in `editor` (a command line, so `code -w` works) and waits for it; a failing editor is an error. */
export function editFile(file: string, editor: string): void {
  const quoted = `'${file.replaceAll("'", "'\\''")}'`;
  const result = spawnSync(`${editor} ${quoted}`, { shell: true, stdio: "inherit" });
  if (result.error) throw new CliError(`Could not start the editor '${editor}': ${result.error.message}. Set VISUAL or EDITOR, or pass --editor.`);
  if (result.status !== 0) throw new CliError(`The editor '${editor}' exited with status ${result.status ?? result.signal}; nothing was changed.`);
}
