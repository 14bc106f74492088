import type { RefObject } from "preact";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { api, type TaskDoc } from "../api.js";
import { cellText, numberText } from "../format.js";
import type { View } from "../view.js";
import { FilterBox, useCompiledFilter } from "./FilterBox.js";
import { PALETTE, cssColor, prepareCanvas, rampColor, tickText, ticks } from "./canvas.js";

/** The element's width, followed as it is resized: each plot redraws for it. */
function useWidth(ref: RefObject<HTMLElement>): number {
  const [width, setWidth] = useState(0);
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    const observer = new ResizeObserver(() => setWidth(element.clientWidth));
    observer.observe(element);
    return () => observer.disconnect();
  }, [ref]);
  return width;
}

/** Points asked for at most: the plots draw this many without stutter (a canvas, one pass, no DOM per point). */
const MAX_POINTS = 10_000;
/** Tasks sampled to find which fields the args and summaries hold. */
const SAMPLE = 300;

interface PointsDoc {
  total: number;
  fields: string[];
  points: unknown[][];
  truncated: boolean;
}

/** One axis: numbers, or categories placed at 0, 1, 2, ... */
interface Axis {
  field: string;
  categories: string[] | null;
  min: number;
  max: number;
  log: boolean;
}

function leafPaths(value: unknown, prefix: string, out: Map<string, "number" | "text">, depth = 0): void {
  if (value !== null && typeof value === "object" && !Array.isArray(value) && depth < 3) {
    for (const [key, child] of Object.entries(value)) leafPaths(child, `${prefix}.${key}`, out, depth + 1);
    return;
  }
  if (typeof value === "number") {
    if (!out.has(prefix)) out.set(prefix, "number");
  } else if (typeof value === "string" || typeof value === "boolean") {
    out.set(prefix, "text");
  }
}

/** The value of a point as a position on its axis, or null when it has none. */
function position(value: unknown, axis: Axis): number | null {
  if (axis.categories !== null) {
    const index = axis.categories.indexOf(cellText(value));
    return index < 0 ? null : index;
  }
  if (typeof value !== "number" || !Number.isFinite(value)) return null;
  if (axis.log) return value > 0 ? Math.log10(value) : null;
  return value;
}

function axisOf(field: string, values: unknown[], wantLog: boolean): Axis {
  const numeric = values.filter((v): v is number => typeof v === "number" && Number.isFinite(v));
  const present = values.filter((v) => v !== null && v !== undefined);
  if (present.length > 0 && numeric.length === present.length) {
    const log = wantLog && numeric.every((v) => v > 0);
    const mapped = log ? numeric.map(Math.log10) : numeric;
    let min = Infinity;
    let max = -Infinity;
    for (const v of mapped) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    if (min === max) {
      min -= 0.5;
      max += 0.5;
    }
    return { field, categories: null, min, max, log };
  }
  const categories = [...new Set(present.map(cellText))].sort();
  return { field, categories, min: -0.5, max: Math.max(0.5, categories.length - 0.5), log: false };
}

function useFieldCatalog(selection: { status: string; extraFilter: Record<string, unknown> | null } | null) {
  const [fields, setFields] = useState<Map<string, "number" | "text">>(new Map());
  const key = JSON.stringify(selection);
  useEffect(() => {
    if (selection === null) return;
    let current = true;
    api
      .post<{ content: TaskDoc[] }>("/dashboard/api/tasks/page", { status: selection.status || null, extra_filter: selection.extraFilter, limit: SAMPLE })
      .then((page) => {
        if (!current) return;
        const found = new Map<string, "number" | "text">();
        for (const task of page.content) {
          leafPaths(task.args, "args", found);
          leafPaths(task.summary, "summary", found);
        }
        found.delete("summary.labtasker_exception.traceback");
        setFields(found);
      })
      .catch(() => undefined);
    return () => {
      current = false;
    };
  }, [key]);
  return fields;
}

function usePoints(selection: { status: string; extraFilter: Record<string, unknown> | null } | null, fields: string[]) {
  const [state, setState] = useState<{ loading: boolean; error: string; doc: PointsDoc | null }>({ loading: false, error: "", doc: null });
  const key = JSON.stringify([selection, fields]);
  useEffect(() => {
    if (selection === null || fields.length === 0 || fields.some((f) => !f)) {
      setState({ loading: false, error: "", doc: null });
      return;
    }
    let current = true;
    setState((s) => ({ ...s, loading: true }));
    api
      .post<PointsDoc>("/dashboard/api/tasks/points", { status: selection.status || null, extra_filter: selection.extraFilter, fields, limit: MAX_POINTS })
      .then(
        (doc) => current && setState({ loading: false, error: "", doc }),
        (error: unknown) => current && setState({ loading: false, error: (error as Error).message, doc: null }),
      );
    return () => {
      current = false;
    };
  }, [key]);
  return state;
}

export function Plots({ view, setView }: { view: View; setView: (patch: Partial<View>, mode?: "push" | "replace") => void }) {
  const compiled = useCompiledFilter(view.filter);
  const selection = compiled.state === "ok" ? { status: view.status, extraFilter: compiled.extraFilter } : null;
  const catalog = useFieldCatalog(selection);
  const [logX, setLogX] = useState(false);
  const argFields = [...catalog.keys()].filter((f) => f.startsWith("args.")).sort();
  const metricFields = [...catalog.entries()].filter(([f, kind]) => f.startsWith("summary.") && kind === "number").map(([f]) => f).sort();

  // Defaults: the first metric, the first argument, and every argument as an axis.
  const y = view.y || metricFields[0] || "";
  const x = view.x || argFields.find((f) => catalog.get(f) === "number") || argFields[0] || "";
  const axes = view.axes.length > 0 ? view.axes : argFields.slice(0, 8);

  const select = (label: string, value: string, options: string[], onChange: (value: string) => void, allowNone = false) => (
    <label>
      {label}
      <select value={value} onChange={(e) => onChange(e.currentTarget.value)} aria-label={label}>
        {allowNone && <option value="">(none)</option>}
        {value && !options.includes(value) && <option value={value}>{value}</option>}
        {options.map((o) => (
          <option key={o} value={o}>{o}</option>
        ))}
      </select>
    </label>
  );

  return (
    <div class="plots">
      <FilterBox status={view.status} filter={view.filter} compiled={compiled} onApply={(patch) => setView(patch)} />
      {catalog.size === 0 && compiled.state === "ok" && <p class="empty">No task with args or a summary matches: nothing to plot yet.</p>}
      <section class="panel" aria-label="Scatter plot">
        <h2>Scatter: a metric against an argument</h2>
        <div class="plot-controls">
          {select("metric (y)", y, metricFields, (v) => setView({ y: v }, "replace"))}
          {select("argument (x)", x, argFields, (v) => setView({ x: v }, "replace"))}
          {select("colour by", view.color, argFields.filter((f) => f !== x), (v) => setView({ color: v }, "replace"), true)}
          <label>
            log x <input type="checkbox" checked={logX} onChange={(e) => setLogX(e.currentTarget.checked)} />
          </label>
        </div>
        <Scatter selection={selection} x={x} y={y} color={view.color} logX={logX} onOpen={(task) => setView({ task })} />
      </section>
      <section class="panel" aria-label="Parallel coordinates">
        <h2>Parallel coordinates: arguments → metric</h2>
        <div class="chips">
          <span class="muted">axes:</span>
          {argFields.map((f) => (
            <label class="chip" key={f}>
              <input
                type="checkbox"
                checked={axes.includes(f)}
                onChange={(e) => setView({ axes: e.currentTarget.checked ? [...axes, f] : axes.filter((a) => a !== f) }, "replace")}
              />
              <span class="mono">{f}</span>
            </label>
          ))}
        </div>
        <Parallel selection={selection} axes={axes} metric={y} onOpen={(task) => setView({ task })} />
      </section>
    </div>
  );
}

interface PlotProps {
  selection: { status: string; extraFilter: Record<string, unknown> | null } | null;
  onOpen: (taskId: string) => void;
}

interface Hover {
  left: number;
  top: number;
  text: string;
}

function tooltipText(row: unknown[], fields: string[]): string {
  return [`task ${String(row[0])} (${String(row[1])})`, ...fields.map((f, i) => `${f} = ${cellText(row[i + 2])}`)].join("\n");
}

function Scatter({ selection, x, y, color, logX, onOpen }: PlotProps & { x: string; y: string; color: string; logX: boolean }) {
  const fields = useMemo(() => (color ? [x, y, color] : [x, y]), [x, y, color]);
  const { loading, error, doc } = usePoints(selection, fields);
  const canvas = useRef<HTMLCanvasElement>(null);
  const [hover, setHover] = useState<Hover | null>(null);
  const size = useWidth(canvas);
  const drawn = useRef<{ px: Float32Array; py: Float32Array; rows: unknown[][] }>({ px: new Float32Array(0), py: new Float32Array(0), rows: [] });
  const [legend, setLegend] = useState<Array<[string, string]>>([]);
  const [count, setCount] = useState(0);

  useEffect(() => {
    const element = canvas.current;
    if (!element) return;
    const { ctx, width, height } = prepareCanvas(element, 380);
    const pad = { left: 56, right: 16, top: 12, bottom: 36 };
    if (!doc) {
      drawn.current = { px: new Float32Array(0), py: new Float32Array(0), rows: [] };
      setCount(0);
      return;
    }
    const xAxis = axisOf(x, doc.points.map((p) => p[2]), logX);
    const yAxis = axisOf(y, doc.points.map((p) => p[3]), false);
    const colorAxis = color ? axisOf(color, doc.points.map((p) => p[4]), false) : null;
    const sx = (v: number) => pad.left + ((v - xAxis.min) / (xAxis.max - xAxis.min)) * (width - pad.left - pad.right);
    const sy = (v: number) => height - pad.bottom - ((v - yAxis.min) / (yAxis.max - yAxis.min)) * (height - pad.top - pad.bottom);

    drawAxes(ctx, element, xAxis, "x", sx, pad, width, height);
    drawAxes(ctx, element, yAxis, "y", sy, pad, width, height);

    const rows: unknown[][] = [];
    const px: number[] = [];
    const py: number[] = [];
    const colorOf = (row: unknown[]): string => {
      if (!colorAxis) return cssColor(element, "--accent");
      const at = position(row[4], colorAxis);
      if (at === null) return "#999";
      return colorAxis.categories ? PALETTE[at % PALETTE.length]! : rampColor((at - colorAxis.min) / (colorAxis.max - colorAxis.min));
    };
    // One fillStyle change per colour, not per point: group first, then draw.
    const groups = new Map<string, number[]>();
    for (const row of doc.points) {
      const vx = position(row[2], xAxis);
      const vy = position(row[3], yAxis);
      if (vx === null || vy === null) continue;
      const jitter = xAxis.categories ? (((rows.length * 7919) % 100) / 100 - 0.5) * 0.5 : 0;
      const cx = sx(vx + jitter);
      const cy = sy(vy);
      rows.push(row);
      px.push(cx);
      py.push(cy);
      const fill = colorOf(row);
      let group = groups.get(fill);
      if (!group) groups.set(fill, (group = []));
      group.push(px.length - 1);
    }
    ctx.globalAlpha = 0.75;
    for (const [fill, members] of groups) {
      ctx.fillStyle = fill;
      ctx.beginPath();
      for (const i of members) {
        ctx.moveTo(px[i]! + 3, py[i]!);
        ctx.arc(px[i]!, py[i]!, 3, 0, Math.PI * 2);
      }
      ctx.fill();
    }
    ctx.globalAlpha = 1;
    drawn.current = { px: Float32Array.from(px), py: Float32Array.from(py), rows };
    setCount(rows.length);
    if (colorAxis?.categories) setLegend(colorAxis.categories.slice(0, 20).map((c, i) => [c, PALETTE[i % PALETTE.length]!]));
    else if (colorAxis) setLegend([[`${color} ${tickText(colorAxis.min)}`, rampColor(0)], [`${tickText(colorAxis.max)}`, rampColor(1)]]);
    else setLegend([]);
  }, [doc, size, logX]);

  const nearest = (event: MouseEvent): number => {
    const rect = canvas.current!.getBoundingClientRect();
    const mx = event.clientX - rect.left;
    const my = event.clientY - rect.top;
    const { px, py } = drawn.current;
    let best = -1;
    let bestDistance = 64; // within 8 px
    for (let i = 0; i < px.length; i++) {
      const d = (px[i]! - mx) ** 2 + (py[i]! - my) ** 2;
      if (d < bestDistance) {
        bestDistance = d;
        best = i;
      }
    }
    return best;
  };

  return (
    <div>
      <div class="plot">
        <canvas
          ref={canvas}
          data-plot="scatter"
          data-points={count}
          role="img"
          aria-label={`Scatter of ${y} against ${x}: ${count} tasks`}
          onMouseMove={(event) => {
            const i = nearest(event);
            const row = drawn.current.rows[i];
            setHover(row ? { left: drawn.current.px[i]! + 12, top: drawn.current.py[i]! + 12, text: tooltipText(row, fields) } : null);
          }}
          onMouseLeave={() => setHover(null)}
          onClick={(event) => {
            const row = drawn.current.rows[nearest(event)];
            if (row) onOpen(String(row[0]));
          }}
          style={{ cursor: hover ? "pointer" : "default" }}
        />
        {hover && (
          <div class="tooltip" style={{ left: `${hover.left}px`, top: `${hover.top}px` }} data-tooltip>
            {hover.text}
          </div>
        )}
        {legend.length > 0 && (
          <div class="color-legend">
            {legend.map(([label, fill]) => (
              <span key={label}>
                <i style={{ background: fill }} />
                {label}
              </span>
            ))}
          </div>
        )}
      </div>
      <PlotStatus loading={loading} error={error} doc={doc} count={count} missing={!x || !y ? "Choose a metric and an argument (no summary metric found in the matching tasks yet?)." : ""} />
    </div>
  );
}

function PlotStatus({ loading, error, doc, count, missing }: { loading: boolean; error: string; doc: PointsDoc | null; count: number; missing: string }) {
  if (missing) return <p class="muted">{missing}</p>;
  if (error) return <p class="error-text" role="alert">{error}</p>;
  if (loading) return <p class="muted" role="status">loading points…</p>;
  if (!doc) return null;
  const left = doc.points.length - count;
  return (
    <p class="muted" data-plot-status>
      {numberText(count)} tasks drawn
      {left > 0 ? `; ${numberText(left)} without a value on every axis left out` : ""}
      {doc.truncated ? `; the first ${numberText(doc.points.length)} of ${numberText(doc.total)} matching tasks` : ""}.
    </p>
  );
}

function drawAxes(
  ctx: CanvasRenderingContext2D,
  element: HTMLCanvasElement,
  axis: Axis,
  which: "x" | "y",
  scale: (v: number) => number,
  pad: { left: number; right: number; top: number; bottom: number },
  width: number,
  height: number,
): void {
  ctx.strokeStyle = cssColor(element, "--border");
  ctx.fillStyle = cssColor(element, "--fg-soft");
  ctx.font = "11px system-ui";
  ctx.lineWidth = 1;
  const marks: Array<[number, string]> = axis.categories
    ? axis.categories.slice(0, 30).map((c, i) => [i, c.length > 14 ? `${c.slice(0, 13)}…` : c])
    : ticks(axis.min, axis.max).map((t) => [t, tickText(axis.log ? 10 ** t : t)]);
  ctx.beginPath();
  for (const [value, label] of marks) {
    const at = scale(value);
    if (which === "x") {
      ctx.moveTo(at, pad.top);
      ctx.lineTo(at, height - pad.bottom);
      ctx.fillText(label, at - ctx.measureText(label).width / 2, height - pad.bottom + 14);
    } else {
      ctx.moveTo(pad.left, at);
      ctx.lineTo(width - pad.right, at);
      ctx.fillText(label, pad.left - 6 - ctx.measureText(label).width, at + 4);
    }
  }
  ctx.globalAlpha = 0.5;
  ctx.stroke();
  ctx.globalAlpha = 1;
  const title = axis.field + (axis.log ? " (log)" : "");
  if (which === "x") ctx.fillText(title, width - pad.right - ctx.measureText(title).width, height - 4);
  else ctx.fillText(title, 4, pad.top + 2);
}

function Parallel({ selection, axes, metric, onOpen }: PlotProps & { axes: string[]; metric: string }) {
  const fields = useMemo(() => (metric ? [...axes, metric] : axes), [axes, metric]);
  const { loading, error, doc } = usePoints(selection, fields);
  const canvas = useRef<HTMLCanvasElement>(null);
  const size = useWidth(canvas);
  const [hover, setHover] = useState<Hover | null>(null);
  const [count, setCount] = useState(0);
  const drawn = useRef<{ xs: number[]; ys: Float32Array[]; rows: unknown[][] }>({ xs: [], ys: [], rows: [] });

  useEffect(() => {
    const element = canvas.current;
    if (!element) return;
    const { ctx, width, height } = prepareCanvas(element, 360);
    drawn.current = { xs: [], ys: [], rows: [] };
    if (!doc || fields.length < 2) {
      setCount(0);
      return;
    }
    const pad = { left: 60, right: 60, top: 24, bottom: 24 };
    const axisList = fields.map((field, i) => axisOf(field, doc.points.map((p) => p[i + 2]), false));
    const xs = axisList.map((_, i) => pad.left + (i / (axisList.length - 1)) * (width - pad.left - pad.right));
    const sy = (axis: Axis, v: number) => height - pad.bottom - ((v - axis.min) / (axis.max - axis.min)) * (height - pad.top - pad.bottom);
    const rows: unknown[][] = [];
    const ys = axisList.map(() => [] as number[]);
    const metricAxis = axisList[axisList.length - 1]!;
    const buckets = new Map<number, number[]>();
    for (const row of doc.points) {
      const at = axisList.map((axis, i) => position(row[i + 2], axis));
      if (at.some((v) => v === null)) continue;
      const index = rows.length;
      rows.push(row);
      at.forEach((v, i) => ys[i]!.push(sy(axisList[i]!, v!)));
      // Colour by the metric, in 16 steps: 16 strokes instead of one per line.
      const t = metricAxis.categories ? 0.5 : (at[at.length - 1]! - metricAxis.min) / (metricAxis.max - metricAxis.min);
      const bucket = Math.round(t * 15);
      let members = buckets.get(bucket);
      if (!members) buckets.set(bucket, (members = []));
      members.push(index);
    }
    ctx.lineWidth = 1;
    ctx.globalAlpha = rows.length > 2000 ? 0.25 : 0.6;
    for (const [bucket, members] of buckets) {
      ctx.strokeStyle = rampColor(bucket / 15);
      ctx.beginPath();
      for (const index of members) {
        ctx.moveTo(xs[0]!, ys[0]![index]!);
        for (let a = 1; a < xs.length; a++) ctx.lineTo(xs[a]!, ys[a]![index]!);
      }
      ctx.stroke();
    }
    ctx.globalAlpha = 1;
    // Axes over the lines.
    ctx.strokeStyle = cssColor(element, "--fg-soft");
    ctx.fillStyle = cssColor(element, "--fg");
    ctx.font = "11px system-ui";
    axisList.forEach((axis, i) => {
      const x = xs[i]!;
      ctx.beginPath();
      ctx.moveTo(x, pad.top);
      ctx.lineTo(x, height - pad.bottom);
      ctx.stroke();
      const title = axis.field;
      ctx.fillText(title, Math.min(Math.max(2, x - ctx.measureText(title).width / 2), width - ctx.measureText(title).width - 2), 14);
      const marks: Array<[number, string]> = axis.categories ? axis.categories.slice(0, 12).map((c, k) => [k, c.slice(0, 12)]) : ticks(axis.min, axis.max, 4).map((t) => [t, tickText(t)]);
      for (const [value, label] of marks) ctx.fillText(label, x + 4, sy(axis, value) + 4);
    });
    drawn.current = { xs, ys: ys.map((list) => Float32Array.from(list)), rows };
    setCount(rows.length);
  }, [doc, size]);

  /** The line nearest the pointer, measured along the pointer's vertical between the two axes around it. */
  const nearest = (event: MouseEvent): { index: number; x: number; y: number } | null => {
    const rect = canvas.current!.getBoundingClientRect();
    const mx = event.clientX - rect.left;
    const my = event.clientY - rect.top;
    const { xs, ys, rows } = drawn.current;
    if (xs.length < 2 || rows.length === 0) return null;
    let a = xs.findIndex((x, i) => i < xs.length - 1 && mx >= x && mx <= xs[i + 1]!);
    if (a < 0) a = mx < xs[0]! ? 0 : xs.length - 2;
    const t = Math.max(0, Math.min(1, (mx - xs[a]!) / (xs[a + 1]! - xs[a]!)));
    let best = -1;
    let bestDistance = 6;
    for (let i = 0; i < rows.length; i++) {
      const y = ys[a]![i]! + (ys[a + 1]![i]! - ys[a]![i]!) * t;
      const d = Math.abs(y - my);
      if (d < bestDistance) {
        bestDistance = d;
        best = i;
      }
    }
    return best < 0 ? null : { index: best, x: mx, y: my };
  };

  return (
    <div>
      <div class="plot">
        <canvas
          ref={canvas}
          data-plot="parallel"
          data-points={count}
          role="img"
          aria-label={`Parallel coordinates of ${fields.join(", ")}: ${count} tasks`}
          onMouseMove={(event) => {
            const found = nearest(event);
            setHover(found ? { left: found.x + 12, top: found.y + 12, text: tooltipText(drawn.current.rows[found.index]!, fields) } : null);
          }}
          onMouseLeave={() => setHover(null)}
          onClick={(event) => {
            const found = nearest(event);
            if (found) onOpen(String(drawn.current.rows[found.index]![0]));
          }}
        />
        {hover && (
          <div class="tooltip" style={{ left: `${hover.left}px`, top: `${hover.top}px` }}>
            {hover.text}
          </div>
        )}
      </div>
      <PlotStatus loading={loading} error={error} doc={doc} count={count} missing={fields.length < 2 ? "Choose a metric and at least one argument axis." : ""} />
    </div>
  );
}
