/**
 * `task logs ID [--attempt N] [-f]`: a task's output as the loop sent it to the server (an extension; the loop's
 * `run.log` stays on the machine that ran it). Bytes go to stdout as written when it is a terminal (colours kept),
 * else without ANSI escapes and with `\r\n` as `\n`, as in `run.log`. Where earlier output was dropped (a task keeps
 * its last 1 MiB), a note on stderr says how much. `-f` follows the attempt until its run ends (or its task stops
 * running without an end, when the loop running it died), waiting for the first attempt if none has started yet.
 */
import type { Command } from "commander";
import type { Labtasker, TaskLogChunk } from "../../core/api.js";
import { AnsiStripper } from "../../runner/capture.js";
import { StringDecoder } from "node:string_decoder";
import { CliError } from "../common/errors.js";
import { withApi } from "../common/connect.js";
import { colorEnabled, note } from "../common/terminal.js";

/** How long one read waits for output while following (the server answers within 10 s either way). */
const FOLLOW_WAIT_MS = 10_000;

type LogReader = Required<Pick<Labtasker, "readTaskLog">>["readTaskLog"];

/** Where the bytes go: as they are, or cleaned as in `run.log`. */
function output(raw: boolean): { write(data: Uint8Array): void; end(): void } {
  if (raw) return { write: (data) => void process.stdout.write(data), end: () => undefined };
  const decoder = new StringDecoder("utf8");
  const stripper = new AnsiStripper();
  return {
    write: (data) => void process.stdout.write(stripper.push(decoder.write(Buffer.from(data)))),
    end: () => void process.stdout.write(stripper.push(decoder.end()) + stripper.flush()),
  };
}

export async function logs(command: Command): Promise<void> {
  const [taskId] = command.args as [string];
  const options = command.opts<{ attempt?: number; follow?: boolean }>();
  await withApi(command, async (api) => {
    const transport = api.transport as Labtasker;
    if (typeof transport.readTaskLog !== "function") throw new CliError("This connection keeps no task logs.");
    const read: LogReader = transport.readTaskLog.bind(transport);
    const sink = output(colorEnabled(process.stdout));
    let offset = 0;
    let shown = false;
    const show = (chunk: TaskLogChunk) => {
      if (!shown && chunk.attempts > 1 && options.attempt === undefined) note(`(attempt ${chunk.attempt} of ${chunk.attempts}; --attempt N shows another)`);
      shown = true;
      if (chunk.offset > offset) note(`[... ${chunk.offset - offset} earlier bytes dropped: a task keeps the last 1 MiB of its output ...]`);
      sink.write(chunk.data);
      offset = chunk.next;
    };
    try {
      if (!options.follow) {
        const chunk = await read(taskId, { attempt: options.attempt ?? null });
        if (chunk.attempts === 0) note(`Task ${taskId} has no log yet.`);
        else show(chunk);
        return;
      }
      let attempt = options.attempt ?? null;
      for (;;) {
        const chunk = await read(taskId, { attempt, offset, waitMs: FOLLOW_WAIT_MS });
        if (chunk.attempt > 0) {
          attempt = chunk.attempt; // stay on the attempt found first, even if another starts meanwhile
          show(chunk);
          if (chunk.ended) return;
        }
        if (chunk.data.length === 0) {
          // Nothing new for a while: a task no longer running will write nothing more (its loop may have died).
          const { status } = await transport.getTask(taskId);
          if (status !== "running" && (status !== "pending" || chunk.attempt > 0)) {
            if (chunk.attempt === 0) note(`Task ${taskId} is ${status} and has no log.`);
            return;
          }
        }
      }
    } finally {
      sink.end();
    }
  });
}
