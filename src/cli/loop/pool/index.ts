/** `labtasker loop --gpus`: the GPUs, the slots, and the pool that runs them (./pool.ts). */
import type { Labtasker } from "../../../core/api.js";
import { queryGpus, selectGpus } from "./gpus.js";
import { exitPool, runPool } from "./pool.js";
import { planSlots } from "./slots.js";

/** Runs the pool to its end; the function returned ends the process as the pool ended (after the caller's cleanup). */
export async function runGpuPool(client: Labtasker, gpus: string, perGpu: number, argv: string[], telemetrySeconds: number | null = null): Promise<() => void> {
  const slots = planSlots(selectGpus(gpus, queryGpus), perGpu);
  const telemetryIntervalMs = telemetrySeconds === null ? null : telemetrySeconds * 1000;
  const result = await runPool({ client, slots, argv, live: process.stderr.isTTY === true, telemetryIntervalMs });
  return () => exitPool(result, slots.length);
}
