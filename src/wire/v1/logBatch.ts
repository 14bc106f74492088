/**
 * The body of a batch log append (`POST /api/v1/queues/me/logs`, docs/wire-v1.md#15-task-logs-an-extension): one line
 * of JSON placing each chunk (task, attempt, run, offset, length, ended), a newline, then the chunks' bytes one after
 * the other. The bytes travel as they are, as in a single append's `application/octet-stream` body: no base64 for a
 * chatty run's megabyte, and the JSON line is small enough for plain `JSON.parse`. JSON text never holds a raw
 * newline, so the first one ends it.
 */
import type { TaskLogBatchEntry } from "../../core/api.js";
import { BadRequestError } from "../../core/errors.js";

/** One chunk's place in the JSON line. */
interface WirePlace {
  task_id: string;
  attempt: number;
  run: string;
  offset: number;
  length: number;
  ended: boolean;
}

const NEWLINE = 0x0a;

/** The body, in pieces to send one after the other: the JSON line, then each chunk's bytes (not copied). */
export function encodeLogBatch(entries: readonly TaskLogBatchEntry[]): Uint8Array[] {
  const places: WirePlace[] = entries.map(({ taskId, chunk }) => ({
    task_id: taskId,
    attempt: chunk.attempt,
    run: chunk.run,
    offset: chunk.offset,
    length: chunk.data.byteLength,
    ended: chunk.ended === true,
  }));
  const head = Buffer.from(`${JSON.stringify({ chunks: places })}\n`, "utf8");
  return [head, ...entries.map(({ chunk }) => chunk.data)];
}

/** The entries of a batch body; their bytes are views of `body`, not copies. Throws BadRequestError on a bad body. */
export function decodeLogBatch(body: Buffer): TaskLogBatchEntry[] {
  const end = body.indexOf(NEWLINE);
  if (end < 0) throw new BadRequestError("A log batch starts with a line of JSON ({\"chunks\": [...]}) ended by a newline");
  let head: unknown;
  try {
    head = JSON.parse(body.toString("utf8", 0, end));
  } catch {
    throw new BadRequestError("A log batch's first line must be JSON");
  }
  const places = (head as { chunks?: unknown } | null)?.chunks;
  if (!Array.isArray(places)) throw new BadRequestError("A log batch's first line must be {\"chunks\": [...]}");
  const entries: TaskLogBatchEntry[] = [];
  let at = end + 1;
  for (const [index, place] of places.entries()) {
    const { task_id, attempt, run, offset, length, ended } = (place ?? {}) as Partial<WirePlace>;
    if (typeof task_id !== "string" || task_id === "") throw new BadRequestError(`chunks[${index}].task_id must be a task id`);
    if (!Number.isSafeInteger(length) || length! < 0 || at + length! > body.length) {
      throw new BadRequestError(`chunks[${index}].length must be a whole number of bytes that follow in the body`);
    }
    if (ended !== undefined && typeof ended !== "boolean") throw new BadRequestError(`chunks[${index}].ended must be true or false`);
    // attempt, run and offset are checked as a single append's are (src/broker/logs.ts).
    entries.push({ taskId: task_id, chunk: { attempt: attempt as number, run: run as string, offset: offset as number, data: body.subarray(at, at + length!), ended: ended === true } });
    at += length!;
  }
  if (at !== body.length) throw new BadRequestError(`A log batch's body holds ${body.length - at} bytes beyond its chunks`);
  return entries;
}
