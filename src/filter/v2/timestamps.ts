/**
 * RFC 3339 instants as v2 compares them: microseconds since the Unix epoch, the resolution labtasker 2.8.0 stores.
 *
 * A filter literal must be strict RFC 3339 with an offset (`2026-01-02T03:04:05.123456Z`, `...+02:00`): 2.8.0 first
 * matches a pattern (up to six fraction digits, `Z` or `+HH:MM`; its `\d` also takes other scripts' digits), then
 * asks Python's `datetime.fromisoformat`, whose refusals are a second message: a day past the month's end, an hour
 * of 24, a second of 60, an offset of 24 hours or more, year 0, an instant that leaves years 1..9999 once in UTC,
 * digits that are not ASCII. The offset's minutes are not range-checked there (`+00:99` is 99 minutes); so here.
 *
 * Instants are plain numbers of microseconds: exact from about 1685 to 2255 (within 2^53), to a few microseconds
 * beyond, which only a timestamp with a fraction that far away could notice.
 */

/** 2.8.0's pattern; `\p{Nd}` is Python's `\d` on text. */
const RFC3339 = /^(\p{Nd}{4})-(\p{Nd}{2})-(\p{Nd}{2})T(\p{Nd}{2}):(\p{Nd}{2}):(\p{Nd}{2})(?:\.(\p{Nd}{1,6}))?(Z|[+-]\p{Nd}{2}:\p{Nd}{2})$/u;
const ASCII_DIGITS = /^[0-9]+$/;

export const TIMESTAMP_NOT_STRICT = "Timestamp literal must be a strict RFC 3339 string.";
export const TIMESTAMP_NOT_VALID = "Timestamp literal must be a valid RFC 3339 time.";

/** Microseconds of 0001-01-01T00:00:00Z and of 10000-01-01T00:00:00Z: the range Python's datetime holds. */
const MIN_MICROS = daysFromCivil(1, 1, 1) * 86_400_000_000;
const END_MICROS = daysFromCivil(10000, 1, 1) * 86_400_000_000;

/**
 * The instant of a filter's timestamp literal, in microseconds; throws an Error whose message is 2.8.0's
 * ({@link TIMESTAMP_NOT_STRICT} or {@link TIMESTAMP_NOT_VALID}).
 */
export function parseTimestampLiteral(text: string): number {
  const match = RFC3339.exec(text);
  if (match === null) throw new Error(TIMESTAMP_NOT_STRICT);
  const micros = instantOf(match);
  if (micros === undefined) throw new Error(TIMESTAMP_NOT_VALID);
  return micros;
}

/**
 * The instant of a document's timestamp (an RFC 3339 string as v2 writes it, or a Date), in microseconds;
 * `undefined` for anything else, which then compares with nothing.
 */
export function timestampMicros(value: unknown): number | undefined {
  if (typeof value === "string") {
    const match = RFC3339.exec(value);
    return match === null ? undefined : instantOf(match);
  }
  if (value instanceof Date) {
    const ms = value.getTime();
    return Number.isNaN(ms) ? undefined : ms * 1000;
  }
  return undefined;
}

function instantOf(match: RegExpExecArray): number | undefined {
  const [, yearText, monthText, dayText, hourText, minuteText, secondText, fractionText, offsetText] = match as unknown as string[];
  const parts = [yearText, monthText, dayText, hourText, minuteText, secondText, fractionText ?? "0", offsetText === "Z" ? "00" : offsetText?.slice(1)];
  if (!parts.every((part) => part === undefined || ASCII_DIGITS.test(part.replace(":", "")))) return undefined;
  const year = Number(yearText);
  const month = Number(monthText);
  const day = Number(dayText);
  const hour = Number(hourText);
  const minute = Number(minuteText);
  const second = Number(secondText);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let offsetMinutes = 0;
  if (offsetText !== undefined && offsetText !== "Z") {
    const total = Number(offsetText.slice(1, 3)) * 60 + Number(offsetText.slice(4, 6));
    if (total >= 24 * 60) return undefined;
    offsetMinutes = offsetText.startsWith("-") ? -total : total;
  }
  const fraction = Number((fractionText ?? "").padEnd(6, "0"));
  const seconds = daysFromCivil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offsetMinutes * 60;
  const micros = seconds * 1_000_000 + fraction;
  // Python converts to UTC inside its datetime range: an offset that carries the instant out of it overflows.
  if (micros < MIN_MICROS || micros >= END_MICROS) return undefined;
  return micros;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  return month === 2 ? (isLeapYear(year) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm; `Date.UTC` maps years 0..99 to 19xx). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}
