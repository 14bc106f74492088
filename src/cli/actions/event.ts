/**
 * `event listen`: the queue's state changes as they happen, as panels (v1's default), one line each (`--compact`)
 * or one JSON object per line (`--raw`, v1's EventResponse shape, for jq). Runs until Ctrl+C.
 */
import type { Command } from "commander";
import type { QueueEvent } from "../../core/model.js";
import { eventToWire } from "../../wire/v1/index.js";
import { stringifyJson } from "../../json.js";
import { formatNaiveIso } from "../../time.js";
import { withApi } from "../common/connect.js";
import { CliError, EXIT } from "../common/errors.js";
import { prettyJson } from "../common/output.js";
import { colorEnabled, note, palette, stdoutOutput, type Palette } from "../common/terminal.js";

/** v1's colours per state. */
const STATE_COLORS: Record<string, string> = {
  pending: "yellow",
  running: "blue",
  success: "green",
  failed: "red",
  cancelled: "white",
  active: "green",
  suspended: "white",
  crashed: "red",
};

function timestamp(event: QueueEvent): string {
  return formatNaiveIso(event.timestamp);
}

/** `[    3][2025-...][state_transition    ][task      ][<id>][created    -> pending   ]`, as v1's compact view. */
export function compactLine(event: QueueEvent, style: Palette): string {
  const transition = `[${event.oldState.padEnd(10)} -> ${event.newState.padEnd(10)}]`;
  return (
    `[${String(event.sequence).padStart(5)}][${timestamp(event)}][${"state_transition".padEnd(20)}]` +
    `[${event.entityType.padEnd(10)}][${event.entityId.padEnd(10)}]${style.color(STATE_COLORS[event.newState] ?? "blue", transition)}`
  );
}

/** A bordered panel as v1's rich view: title, the event's properties, and the transition. */
export function panel(event: QueueEvent, style: Palette, width: number): string {
  const entity = event.entityType === "task" ? "Task" : "Worker";
  const rows: Array<[string, string]> = [
    ["Sequence", String(event.sequence)],
    ["Timestamp", timestamp(event)],
    ["Entity Type", entity],
    ["Entity ID", event.entityId],
  ];
  const inner = Math.max(width - 2, 40);
  const border = (text: string) => style.color(STATE_COLORS[event.newState] ?? "blue", text);
  const line = (visible: string, styled = visible) => `${border("│")}${styled}${" ".repeat(Math.max(0, inner - [...visible].length))}${border("│")}`;
  const title = ` ${entity} State Change `;
  const left = Math.floor((inner - title.length) / 2);
  const lines = [border(`╭${"─".repeat(Math.max(0, left))}${title}${"─".repeat(Math.max(0, inner - left - title.length))}╮`)];
  for (const [key, value] of rows) lines.push(line(`  ${key.padEnd(12)} ${value}`, `  ${style.color("cyan", key.padEnd(12))} ${value}`));
  lines.push(line(" State Transition:", ` ${style.bold("State Transition:")}`));
  lines.push(line(`  ${event.oldState}  ${event.newState}`, `  ${style.color("yellow", event.oldState)}  ${style.color(STATE_COLORS[event.newState] ?? "blue", event.newState)}`));
  lines.push(border(`╰${"─".repeat(inner)}╯`));
  return lines.join("\n");
}

interface ListenOptions {
  timeout: number;
  verbose?: boolean;
  raw?: boolean;
  compact?: boolean;
}

export async function listen(command: Command): Promise<void> {
  const options = command.opts<ListenOptions>();
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.on("SIGINT", stop);
  const style = palette(colorEnabled(process.stdout));
  const out = stdoutOutput();
  try {
    await withApi(command, async (api) => {
      note("Attempting to connect to server...");
      // The stream retries a lost connection forever; checking the queue first gives --timeout its meaning and
      // turns wrong credentials or a down server into an error instead of a silent wait.
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new CliError(`Could not connect within ${options.timeout} s. Check the server (labtasker health).`)), options.timeout * 1000);
      });
      try {
        const queue = await Promise.race([api.getQueue(), timeout]);
        note(`Connected. Listening to queue '${queue.queueName}' (Ctrl+C to stop).`);
      } finally {
        clearTimeout(timer);
      }
      // The transport's own stream: over HTTP it reconnects itself; in direct mode a lost Redis ends the command.
      for await (const event of api.events({ signal: controller.signal, reconnect: false })) {
        if (out.closed) break;
        if (options.raw) {
          await out.write(`${stringifyJson(eventToWire(event))}\n`);
          continue;
        }
        const width = Math.min(process.stdout.columns ?? (Number(process.env.COLUMNS) || 100), 100);
        await out.write(`${options.compact ? compactLine(event, style) : panel(event, style, width)}\n`);
        if (options.verbose) await out.write(`${prettyJson(eventToWire(event), style)}\n`);
      }
    });
  } finally {
    process.off("SIGINT", stop);
  }
  if (controller.signal.aborted) process.exitCode = EXIT.INTERRUPTED;
}
