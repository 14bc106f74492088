/**
 * Datetimes on v2's wire: RFC 3339 in UTC with a `Z`, as labtasker 2.8.0's server writes them (pydantic's form):
 * six fractional digits (`2026-12-06T19:04:35.120000Z`), none when the fraction is zero (`2026-12-06T19:04:35Z`).
 * Our records keep milliseconds, so the last three digits are always zeros.
 */
export function formatV2Time(date: Date): string {
  const iso = date.toISOString(); // 2026-12-06T19:04:35.120Z
  const millis = iso.slice(20, 23);
  return millis === "000" ? `${iso.slice(0, 19)}Z` : `${iso.slice(0, 19)}.${millis}000Z`;
}

export function formatV2TimeOrNull(date: Date | null): string | null {
  return date === null ? null : formatV2Time(date);
}
