/**
 * Datetimes as labtasker v1 writes them: naive ISO 8601 in UTC with microseconds, and the fraction left out when it
 * is zero (pydantic's form: "2025-02-23T11:41:41.908000", "2025-02-23T11:41:41"). Stored times have millisecond
 * precision, as MongoDB keeps them.
 */
export function formatNaiveIso(date: Date): string {
  const iso = date.toISOString(); // 2025-02-23T11:41:41.908Z
  const ms = iso.slice(20, 23);
  const seconds = iso.slice(0, 19);
  return ms === "000" ? seconds : `${seconds}.${ms}000`;
}

/** Milliseconds since the epoch as a Date, or null for an absent value. */
export function dateFromMs(ms: string | number | undefined | null): Date | null {
  if (ms === undefined || ms === null || ms === "") return null;
  return new Date(Number(ms));
}
