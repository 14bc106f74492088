/**
 * Listing helpers shared by `task ls|update|count` and `worker ls`: `-f` filters compiled (and checked) before any
 * request, `-S` sorts, `--limit` as a page size, and iteration over every page.
 */
import type { LsResult } from "../../core/api.js";
import type { JsonObject } from "../../json.js";
import { UsageError } from "./errors.js";
import { formatter, type LsFormat } from "./output.js";
import { colorEnabled, note, pagerOutput, palette, stdoutOutput } from "./terminal.js";
import { PAGE } from "../../core/defaults.js";

/** The server's page size limit (v1: 1..1000). */
export const MAX_PAGE_SIZE = PAGE.maxLimit;

/**
 * `--limit` as the page size of a listing that goes through every page anyway. Above 1000 (the seeds write
 * `--limit 10000` to "get everything", which v1 rejects) it is clamped to 1000: every match is still listed.
 */
export function pageSize(limit: number): number {
  return Math.min(limit, MAX_PAGE_SIZE);
}

/** Every item, page after page, from `offset` on; stops at the first short or empty page. */
export async function* allPages<T>(
  fetchPage: (page: { limit: number; offset: number }) => Promise<LsResult<T>>,
  limit: number,
  offset: number,
): AsyncGenerator<T[]> {
  for (let start = offset; ; start += limit) {
    const page = await fetchPage({ limit, offset: start });
    if (!page.found || page.content.length === 0) return;
    yield page.content;
    if (page.content.length < limit) return;
  }
}

/** The output flags of an `ls` command. */
export interface ListingOutputOptions {
  quiet?: boolean;
  fmt: LsFormat;
  pager?: boolean;
  ansi?: boolean;
}

/**
 * Prints a listing page by page: ids only with `--quiet`, else records in `--fmt` through the pager. The first page
 * is fetched before the pager starts, so an error is printed on its own, not inside the pager; an empty listing is
 * `[]` in JSON and nothing otherwise. Stops fetching once the reader closes the output (`| head`, quitting `less`).
 */
export async function printListing<T>(
  pages: AsyncIterator<T[]>,
  options: ListingOutputOptions,
  item: { id: (value: T) => string; record: (value: T) => JsonObject },
): Promise<void> {
  const first = await pages.next();
  if (first.done) {
    if (!options.quiet && options.fmt === "json") process.stdout.write("[]\n");
    return;
  }
  if (options.quiet) {
    const out = stdoutOutput();
    for (let page: IteratorResult<T[]> = first; !page.done && !out.closed; page = await pages.next()) {
      await out.write(page.value.map((value) => `${item.id(value)}\n`).join(""));
    }
    return;
  }
  const out = pagerOutput(options.pager !== false);
  const format = formatter(options.fmt, palette(colorEnabled(process.stdout, options.ansi)));
  try {
    for (let page: IteratorResult<T[]> = first; !page.done && !out.closed; page = await pages.next()) {
      await out.write(page.value.map((value) => format.item(item.record(value))).join(""));
    }
    await out.write(format.end());
  } finally {
    await out.end();
  }
}

/**
 * A `-f` filter compiled to the MongoDB query that goes to the API (the same document v1's client sends), checked
 * here so a typo fails before any request, with the caret under the column. `-v` prints the parsed filter.
 */
export async function compileExtraFilter(
  text: string | undefined,
  kind: "task" | "worker",
  verbose = false,
): Promise<Record<string, unknown> | undefined> {
  if (text === undefined) return undefined;
  const { compileFilter, WORKER_FILTER_FIELDS } = await import("../../filter/index.js");
  const compiled = compileFilter(text, kind === "worker" ? { fields: WORKER_FILTER_FIELDS } : {});
  if (verbose) {
    const { stringify } = await import("lossless-json");
    note(`Parsed filter: ${stringify(compiled.mongo, undefined, 4)}`);
  }
  return compiled.mongo;
}

/** `-S field:asc|desc` options as a sort spec; none gives `fallback` (undefined: the server's default order). */
export async function parseSorts(values: readonly string[], fallback?: Array<[string, 1 | -1]>): Promise<Array<[string, 1 | -1]> | undefined> {
  if (values.length === 0) return fallback;
  const [{ parseSortOption }, { FilterError }] = await Promise.all([import("../../filter/sort.js"), import("../../filter/errors.js")]);
  try {
    return values.map(parseSortOption);
  } catch (error) {
    if (error instanceof FilterError) throw new UsageError(`${error.message} (-S/--sort takes field:asc or field:desc)`);
    throw error;
  }
}
