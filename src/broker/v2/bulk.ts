/**
 * v2's bulk update (PATCH .../tasks with a filter): every task the selection matches, running ones left out, gets
 * the same field changes, all of them or none (one unfinished task among tasks to archive refuses the batch). The
 * selection is evaluated here and the writes made by one script call against the revisions read; a task changed in
 * between may no longer match, so the script refuses and the selection is evaluated again.
 */
import { V2Error } from "../../core/v2/errors.js";
import type { V2TaskSelection, V2TaskUpdate } from "../../core/v2/api.js";
import { ScriptCode } from "../../store/scriptCodes.js";
import type { V2BulkTarget } from "../../store/v2Scripts.js";
import type { V2Context } from "./context.js";
import { expectOk } from "./errors.js";
import { changedFields, updateFields } from "./fields.js";
import { compileSelection, forEachSelected } from "./selection.js";
import { assertTaskDataSize } from "./size.js";

export async function updateTasks(v2: V2Context, queue: string, selection: V2TaskSelection, changes: V2TaskUpdate): Promise<{ matched: number; updated: number }> {
  if (selection.filter == null || selection.filter.trim() === "") {
    throw new V2Error("invalid_filter", "A bulk update needs a filter (use one that matches every task, such as `exists(id)`, to mean all).", {});
  }
  const compiled = compileSelection(selection);
  // Running tasks are never updated, nor counted as matched.
  compiled.statuses = compiled.statuses.filter((status) => status !== "running");
  const fields = updateFields(changes);
  const { archived: _archived, ...dataChanges } = changes;
  const queueId = await v2.queueId(queue);
  for (let attempt = 0; ; attempt++) {
    const targets: V2BulkTarget[] = [];
    await forEachSelected(v2, queue, queueId, compiled, (task, hash) => {
      const write = Object.keys(changedFields(fields, hash)).length > 0;
      // As 2.8.0: a task the update would take past the 1 MiB limit refuses the whole batch, before any write.
      if (write) assertTaskDataSize({ ...task, ...dataChanges });
      targets.push({ taskId: task.id, rev: hash.rev ?? "0", write });
    });
    if (targets.length === 0) return { matched: 0, updated: 0 };
    const reply = await v2.scripts.updateTasks(queueId, v2.now(), targets, fields);
    if (reply[0] === ScriptCode.CONFLICT && attempt < v2.ctx.limits.writeAttempts) continue;
    // A refusal names the task by its position in the batch.
    const refused = reply[0] === ScriptCode.UPDATE_CONFLICT ? targets[Number(reply[3]) - 1] : undefined;
    expectOk(reply, { queue, taskId: refused?.taskId });
    return { matched: targets.length, updated: Number(reply[1]) };
  }
}
