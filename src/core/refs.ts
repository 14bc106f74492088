/**
 * Refs across the requests of one submission: a task names an earlier task of its submission by that task's `ref`
 * (docs/tasks.md), and the server resolves refs within one request. A submission sent in several requests (5,000
 * tasks each, or the SDK's `batchSize`) resolves the refs of earlier requests here, with the ids they got.
 */
import type { SubmitTaskOptions } from "./api.js";

export class BatchRefs {
  private readonly ids = new Map<string, string>();

  /** The batch, with dependencies on refs of earlier batches replaced by those tasks' ids. */
  resolve(batch: SubmitTaskOptions[]): SubmitTaskOptions[] {
    if (this.ids.size === 0) return batch;
    return batch.map((task) => (task.dependsOn?.some((entry) => this.ids.has(entry))
      ? { ...task, dependsOn: task.dependsOn.map((entry) => this.ids.get(entry) ?? entry) }
      : task));
  }

  /** Keeps the ids a batch's tasks with a ref got. */
  record(batch: readonly SubmitTaskOptions[], ids: readonly string[]): void {
    batch.forEach((task, i) => {
      if (task.ref !== undefined) this.ids.set(task.ref, ids[i]!);
    });
  }
}
