/**
 * `date("...")` in filters: human dates parsed with chrono-node the way labtasker v1 parses them with
 * `dateparser`: relative forms ("3 hours ago", "yesterday", "10 sec ago") count back from now, absolute forms
 * ("2025/7/25 23:41", "Jul 28 11:25", "7/25 23:33") without a zone are local time, an explicit zone ("... UTC",
 * "+0200") is honoured, and the result is an absolute instant (sent to the server in UTC).
 */
import * as chrono from "chrono-node";

/** Tags chrono puts on results counted from the reference time ("3 hours ago", "yesterday", "today"). */
function isRelative(tags: Set<string>): boolean {
  for (const tag of tags) {
    if (tag.startsWith("result/relativeDate") || tag.startsWith("casualReference/")) return true;
  }
  return false;
}

/**
 * The instant a human date names, relative to `now`; undefined when the text is not a date as a whole
 * (chrono finds dates inside longer text; a filter must not silently use half of what the user wrote).
 */
export function parseHumanDate(text: string, now: Date): Date | undefined {
  const trimmed = text.trim();
  if (trimmed === "") return undefined;
  const results = chrono.parse(trimmed, now);
  const [result] = results;
  if (result === undefined || results.length !== 1) return undefined;
  const leftover = trimmed.slice(0, result.index) + trimmed.slice(result.index + result.text.length);
  if (!/^[\s.,]*$/.test(leftover)) return undefined;

  const start = result.start;
  if (start.isCertain("hour") || isRelative(start.tags())) return start.date();
  // A calendar date without a time: dateparser gives midnight, chrono gives noon. Keep v1's midnight.
  const year = start.get("year");
  const month = start.get("month");
  const day = start.get("day");
  if (year === null || month === null || day === null) return start.date();
  if (start.isCertain("timezoneOffset")) {
    const offsetMinutes = start.get("timezoneOffset") ?? 0;
    return new Date(Date.UTC(year, month - 1, day) - offsetMinutes * 60_000);
  }
  return new Date(year, month - 1, day);
}
