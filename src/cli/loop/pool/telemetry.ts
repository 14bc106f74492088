/**
 * A pool's GPU telemetry (`--gpu-telemetry SECONDS`, off by default): every interval, one `nvidia-smi` call for the
 * whole pool (not one a slot: nvidia-smi takes tens of milliseconds of CPU, much more on a busy driver), and each
 * slot's GPU sample sent to the slot's worker (`Labtasker.reportWorkerTelemetry`, where the server offers it), so
 * `labtasker worker ls` and the dashboard show each GPU's use; the live view shows it too. Nothing waits on it: the
 * call runs asynchronously, a round still running when the next is due is skipped, and a failing nvidia-smi stops the
 * sampling with one line (the pool goes on).
 */
import { execFile } from "node:child_process";
import type { Labtasker } from "../../../core/api.js";
import type { JsonObject } from "../../../json.js";

export const TELEMETRY_QUERY = ["--query-gpu=index,utilization.gpu,memory.used,memory.total", "--format=csv,noheader,nounits"];

/** One GPU's use at the time of the sample; null where nvidia-smi has no value (`[N/A]`, as on MIG devices). */
export interface GpuSample {
  index: number;
  utilizationPct: number | null;
  memoryUsedMib: number | null;
  memoryTotalMib: number | null;
}

/** What a slot's worker keeps of its GPU's sample (v1-style snake_case, as the worker's metadata). */
export function sampleToTelemetry(sample: GpuSample): JsonObject {
  return {
    gpu: { index: sample.index, utilization_pct: sample.utilizationPct, memory_used_mib: sample.memoryUsedMib, memory_total_mib: sample.memoryTotalMib },
  };
}

/** Parses nvidia-smi's answer to {@link TELEMETRY_QUERY}: `0, 87, 1234, 81920` a line. */
export function parseGpuSamples(text: string): GpuSample[] {
  const value = (field: string) => (/^\d+(\.\d+)?$/.test(field) ? Number(field) : null);
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "")
    .map((line) => {
      const fields = line.split(",").map((field) => field.trim());
      if (fields.length !== 4 || !/^\d+$/.test(fields[0]!) || fields.slice(1).some((field) => value(field) === null && !/^\[.*\]$/.test(field))) {
        throw new Error(`cannot read this line of nvidia-smi's answer (expected "index, utilization.gpu, memory.used, memory.total"): ${JSON.stringify(line)}`);
      }
      return { index: Number(fields[0]), utilizationPct: value(fields[1]!), memoryUsedMib: value(fields[2]!), memoryTotalMib: value(fields[3]!) };
    });
}

/** Runs nvidia-smi once (asynchronously: the pool relays its slots' output meanwhile). */
export function sampleGpus(timeoutMs = 10_000): Promise<GpuSample[]> {
  return new Promise((resolve, reject) => {
    execFile("nvidia-smi", TELEMETRY_QUERY, { encoding: "utf8", timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`nvidia-smi ${TELEMETRY_QUERY.join(" ")} failed: ${stderr.trim() || error.message}`));
      try {
        resolve(parseGpuSamples(stdout));
      } catch (parseError) {
        reject(parseError as Error);
      }
    });
  });
}

/** A slot as the sampler sees it. */
export interface SampledSlot {
  workerId: string;
  gpuIndex: number;
  /** Whether the slot still runs (a slot that is done keeps its worker's last sample). */
  active(): boolean;
}

export interface TelemetryOptions {
  client: Labtasker;
  slots: readonly SampledSlot[];
  intervalMs: number;
  /** A line for the pool's output: why sampling or sending stopped. */
  onProblem(message: string): void;
  /** Each round's samples, as taken (for the live view). */
  onSample?(samples: readonly GpuSample[]): void;
  /** @defaultValue {@link sampleGpus} */
  sample?: () => Promise<GpuSample[]>;
}

/** Starts sampling at once, then every interval; the function returned stops it. */
export function startTelemetry(options: TelemetryOptions): () => void {
  const { client, slots } = options;
  const sample = options.sample ?? (() => sampleGpus());
  let stopped = false;
  let busy = false;
  let send: Promise<boolean> | undefined;
  let sendFailed = false;
  const stop = () => {
    stopped = true;
    clearInterval(timer);
  };

  const round = async () => {
    const samples = await sample();
    if (stopped) return;
    options.onSample?.(samples);
    // Sent only where the server keeps telemetry (labtasker v1's does not); asked once.
    send ??= typeof client.reportWorkerTelemetry === "function" ? client.supports("worker-telemetry").catch(() => false) : Promise.resolve(false);
    if (!(await send) || stopped) return;
    await Promise.all(
      slots.map((slot) => {
        const gpu = samples.find((s) => s.index === slot.gpuIndex);
        if (gpu === undefined || !slot.active()) return undefined;
        return client.reportWorkerTelemetry!(slot.workerId, sampleToTelemetry(gpu)).catch((error: unknown) => {
          // A worker deleted meanwhile, the server away: the next round tries again; said once.
          if (!sendFailed) options.onProblem(`Could not send GPU telemetry (tried again every interval): ${(error as Error).message}`);
          sendFailed = true;
        });
      }),
    );
  };
  const tick = () => {
    if (busy || stopped) return;
    busy = true;
    round()
      .catch((error: unknown) => {
        options.onProblem(`GPU telemetry stopped: ${(error as Error).message}`);
        stop();
      })
      .finally(() => (busy = false));
  };
  const timer = setInterval(tick, options.intervalMs);
  timer.unref();
  tick();
  return stop;
}
