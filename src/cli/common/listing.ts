/**
 * Listing helpers shared by `task ls|update|count` and `worker ls`: `-f` filters compiled (and checked) before any
 * request, `-S` sorts, paging, and printing page by page. The pages themselves come from the SDK's
 * client (`iterTaskPages`, `iterWorkerPages`), read as {@link cliPaging} says.
 */
import type { IterateOptions } from "../../sdk/client.js";
import type { JsonObject } from "../../json.js";
import { UsageError } from "./errors.js";
import { formatter, type LsFormat } from "./output.js";
import { colorEnabled, note, pagerOutput, palette, stdoutOutput } from "./terminal.js";
import { PAGE } from "../../core/defaults.js";

/**
 * How the CLI reads a listing through the client: by offset from `--offset`, in the `-S` order or else the server's
 * (as v1's CLI pages), from one listing snapshot where the server keeps them, every item as the server sends it (no
 * set of the ids seen, so `task ls -q` over millions of tasks runs in constant memory). `--limit`, v1's page size,
 * does not shape the requests: every match is listed (as v1's CLI lists every page), 1,000 a request, the most a
 * server sends (`task ls -q` of 100,000 tasks takes a third less time than in requests of 100).
 */
export function cliPaging(offset = 0): Required<IterateOptions> {
  return { paging: "offset", pageSize: PAGE.maxLimit, offset, dropRepeats: false };
}

/** The output flags of an `ls` command. */
export interface ListingOutputOptions {
  quiet?: boolean;
  fmt: LsFormat;
  pager?: boolean;
  ansi?: boolean;
}

/** The flags of an `ls` command (`task ls`, `worker ls`): output, paging, sort and filter. */
export interface LsFlags extends ListingOutputOptions {
  /** v1's page size, accepted for its scripts; see {@link cliPaging}. */
  limit: number;
  offset: number;
  sort?: string[];
  extraFilter?: string;
  verbose?: boolean;
}

/** `-q` with `-v` is refused, as v1 (`task ls|update`, `worker ls`). */
export function refuseQuietWithVerbose(options: { quiet?: boolean; verbose?: boolean }): void {
  if (options.quiet && options.verbose) throw new UsageError("You can only specify one of the options --verbose and --quiet.");
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
