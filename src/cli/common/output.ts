/**
 * Tasks, workers and queues as the CLI prints them: labtasker v1's wire shape (keys in v1's model order, naive ISO
 * datetimes, `heartbeat_timeout` as a float), as YAML (v1's default, one single-item list per record), JSON lines
 * (one compact object per line, for `jq`) or one JSON array. Numbers keep their exact text: `3.0` stays `3.0`.
 */
import { stringify } from "lossless-json";
import { stringifyJson, type JsonObject } from "../../json.js";
import type { Queue, Task, Worker } from "../../core/model.js";
import { queueToWire, taskToWire, workerToWire } from "../../wire/v1/index.js";
import type { LsFormat } from "./options.js";
import type { Palette } from "./terminal.js";
import { dumpYaml, YamlTimestamp, type DumpOptions } from "./yamlEmit.js";

export { LS_FORMATS, type LsFormat } from "./options.js";

const DATETIME_KEYS = new Set(["created_at", "start_time", "last_heartbeat", "last_modified"]);

/**
 * A task in v1's shape. `heartbeat_timeout` is a float in v1's model, so `60` prints as `60.0` as v1 prints it. The
 * task model's extension fields that are set follow (`depends_on`, `waiting`, `blocked_by`, ...: docs/tasks.md).
 */
export function taskRecord(task: Task): JsonObject {
  return taskToWire(task, { pythonFloats: true, extensions: true });
}

export function workerRecord(worker: Worker): JsonObject {
  return workerToWire(worker);
}

/** A queue in v1's QueueGetResponse shape, without the response-only `notification`. */
export function queueRecord(queue: Queue): JsonObject {
  return queueToWire(queue);
}

/** The record with its datetimes as YAML timestamps (`2025-02-23 11:41:41.908000`, as PyYAML writes datetimes). */
function forYaml(record: JsonObject): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    out[key] = DATETIME_KEYS.has(key) && typeof value === "string" ? new YamlTimestamp(value.replace("T", " ")) : value;
  }
  return out;
}

/** YAML of records as one list (used by `task update`'s editor and result views). */
export function recordsYaml(records: JsonObject[], options: DumpOptions = {}): string {
  return dumpYaml(records.map(forYaml), options);
}

/** JSON with colours: keys, strings, numbers and literals styled, structure untouched. */
function colorJson(text: string, style: Palette): string {
  if (!style.enabled) return text;
  return text.replace(/("(?:\\.|[^"\\])*")(\s*:)?|\b(true|false|null)\b|(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)/g, (match, string?: string, colon?: string, literal?: string, number?: string) => {
    if (string !== undefined) return colon !== undefined ? `${style.key(string)}${colon}` : style.string(string);
    if (literal !== undefined) return style.literal(literal);
    if (number !== undefined) return style.number(number);
    return match;
  });
}

/**
 * Formats a stream of records: `yaml` as v1 (`yaml.dump([item])` plus a blank line per item), `jsonl` one object per
 * line, `json` one array (opened by the first item, closed by {@link Formatter.end}).
 */
export interface Formatter {
  item(record: JsonObject): string;
  end(): string;
}

export function formatter(format: LsFormat, style: Palette): Formatter {
  let count = 0;
  switch (format) {
    case "yaml":
      return { item: (record) => `${dumpYaml([forYaml(record)], { palette: style })}\n`, end: () => "" };
    case "jsonl":
      return { item: (record) => `${colorJson(stringifyJson(record), style)}\n`, end: () => "" };
    case "json":
      return {
        item: (record) => `${count++ === 0 ? "[\n" : ",\n"}${prettyJson(record, style, "  ")}`,
        end: () => (count === 0 ? "[]\n" : "\n]\n"),
      };
  }
}

/** Pretty JSON (2 spaces) of a value with lossless numbers, each line prefixed with `indent`. */
export function prettyJson(value: unknown, style: Palette, indent = ""): string {
  const text = stringify(value, undefined, 2);
  if (text === undefined) throw new TypeError("value cannot be serialized to JSON");
  return colorJson(text, style).split("\n").map((line) => indent + line).join("\n");
}
