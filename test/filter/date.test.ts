/**
 * `date()`: human dates read as labtasker v1 reads them with dateparser (relative forms count back from now,
 * times without a zone are local, explicit zones are honoured), sent as UTC markers; and the ISO markers of
 * the wire read as v1's server reads them (`datetime.fromisoformat`, naive = UTC).
 */
import { describe, expect, it } from "vitest";
import { compileFilter, parseHumanDate, parseIsoDatetime, pythonIsoformat } from "../../src/filter/index.js";
import { NOW, now } from "./helpers.js";

const HOUR = 3600_000;

describe("parseHumanDate", () => {
  it.each([
    ["3 hours ago", NOW.getTime() - 3 * HOUR],
    ["10 minutes ago", NOW.getTime() - 10 * 60_000],
    ["10 sec ago", NOW.getTime() - 10_000],
    ["1 day ago", NOW.getTime() - 24 * HOUR],
    ["yesterday", NOW.getTime() - 24 * HOUR],
    ["7 days ago", NOW.getTime() - 7 * 24 * HOUR],
    ["now", NOW.getTime()],
  ])("%s counts back from now", (text, expected) => {
    expect(parseHumanDate(text, NOW)?.getTime()).toBe(expected);
  });

  it.each([
    ["2025/7/25 23:41", new Date(2025, 6, 25, 23, 41)],
    ["Jul 28 11:25", new Date(2025, 6, 28, 11, 25)],
    ["7/25 23:33", new Date(2025, 6, 25, 23, 33)],
    ["2025-07-25", new Date(2025, 6, 25)],
    ["Jul 2 2025", new Date(2025, 6, 2)],
  ])("%s is local time (a date alone is midnight, as dateparser gives)", (text, expected) => {
    expect(parseHumanDate(text, NOW)?.toISOString()).toBe(expected.toISOString());
  });

  it.each([
    ["2025-07-25 15:41 UTC", "2025-07-25T15:41:00.000Z"],
    ["2025-07-25T15:41:00Z", "2025-07-25T15:41:00.000Z"],
    ["2025/7/25 23:41 +0200", "2025-07-25T21:41:00.000Z"],
    ["2025-07-25 UTC", "2025-07-25T00:00:00.000Z"],
  ])("%s honours its zone", (text, expected) => {
    expect(parseHumanDate(text, NOW)?.toISOString()).toBe(expected);
  });

  it.each(["", "garbage", "the day my cat sang", "foo 3 hours ago", "Jul 28 and Jul 29"])("%j is not a date", (text) => {
    expect(parseHumanDate(text, NOW)).toBeUndefined();
  });
});

describe("date() in filters", () => {
  it("sends the instant in UTC as v1's marker, with microseconds only when not zero", () => {
    expect(compileFilter("created_at > date('3 hours ago')", { now }).mongo).toEqual({ created_at: { $gt: { _dt: "2025-07-30T07:20:30+00:00" } } });
    const withMillis = () => new Date("2025-07-30T10:20:30.250Z");
    expect(compileFilter("created_at > date('1 day ago')", { now: withMillis }).mongo).toEqual({
      created_at: { $gt: { _dt: "2025-07-29T10:20:30.250000+00:00" } },
    });
  });

  it("is evaluated again at every compile (not cached), since its instant depends on the clock", () => {
    const first = compileFilter("created_at > date('1 hour ago')", { now: () => new Date("2025-01-01T12:00:00Z") });
    const second = compileFilter("created_at > date('1 hour ago')", { now: () => new Date("2025-01-02T12:00:00Z") });
    expect(first.mongo).not.toEqual(second.mongo);
    expect(first.test({ created_at: new Date("2025-01-01T11:30:00Z") })).toBe(true);
    expect(second.test({ created_at: new Date("2025-01-01T11:30:00Z") })).toBe(false);
  });

  it("uses the real clock by default", () => {
    const filter = compileFilter("created_at > date('1 minute ago')");
    expect(filter.test({ created_at: new Date() })).toBe(true);
    expect(filter.test({ created_at: new Date(Date.now() - 2 * 60_000) })).toBe(false);
  });
});

describe("wire datetimes", () => {
  it.each([
    ["2025-07-25T15:41:00+00:00", "2025-07-25T15:41:00.000Z"],
    ["2025-07-25T15:41:00.123456+00:00", "2025-07-25T15:41:00.123Z"],
    ["2025-07-25T15:41:00", "2025-07-25T15:41:00.000Z"],
    ["2025-07-25 15:41:00", "2025-07-25T15:41:00.000Z"],
    ["2025-07-25", "2025-07-25T00:00:00.000Z"],
    ["2025-07-25T17:41:00+02:00", "2025-07-25T15:41:00.000Z"],
    ["2025-07-25T10:11:00-05:30", "2025-07-25T15:41:00.000Z"],
    ["2025-07-25T15:41:00Z", "2025-07-25T15:41:00.000Z"],
    ["2025-07-25T15:41", "2025-07-25T15:41:00.000Z"],
  ])("%s is %s", (text, expected) => {
    expect(parseIsoDatetime(text)?.toISOString()).toBe(expected);
  });

  it.each(["2025-02-30", "2025-13-01", "yesterday", "2025-07-25T25:00", ""])("%j is not an ISO datetime", (text) => {
    expect(parseIsoDatetime(text)).toBeUndefined();
  });

  it("keeps a marker that fromisoformat would refuse as a plain document, as v1's server does", () => {
    const filter = compileFilter({ "metadata.x": { _dt: "not a date" } });
    expect(filter.test({ metadata: { x: { _dt: "not a date" } } })).toBe(true);
    expect(filter.test({ metadata: { x: new Date() } })).toBe(false);
  });

  it("turns Date objects given by code into markers on the wire", () => {
    const filter = compileFilter({ created_at: { $lt: new Date("2025-07-25T15:41:00Z") } });
    expect(filter.mongo).toEqual({ created_at: { $lt: { _dt: "2025-07-25T15:41:00+00:00" } } });
    expect(filter.test({ created_at: new Date("2025-07-01T00:00:00Z") })).toBe(true);
    expect(pythonIsoformat(new Date("2025-07-25T15:41:00Z"))).toBe("2025-07-25T15:41:00+00:00");
  });
});
