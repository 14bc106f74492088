import { useEffect, useRef, useState } from "preact/hooks";
import { api } from "../api.js";
import { subscribe, throttle } from "../bus.js";
import { TASK_STATUSES, durationText, numberText } from "../format.js";
import type { View } from "../view.js";
import { cssColor, prepareCanvas } from "./canvas.js";

interface OverviewDoc {
  counts: Record<string, number>;
  workers: { busy: number; idle: number; suspended: number; crashed: number };
  event_sequence: number;
}

interface Minute {
  minute: string;
  success: number;
  failed: number;
}

interface ThroughputDoc {
  minutes: Minute[];
  covers_from: string | null;
}

/** Minutes over which the finishing rate for the ETA is averaged. */
const RATE_WINDOW = 10;

/** Counts, progress, throughput and workers, kept current by the event stream (each burst re-reads the counts). */
export function Overview({ epoch, setView }: { epoch: number; setView: (patch: Partial<View>) => void }) {
  const [overview, setOverview] = useState<OverviewDoc | null>(null);
  const [throughput, setThroughput] = useState<ThroughputDoc | null>(null);
  const [error, setError] = useState("");

  useEffect(() => {
    let stopped = false;
    const load = () => {
      Promise.all([api.get<OverviewDoc>("/dashboard/api/overview"), api.get<ThroughputDoc>("/dashboard/api/throughput?minutes=60")]).then(
        ([o, t]) => {
          if (stopped) return;
          setOverview(o);
          setThroughput(t);
          setError("");
        },
        (caught: unknown) => !stopped && setError((caught as Error).message),
      );
    };
    load();
    const reload = throttle(load, 1000);
    const unsubscribe = subscribe(() => reload.call());
    return () => {
      stopped = true;
      reload.cancel();
      unsubscribe();
    };
  }, [epoch]);

  if (overview === null) return error ? <p class="error-text" role="alert">{error}</p> : <p class="muted">Loading…</p>;
  const counts = overview.counts;
  const total = TASK_STATUSES.reduce((sum, status) => sum + (counts[status] ?? 0), 0);
  const finished = (counts.success ?? 0) + (counts.failed ?? 0) + (counts.cancelled ?? 0);
  const remaining = (counts.pending ?? 0) + (counts.running ?? 0);
  const recent = (throughput?.minutes ?? []).slice(-RATE_WINDOW - 1, -1);
  const rate = recent.length === 0 ? 0 : recent.reduce((sum, m) => sum + m.success + m.failed, 0) / recent.length;
  const eta = remaining === 0 ? "done" : rate > 0 ? `about ${durationText((remaining / rate) * 60)}` : "— (nothing finished in the last 10 minutes)";
  const share = (n: number) => (total === 0 ? 0 : (n / total) * 100);

  return (
    <div>
      {error && <p class="error-text" role="alert">{error}</p>}
      <section aria-label="Tasks per status">
        <div class="cards">
          <button class="card" onClick={() => setView({ tab: "tasks", status: "", page: 1 })} data-count="total">
            <div class="n">{numberText(total)}</div>
            <div class="label">tasks</div>
          </button>
          {TASK_STATUSES.map((status) => (
            <button class="card" key={status} data-count={status} onClick={() => setView({ tab: "tasks", status, page: 1 })}>
              <div class={`n status-${status}`}>{numberText(counts[status] ?? 0)}</div>
              <div class="label">{status}</div>
            </button>
          ))}
        </div>
      </section>

      <section class="panel" aria-label="Progress">
        <h2>Progress</h2>
        {total === 0 ? (
          <p class="empty">No tasks in this queue yet: submit some with <code>labtasker task submit</code>.</p>
        ) : (
          <>
            <div class="progress" role="progressbar" aria-valuemin={0} aria-valuemax={total} aria-valuenow={finished} aria-label="Finished tasks">
              <span class="success" style={{ width: `${share(counts.success ?? 0)}%` }} />
              <span class="failed" style={{ width: `${share(counts.failed ?? 0)}%` }} />
              <span class="cancelled" style={{ width: `${share(counts.cancelled ?? 0)}%` }} />
              <span class="running" style={{ width: `${share(counts.running ?? 0)}%` }} />
            </div>
            <div class="legend">
              <span>{numberText(finished)} of {numberText(total)} finished ({share(finished).toFixed(1)}%)</span>
              <span>{numberText(remaining)} to go</span>
              <span data-eta>ETA: {eta}</span>
              <span>{rate.toFixed(1)} tasks/min over the last {RATE_WINDOW} min</span>
            </div>
          </>
        )}
      </section>

      <section class="panel" aria-label="Throughput">
        <h2>Tasks finished per minute (last hour)</h2>
        {throughput && <ThroughputChart minutes={throughput.minutes} />}
        {throughput?.covers_from && (
          <p class="muted">Counted from the queue's event stream, which holds its last 10,000 events: complete since {new Date(throughput.covers_from).toLocaleTimeString()}.</p>
        )}
        {throughput && throughput.covers_from === null && <p class="muted">No events yet.</p>}
      </section>

      <section class="panel" aria-label="Workers">
        <h2>Workers</h2>
        <div class="cards">
          {(["busy", "idle", "suspended", "crashed"] as const).map((kind) => (
            <button class="card" key={kind} data-workers={kind} onClick={() => setView({ tab: "workers" })}>
              <div class="n">{numberText(overview.workers[kind])}</div>
              <div class="label">{kind}</div>
            </button>
          ))}
        </div>
      </section>
    </div>
  );
}

function ThroughputChart({ minutes }: { minutes: Minute[] }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const canvas = ref.current;
    if (!canvas) return;
    const draw = () => {
      const { ctx, width, height } = prepareCanvas(canvas, 160);
      const max = Math.max(1, ...minutes.map((m) => m.success + m.failed));
      const pad = { left: 36, bottom: 18, top: 8 };
      const barWidth = (width - pad.left) / Math.max(1, minutes.length);
      const scale = (height - pad.bottom - pad.top) / max;
      ctx.fillStyle = cssColor(canvas, "--fg-soft");
      ctx.font = "11px system-ui";
      ctx.fillText(String(max), 4, pad.top + 8);
      ctx.fillText("0", 4, height - pad.bottom);
      minutes.forEach((m, i) => {
        const x = pad.left + i * barWidth;
        const successHeight = m.success * scale;
        const failedHeight = m.failed * scale;
        ctx.fillStyle = cssColor(canvas, "--success");
        ctx.fillRect(x + 1, height - pad.bottom - successHeight, Math.max(1, barWidth - 2), successHeight);
        ctx.fillStyle = cssColor(canvas, "--failed");
        ctx.fillRect(x + 1, height - pad.bottom - successHeight - failedHeight, Math.max(1, barWidth - 2), failedHeight);
      });
      ctx.fillStyle = cssColor(canvas, "--fg-soft");
      const first = minutes[0];
      if (first) ctx.fillText(new Date(first.minute).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }), pad.left, height - 4);
      ctx.fillText("now", width - 24, height - 4);
    };
    draw();
    const observer = new ResizeObserver(draw);
    observer.observe(canvas);
    return () => observer.disconnect();
  }, [minutes]);
  const total = minutes.reduce((sum, m) => sum + m.success + m.failed, 0);
  return (
    <div class="plot">
      <canvas ref={ref} role="img" aria-label={`${total} tasks finished in the last hour`} />
    </div>
  );
}
