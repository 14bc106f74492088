/** Turning task documents into text. Everything shown from a task goes through here and into text nodes only. */

export const TASK_STATUSES = ["pending", "running", "success", "failed", "cancelled"] as const;

/** The value at a dotted path (`args.lr`, `summary.acc`, `metadata.tags.0`). */
export function valueAt(document: unknown, path: string): unknown {
  let value: unknown = document;
  for (const segment of path.split(".")) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

/** A value as one line of text: strings as they are, everything else as JSON. */
export function cellText(value: unknown): string {
  if (value === undefined) return "";
  if (value === null) return "null";
  if (typeof value === "string") return value;
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
  return JSON.stringify(value);
}

export function jsonText(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

/** Server dates are ISO text (naive ones mean UTC, as v1 writes them). */
export function parseDate(text: string | null | undefined): Date | null {
  if (!text) return null;
  const date = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text}Z`);
  return Number.isNaN(date.getTime()) ? null : date;
}

export function dateText(text: string | null | undefined): string {
  const date = parseDate(text);
  if (date === null) return "";
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

export function durationText(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "—";
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

export const numberText = (n: number) => n.toLocaleString("en-US");

/** Terminal colour and cursor codes, which a log shows as text would only clutter. */
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007]*\u0007/g;

export function logText(base64: string): string {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return new TextDecoder("utf-8").decode(bytes).replace(ANSI, "");
}
