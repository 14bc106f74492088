/**
 * Runs one task's command and streams its output live, as labtasker v1 does with pexpect (a pseudo-terminal) or
 * subprocess pipes.
 *
 * Pseudo-terminal (by default when stdout is a terminal; always with an explicit `--use-pty`, as v1 does): Node has
 * no pty of its own and the native `node-pty` is a
 * build dependency we avoid, so the command runs under util-linux `script -qfec CMD /dev/null` (package bsdutils,
 * essential on Debian and present on every mainstream Linux). The command then sees a terminal: programs keep their
 * colours and progress bars, and C stdio and Python flush each line instead of every 4-8 KB. The pty is sized like
 * ours (`stty cols/rows` before `exec`), stdout and stderr arrive merged, as under v1's pexpect.
 * Pipes (`--no-use-pty`, stdout not a terminal, or no util-linux `script`): stdout and stderr stream separately, and
 * the command sees pipes, as it would under `cmd > file`. Without a pty on a terminal, FORCE_COLOR=1 and
 * CLICOLOR_FORCE=1 keep colours in the programs that honour them.
 *
 * Either way the command has its own process group (its own session under `script`), so a signal meant for it
 * reaches all its processes (a shell's children, torchrun's workers) and only through us: Ctrl+C at the terminal
 * reaches the loop, which forwards SIGINT to the group and reports the task when the command has exited; a second
 * Ctrl+C kills the group. stdin is /dev/null (pipes) or the pty without input, so a command that reads it cannot
 * hang the loop waiting on the user's keyboard.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { accessSync, constants as fsConstants, readFileSync } from "node:fs";
import { constants as osConstants } from "node:os";
import { delimiter, join } from "node:path";
import { StringDecoder } from "node:string_decoder";
import { AnsiStripper } from "../../runner/capture.js";
import { shellQuote } from "../../core/python.js";

export interface ChildOptions {
  /** A shell string (run with `executable -c`) or an argv list (run as it is, no shell). */
  command: string | string[];
  /** The shell for a string command. @defaultValue /bin/sh */
  executable?: string | null;
  /** Run under a pseudo-terminal (see {@link ptyHelper}); otherwise with pipes. */
  pty: boolean;
  env: NodeJS.ProcessEnv;
  /** Aborted with a signal name as reason: that signal is sent to the command's process group. */
  signal: AbortSignal;
  /** Aborted: the command's process group is killed (SIGKILL). */
  forceSignal: AbortSignal;
  /** Called with the pid of the process started (the leader of the command's process group). */
  onSpawn?: (pid: number) => void;
  /** Where the output goes as it arrives. @defaultValue process.stdout / process.stderr */
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
}

export interface ChildResult {
  /** The exit code; for a command killed by a signal, minus the signal number (Python's returncode). */
  exitCode: number;
  /** The last lines of the output (ANSI escapes removed), for the failure summary; empty after exit code 0. */
  tail: string;
}

/** The end of the output kept for a failure summary: at most this many characters, then this many lines. */
const TAIL_CHARS = 16_384;
const TAIL_LINES = 40;
/**
 * The bytes of output kept for that tail: a character takes at most 4, and colours and cursor moves (a progress bar
 * redrawn, a rich table) take more, so 16 per character of the tail.
 */
const TAIL_WINDOW = 16 * TAIL_CHARS;
/** How long to wait for the output pipes to close after the command exited (a daemon it left may hold them). */
const DRAIN_MS = 1000;

/**
 * The last output of a command, as it came (stdout and stderr in their order), made text only when a failure asks
 * for it: decoding and stripping every chunk as it came, for a tail read once at the end, took a fifth of the loop's
 * time on a chatty command. Where older output was dropped, the window may start inside a character (its remaining
 * bytes are skipped) or an escape (the text then starts after the first line break, when one comes early).
 */
class RecentOutput {
  private readonly chunks: Array<{ stream: 0 | 1; bytes: Buffer }> = [];
  private bytes = 0;
  private dropped = false;

  push(stream: 0 | 1, bytes: Buffer): void {
    this.chunks.push({ stream, bytes });
    this.bytes += bytes.length;
    while (this.chunks.length > 1 && this.bytes - this.chunks[0]!.bytes.length >= TAIL_WINDOW) {
      this.bytes -= this.chunks.shift()!.bytes.length;
      this.dropped = true;
    }
  }

  /** The output kept, decoded per stream (a character cut between two chunks is decoded whole), ANSI escapes removed. */
  text(): string {
    const decoders = [new StringDecoder("utf8"), new StringDecoder("utf8")];
    const stripper = new AnsiStripper();
    let text = "";
    let cut = this.dropped;
    const started = [false, false];
    for (const { stream, bytes } of this.chunks) {
      let kept = bytes.length > TAIL_WINDOW ? bytes.subarray(bytes.length - TAIL_WINDOW) : bytes;
      cut ||= kept !== bytes;
      if (cut && !started[stream]) kept = kept.subarray(continuationBytes(kept)); // a character's rest
      started[stream] = true;
      text += stripper.push(decoders[stream]!.write(kept));
    }
    text += stripper.push(decoders[0]!.end() + decoders[1]!.end()) + stripper.flush();
    if (!cut) return text;
    // A cut escape leaves its parameters as text up to its end: the first line goes when it is short and not all.
    const firstBreak = text.indexOf("\n");
    return firstBreak >= 0 && firstBreak < CUT_LINE && firstBreak < text.length - 1 ? text.slice(firstBreak + 1) : text;
  }
}

/** How far into a cut window a line break may come for the partial line before it to go. */
const CUT_LINE = 1024;

/** UTF-8 continuation bytes at the start of `bytes` (at most 3: what a character cut before them left). */
function continuationBytes(bytes: Buffer): number {
  let count = 0;
  while (count < 3 && count < bytes.length && (bytes[count]! & 0xc0) === 0x80) count += 1;
  return count;
}

let helper: string | null | undefined;

/** util-linux `script` on the PATH (the pty helper), or null on other systems or when it is missing. Checked once. */
export function ptyHelper(): string | null {
  if (helper !== undefined) return helper;
  helper = null;
  if (process.platform !== "linux") return helper;
  for (const dir of (process.env.PATH ?? "/usr/bin:/bin").split(delimiter)) {
    const candidate = join(dir, "script");
    try {
      accessSync(candidate, fsConstants.X_OK);
    } catch {
      continue;
    }
    // BSD and busybox `script` take other flags; only util-linux's `-qfec` semantics are relied on.
    const version = spawnSync(candidate, ["--version"], { encoding: "utf8", timeout: 5000 });
    if (version.status === 0 && version.stdout.includes("util-linux")) helper = candidate;
    break;
  }
  return helper;
}

/** The shell text run inside the pty: size it like our terminal, restore the user's SHELL, then exec the command. */
export function ptyScript(command: string | string[], executable: string | null | undefined, env: NodeJS.ProcessEnv, size: { columns?: number; rows?: number }): string {
  const program = typeof command === "string" ? `${shellQuote(executable || "/bin/sh")} -c ${shellQuote(command)}` : command.map(shellQuote).join(" ");
  const parts: string[] = [];
  if (size.columns && size.rows) parts.push(`stty cols ${size.columns} rows ${size.rows} 2>/dev/null`);
  // `script` runs its command with $SHELL, which we set to /bin/sh for it (a user's fish or csh would misread the
  // quoting); the command gets the user's value back.
  parts.push(env.SHELL === undefined ? "unset SHELL" : `export SHELL=${shellQuote(env.SHELL)}`);
  parts.push(`exec ${program}`);
  return parts.join("; ");
}

/** The pid of the process `script` started (the session leader inside the pty), from /proc; null if not yet there. */
function ptyChildPid(scriptPid: number): number | null {
  try {
    const children = readFileSync(`/proc/${scriptPid}/task/${scriptPid}/children`, "utf8").trim().split(/\s+/);
    const pid = Number(children[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false; // gone already
  }
}

/** Runs the command to its end; resolves with its exit code, rejects only when it cannot be started. */
export function runChild(options: ChildOptions): Promise<ChildResult> {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const usePty = options.pty && ptyHelper() !== null;
  let child: ChildProcess;
  if (usePty) {
    // Without a terminal of our own (--use-pty with stdout redirected) the pty gets the classic 80x24, not 0x0.
    const size = { columns: process.stdout.columns || 80, rows: process.stdout.rows || 24 };
    const script = ptyScript(options.command, options.executable, options.env, size);
    child = spawn(ptyHelper()!, ["-qfec", script, "/dev/null"], {
      env: { ...options.env, SHELL: "/bin/sh" },
      // stdin is a socket we never write to but for ^C: util-linux `script` waits for EOF on a pipe, not on this.
      stdio: ["pipe", "pipe", "pipe"],
      detached: true,
    });
  } else {
    const env = options.pty && process.stdout.isTTY ? { FORCE_COLOR: "1", CLICOLOR_FORCE: "1", ...options.env } : options.env;
    const [file, args] = typeof options.command === "string" ? [options.executable || "/bin/sh", ["-c", options.command]] : [options.command[0]!, options.command.slice(1)];
    child = spawn(file, args, { env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  }

  const recent = new RecentOutput();
  const tee = (source: NodeJS.ReadableStream | null, target: NodeJS.WritableStream, stream: 0 | 1) => {
    source?.on("data", (chunk: Buffer) => {
      target.write(chunk);
      recent.push(stream, chunk);
    });
  };
  tee(child.stdout, stdout, 0);
  tee(child.stderr, stderr, 1);

  /** The process group to signal: the command's own (pipes), or the session leader's inside the pty. */
  const forward = (signal: NodeJS.Signals) => {
    if (!usePty) return killGroup(child.pid, signal) || child.kill(signal);
    const inner = child.pid === undefined ? null : ptyChildPid(child.pid);
    if (inner !== null && killGroup(inner, signal)) return true;
    // Not started yet inside the pty: ^C typed into it still becomes SIGINT there; other signals go to `script`.
    if (signal === "SIGINT" && child.stdin?.writable) return child.stdin.write("\u0003");
    return child.kill(signal);
  };
  const onStop = () => forward((options.signal.reason as NodeJS.Signals | undefined) ?? "SIGTERM");
  const onForce = () => {
    forward("SIGKILL");
    child.kill("SIGKILL");
  };

  return new Promise<ChildResult>((resolve, reject) => {
    let exited = false;
    const cleanup = () => {
      options.signal.removeEventListener("abort", onStop);
      options.forceSignal.removeEventListener("abort", onForce);
    };
    child.once("error", (error) => {
      cleanup();
      if (!exited) reject(error);
    });
    child.once("spawn", () => {
      if (child.pid !== undefined) options.onSpawn?.(child.pid);
      if (options.signal.aborted) onStop();
      else options.signal.addEventListener("abort", onStop, { once: true });
      options.forceSignal.addEventListener("abort", onForce, { once: true });
    });
    child.once("exit", (code, signal) => {
      exited = true;
      cleanup();
      let settled = false;
      const settle = () => {
        if (settled) return;
        settled = true;
        child.stdout?.destroy();
        child.stderr?.destroy();
        child.stdin?.destroy();
        const exitCode = code ?? -(osConstants.signals[signal as NodeJS.Signals] ?? 0);
        const tail = exitCode === 0 ? "" : recent.text().slice(-TAIL_CHARS).split("\n").slice(-TAIL_LINES).join("\n");
        resolve({ exitCode, tail });
      };
      // 'close' follows once the pipes are drained; a background process the command left may keep them open.
      const timer = setTimeout(settle, DRAIN_MS);
      child.once("close", () => {
        clearTimeout(timer);
        settle();
      });
    });
  });
}
