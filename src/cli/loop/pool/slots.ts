/** The slots of a pool: K per GPU, each its own worker, named after the host and the GPU (`host-gpu2`, `host-gpu2-s1`). */
import { hostname } from "node:os";
import type { JsonObject } from "../../../json.js";
import type { Gpu } from "./gpus.js";

export interface SlotPlan {
  /** 0 to slots - 1: LABTASKER_GPU_SLOT. */
  number: number;
  /** Short name in the pool's output: `gpu2`, or `gpu2-s1` with several slots per GPU. */
  label: string;
  workerName: string;
  gpu: Gpu;
  /** The worker's metadata: which machine and GPU it owns (`worker ls`). */
  metadata: JsonObject;
}

export function planSlots(gpus: readonly Gpu[], perGpu: number, host = hostname()): SlotPlan[] {
  const slots: SlotPlan[] = [];
  for (const gpu of gpus) {
    for (let k = 0; k < perGpu; k++) {
      const label = perGpu > 1 ? `gpu${gpu.index}-s${k}` : `gpu${gpu.index}`;
      slots.push({
        number: slots.length,
        label,
        workerName: `${host}-${label}`,
        gpu,
        metadata: { host, gpu: { index: gpu.index, uuid: gpu.uuid, name: gpu.name, memory_total_mib: gpu.memoryTotal }, slot: k },
      });
    }
  }
  return slots;
}
