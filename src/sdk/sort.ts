/**
 * Sort orders as the SDK takes them: v1's `[[field, 1 | -1], ...]`, or the CLI's `field:asc|desc` text (one string,
 * a comma-separated list, or an array), so `sort: "summary.acc:desc"` reads as `-S summary.acc:desc` does.
 */
import type { SortSpec } from "../core/api.js";

/**
 * A sort order: `[["summary.acc", -1], ["created_at", 1]]`, `"summary.acc:desc"`, `"summary.acc:desc,created_at"`
 * or `["summary.acc:desc", "created_at:asc"]` (a field without a direction is ascending).
 */
export type SortInput = SortSpec | string | readonly string[];

const DIRECTIONS: Record<string, 1 | -1> = { asc: 1, ascending: 1, "1": 1, desc: -1, descending: -1, "-1": -1 };

/** The v1 form of a {@link SortInput}; throws `RangeError` for an unknown direction or an empty field. */
export function toSortSpec(input: SortInput | null | undefined): SortSpec | null {
  if (input == null) return null;
  if (typeof input === "string") return toSortSpec(input.split(",").map((part) => part.trim()).filter((part) => part !== ""));
  if (input.length === 0) return [];
  if (input.every((item) => typeof item === "string")) {
    return (input as readonly string[]).map((item) => {
      const colon = item.lastIndexOf(":");
      const field = (colon < 0 ? item : item.slice(0, colon)).trim();
      const direction = colon < 0 ? 1 : DIRECTIONS[item.slice(colon + 1).trim().toLowerCase()];
      if (field === "" || direction === undefined) throw new RangeError(`sort entry ${JSON.stringify(item)} is not "field", "field:asc" or "field:desc"`);
      return [field, direction];
    });
  }
  return input as SortSpec;
}
