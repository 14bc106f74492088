/**
 * Errors of the filter language. Every error says where it is: a line and column in the source text for the
 * Python syntax, Python literals and JSONata, or a path such as `$and.1.age.$gt` inside a Mongo query document,
 * which has no text to point into. `message` is the bare explanation (as labtasker v1's exceptions carry it);
 * {@link FilterError.format} renders the source line with a caret under the column, the way v1 prints it to stderr.
 */

/** Where an error is: a position in `text`, or a path in a Mongo document. */
export interface FilterErrorLocation {
  /** The whole source text the position refers to. */
  text?: string;
  /** 0-based offset into `text`; line and column are derived from it when not given. */
  offset?: number;
  /** Dotted location inside a Mongo query document, e.g. `$and.1.age.$gt`. */
  path?: string;
}

/** A filter that cannot be compiled or evaluated; match it with `instanceof`, never on the message. */
export class FilterError extends Error {
  /** The source text, when the filter was text. */
  readonly text: string | undefined;
  /** 1-based line of the error in `text`. */
  readonly line: number | undefined;
  /** 1-based column of the error in its line (counted in UTF-16 code units, as JavaScript strings are). */
  readonly column: number | undefined;
  /** 0-based offset of the error in `text`. */
  readonly offset: number | undefined;
  /** Where in a Mongo query document the error is, when the filter was a document. */
  readonly path: string | undefined;

  constructor(message: string, location: FilterErrorLocation = {}) {
    super(message);
    this.name = new.target.name;
    this.text = location.text;
    this.path = location.path;
    if (location.text !== undefined) {
      const offset = Math.max(0, Math.min(location.offset ?? 0, location.text.length));
      const before = location.text.slice(0, offset);
      const lineStart = before.lastIndexOf("\n") + 1;
      this.offset = offset;
      this.line = before.split("\n").length;
      this.column = offset - lineStart + 1;
    } else {
      this.offset = undefined;
      this.line = undefined;
      this.column = undefined;
    }
  }

  /** The message with its location: the offending line with a caret under the column, or the document path. */
  format(): string {
    return formatFilterError(this);
  }
}

/** Text that is not valid Python syntax (v1's `QueryTranspilerSyntaxError`). */
export class FilterSyntaxError extends FilterError {}

/** A Python literal (`--args`, `--metadata`, `-u k=v` values, dict filters) that `ast.literal_eval` would refuse. */
export class PythonLiteralError extends FilterError {}

/** Characters of context shown on each side of the caret (v1 shows 50). */
const CONTEXT = 50;

/**
 * Renders an error for a terminal. For text errors it imitates v1's layout: a title with line and column, the
 * line (cut to 50 characters around the column, with `...` where cut) and a caret under the column.
 */
export function formatFilterError(error: FilterError): string {
  if (error.text === undefined || error.line === undefined || error.column === undefined) {
    return error.path !== undefined && error.path !== ""
      ? `Error in filter at ${error.path}:\nError: ${error.message}`
      : `Error: ${error.message}`;
  }
  const sourceLine = error.text.split("\n")[error.line - 1] ?? "";
  const column = error.column - 1;
  const start = Math.max(0, column - CONTEXT);
  const end = Math.min(sourceLine.length, column + CONTEXT + 1);
  const prefix = start > 0 ? "..." : "";
  const suffix = end < sourceLine.length ? "..." : "";
  const context = `${prefix}${sourceLine.slice(start, end)}${suffix}`;
  const header = "Err context: ";
  const pointer = " ".repeat(header.length + column - start + prefix.length);
  return [
    `Error when parsing query at line ${error.line}, column ${error.column}:`,
    `${header}${context}`,
    `${pointer}^  <-- Error here (Column: ${error.column})`,
    `Error: ${error.message}${error.path !== undefined && error.path !== "" ? ` (at ${error.path})` : ""}`,
  ].join("\n");
}

/** Joins path segments of a Mongo document location (`["$and", 1, "age"]` -> `$and.1.age`). */
export function joinPath(segments: ReadonlyArray<string | number>): string {
  return segments.map(String).join(".");
}
