import { useEffect, useRef, useState } from "preact/hooks";
import { api, ApiError, type FilterErrorInfo } from "../api.js";
import { TASK_STATUSES } from "../format.js";

export type Compiled =
  | { state: "pending" }
  | { state: "ok"; extraFilter: Record<string, unknown> | null }
  | { state: "error"; message: string; error: FilterErrorInfo | null };

const compiledCache = new Map<string, Promise<Compiled>>();

/** The filter's text compiled by the server (the CLI's language: Python syntax, Mongo documents, date(), regex()). */
export function compileFilterText(text: string): Promise<Compiled> {
  let compiled = compiledCache.get(text);
  // Relative dates (`date("1 hour ago")`) are fixed when compiled: a cached document is good for a minute.
  if (compiled === undefined) {
    compiled = api.post<{ extra_filter: Record<string, unknown> | null }>("/dashboard/api/filter", { filter: text }).then(
      (answer): Compiled => ({ state: "ok", extraFilter: answer.extra_filter }),
      (error: unknown): Compiled => {
        compiledCache.delete(text);
        if (error instanceof ApiError && error.status === 400) {
          const info = (error.body.filter_error ?? null) as FilterErrorInfo | null;
          return { state: "error", message: info?.message ?? error.message, error: info };
        }
        return { state: "error", message: (error as Error).message, error: null };
      },
    );
    compiledCache.set(text, compiled);
    setTimeout(() => compiledCache.delete(text), 60_000);
  }
  return compiled;
}

export function useCompiledFilter(text: string): Compiled {
  const [compiled, setCompiled] = useState<Compiled>({ state: "pending" });
  useEffect(() => {
    let current = true;
    setCompiled({ state: "pending" });
    void compileFilterText(text).then((result) => current && setCompiled(result));
    return () => {
      current = false;
    };
  }, [text]);
  return compiled;
}

/** The line of the filter with a caret under the error's column. */
function caretLines(text: string, error: FilterErrorInfo): [string, string] | null {
  if (error.offset === null) return null;
  const lineStart = text.lastIndexOf("\n", error.offset - 1) + 1;
  const lineEnd = text.indexOf("\n", error.offset);
  const line = text.slice(lineStart, lineEnd < 0 ? undefined : lineEnd);
  return [line, `${" ".repeat(Math.max(0, error.offset - lineStart))}^`];
}

interface Props {
  status: string;
  filter: string;
  compiled: Compiled;
  onApply: (patch: { status?: string; filter?: string }) => void;
}

/** The status and the filter of a view; the filter applies on Enter, and a bad one shows where it is wrong. */
export function FilterBox({ status, filter, compiled, onApply }: Props) {
  const [text, setText] = useState(filter);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => setText(filter), [filter]);

  // Put the cursor where the error is, so the fix is one keystroke away.
  useEffect(() => {
    if (compiled.state === "error" && compiled.error?.offset != null && input.current && document.activeElement === input.current) {
      input.current.setSelectionRange(compiled.error.offset, compiled.error.offset);
    }
  }, [compiled]);

  const caret = compiled.state === "error" && compiled.error ? caretLines(filter, compiled.error) : null;
  return (
    <div class="toolbar">
      <label>
        <span class="sr-only">Status</span>
        <select aria-label="Status" value={status} onChange={(e) => onApply({ status: e.currentTarget.value })}>
          <option value="">every status</option>
          {TASK_STATUSES.map((s) => (
            <option key={s} value={s}>{s}</option>
          ))}
        </select>
      </label>
      <form
        class="filterbox"
        role="search"
        onSubmit={(event) => {
          event.preventDefault();
          onApply({ filter: text.trim() === "" ? "" : text });
        }}
      >
        <input
          id="filter-input"
          ref={input}
          aria-label="Filter"
          aria-invalid={compiled.state === "error"}
          aria-describedby="filter-error"
          placeholder={'filter, as in the CLI: args.lr > 0.01 and summary.acc >= 0.9   (press / to focus, Enter to apply)'}
          value={text}
          spellcheck={false}
          autoComplete="off"
          onInput={(e) => setText(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === "Escape") {
              setText(filter);
              e.currentTarget.blur();
            }
          }}
        />
        <div id="filter-error" aria-live="polite">
          {compiled.state === "error" && (
            <>
              {caret && (
                <pre class="caret-line" data-filter-caret>
                  {caret[0]}
                  {"\n"}
                  {caret[1]}
                </pre>
              )}
              <div class="error-text" data-filter-error>
                {compiled.error?.column != null ? `Column ${compiled.error.column}: ` : ""}
                {compiled.error?.path ? `at ${compiled.error.path}: ` : ""}
                {compiled.message}
              </div>
            </>
          )}
        </div>
      </form>
      <button type="button" onClick={() => onApply({ filter: text.trim() === "" ? "" : text })}>Apply</button>
      {filter && (
        <button type="button" onClick={() => onApply({ filter: "" })}>Clear</button>
      )}
    </div>
  );
}
