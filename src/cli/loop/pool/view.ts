/**
 * What a pool shows while it runs. On a terminal (stderr a TTY): a compact live view redrawn in place, one line per
 * slot (GPU, task, its args, elapsed time, the last line of output) under a line with the queue's counts; the
 * slots' output itself stays in each run's `run.log` and on the server (`labtasker task logs`). Otherwise: every line
 * of every slot, prefixed with the slot (`[gpu2] ...`), on the stream it came from.
 */
import { StringDecoder } from "node:string_decoder";
import type { TaskCounts } from "../../../core/api.js";
import { AnsiStripper } from "../../../runner/capture.js";
import type { GpuSample } from "./telemetry.js";

export interface SlotState {
  label: string;
  /** The task it runs, or null between tasks. */
  task: { taskId: string; args: unknown; startedAt: number } | null;
  /** What the slot is doing when it runs no task. */
  phase: "starting" | "idle" | "restarting" | "done" | "failed" | "stopping";
  lastLine: string;
  /** The slot's GPU at the last telemetry sample (`--gpu-telemetry`), or null. */
  gpu: GpuSample | null;
}

export interface PoolView {
  /** A chunk of a slot's output. */
  output(slot: SlotState, stream: "stdout" | "stderr", chunk: Buffer): void;
  /** A line that stays (a task's end, a restart), or the pool's own line with a null slot. */
  event(slot: SlotState | null, message: string): void;
  /** The slots or the counts changed. */
  update(counts?: TaskCounts | null): void;
  close(): void;
}

/** Lines of one stream, from chunks cut anywhere: complete lines go to `onLine`, ANSI escapes removed. */
class LineSplitter {
  private readonly decoder = new StringDecoder("utf8");
  private readonly stripper = new AnsiStripper();
  private partial = "";

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Buffer): void {
    const lines = (this.partial + this.stripper.push(this.decoder.write(chunk))).split("\n");
    this.partial = lines.pop()!;
    for (const line of lines) this.onLine(line);
  }

  /** The line written so far (a progress bar redrawing itself with `\r` shows its latest state). */
  get current(): string {
    return this.partial.slice(this.partial.lastIndexOf("\r") + 1);
  }
}

function streamsOf(slot: SlotState, make: (stream: "stdout" | "stderr") => LineSplitter, cache: Map<string, LineSplitter>): (stream: "stdout" | "stderr") => LineSplitter {
  return (stream) => {
    const key = `${slot.label}\u0000${stream}`;
    let splitter = cache.get(key);
    if (!splitter) cache.set(key, (splitter = make(stream)));
    return splitter;
  };
}

/** Plain prefixed lines, for pipes and files. */
export function plainView(): PoolView {
  const splitters = new Map<string, LineSplitter>();
  return {
    output(slot, stream, chunk) {
      const target = stream === "stdout" ? process.stdout : process.stderr;
      streamsOf(slot, () => new LineSplitter((line) => target.write(`[${slot.label}] ${line.replace(/\r$/, "")}\n`)), splitters)(stream).push(chunk);
    },
    event(slot, message) {
      process.stderr.write(slot === null ? `${message}\n` : `[${slot.label}] ${message}\n`);
    },
    update: () => undefined,
    close: () => undefined,
  };
}

const ESC = "\u001b[";

function clock(ms: number): string {
  const s = Math.floor(ms / 1000);
  const pad = (n: number) => String(n).padStart(2, "0");
  return s >= 3600 ? `${Math.floor(s / 3600)}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}` : `${pad(Math.floor(s / 60))}:${pad(s % 60)}`;
}

function describeArgs(args: unknown): string {
  if (args === null || typeof args !== "object" || Array.isArray(args)) return JSON.stringify(args) ?? "";
  return Object.entries(args as Record<string, unknown>)
    .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`)
    .join(" ");
}

/** A slot's GPU use in its live line: ` 87% 12.3/80.0G`, or nothing without telemetry. */
function describeGpu(gpu: GpuSample | null): string {
  if (gpu === null) return "";
  const gib = (mib: number | null) => (mib === null ? "?" : (mib / 1024).toFixed(1));
  const utilization = gpu.utilizationPct === null ? "  ?%" : `${String(Math.round(gpu.utilizationPct)).padStart(3)}%`;
  return ` ${utilization} ${gib(gpu.memoryUsedMib)}/${gib(gpu.memoryTotalMib)}G`;
}

/** Cuts a line to `width` characters (code points; wide characters may still wrap, which the redraw allows for). */
function fit(line: string, width: number): string {
  const chars = [...line];
  return chars.length <= width ? line : chars.slice(0, Math.max(0, width - 1)).join("") + "…";
}

/** The live view on `stream` (a terminal), redrawn at most every `intervalMs` and on resize. */
export function liveView(slots: readonly SlotState[], stream: NodeJS.WriteStream = process.stderr, intervalMs = 250): PoolView {
  const splitters = new Map<string, LineSplitter>();
  let counts: TaskCounts | null = null;
  let drawn: string[] = [];
  let closed = false;

  const rowsOf = (lines: readonly string[], columns: number) => lines.reduce((rows, line) => rows + Math.max(1, Math.ceil([...line].length / columns)), 0);
  const erase = () => {
    if (drawn.length === 0) return;
    // Lines drawn for a wider terminal may now wrap: go up as many rows as they take at the current width.
    const rows = rowsOf(drawn, stream.columns || 80);
    stream.write(`\r${ESC}${rows}A${ESC}J`);
    drawn = [];
  };
  const render = () => {
    if (closed) return;
    const width = Math.max(20, (stream.columns || 80) - 1);
    const now = Date.now();
    const header = counts
      ? `labtasker pool: ${slots.length} slots · pending ${counts.pending} · running ${counts.running} · success ${counts.success} · failed ${counts.failed}`
      : `labtasker pool: ${slots.length} slots`;
    const labelWidth = Math.max(...slots.map((slot) => slot.label.length));
    const lines = [header, ...slots.map((slot) => {
      const label = slot.label.padEnd(labelWidth) + describeGpu(slot.gpu);
      if (slot.task === null) return `${label}  ${slot.phase}`;
      const { taskId, args, startedAt } = slot.task;
      return `${label}  ${taskId.slice(0, 8)}  ${clock(now - startedAt)}  ${describeArgs(args)}  │ ${slot.lastLine}`;
    })].map((line) => fit(line, width));
    erase();
    stream.write(lines.join("\n") + "\n");
    drawn = lines;
  };

  stream.write(`${ESC}?25l`); // no cursor blinking through the redraws
  const timer = setInterval(render, intervalMs);
  timer.unref();
  const onResize = () => render();
  stream.on("resize", onResize);
  render();

  return {
    output(slot, streamName, chunk) {
      const splitter = streamsOf(slot, () => new LineSplitter((line) => {
        const text = line.slice(line.lastIndexOf("\r") + 1).trim();
        if (text !== "") slot.lastLine = text;
      }), splitters)(streamName);
      splitter.push(chunk);
      if (splitter.current.trim() !== "") slot.lastLine = splitter.current.trim();
    },
    event(slot, message) {
      erase();
      stream.write(slot === null ? `${message}\n` : `[${slot.label}] ${message}\n`);
      render();
    },
    update(next) {
      if (next !== undefined) counts = next;
    },
    close() {
      if (closed) return;
      render();
      closed = true;
      clearInterval(timer);
      stream.off("resize", onResize);
      stream.write(`${ESC}?25h`);
    },
  };
}
