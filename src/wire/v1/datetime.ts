/** Datetimes on v1's wire: naive ISO 8601 meaning UTC (`2025-02-23T11:41:41.908000`), see src/time.ts. */
import { formatNaiveIso } from "../../time.js";

export function formatWireDate(date: Date | null): string | null {
  return date === null ? null : formatNaiveIso(date);
}

/** v1 sends naive ISO datetimes meaning UTC; offsets are honoured when present. Null for anything else. */
export function parseWireDate(value: unknown): Date | null {
  if (typeof value !== "string" || value === "") return null;
  const hasZone = /(Z|[+-]\d\d:?\d\d)$/.test(value);
  return new Date(hasZone ? value : `${value}Z`);
}
