/**
 * Submits tasks with the task model's extensions (docs/tasks.md): dependencies (by id, or by `ref` on an earlier task
 * of the same batch), a per-task environment, max_timeouts, dedup identity (asked per task, or the queue's default,
 * its metadata's `"dedup": true`) and client-chosen ids. Everything is checked and applied inside the submit script
 * (lua/submitTasks-6.lua), so it is atomic against concurrent submits and deletes; this side validates, resolves refs
 * and computes the identities, which need SHA-256.
 *
 * A plain submit (no task with an extension) costs what it did: one empty argument a task, no identity computed, and
 * the script checks the queue's default itself (refusing only when the queue dedups and identities are missing, so a
 * queue that dedups costs one more call the first time this process submits to it).
 */
import { parseJson, type JsonObject } from "../json.js";
import type { SubmitTaskOptions } from "../core/api.js";
import { BadRequestError, TaskIdConflictError } from "../core/errors.js";
import { ScriptCode } from "../store/scriptCodes.js";
import type { NewTaskExtensions, NewTaskRecord } from "../store/store.js";
import { isStorableTaskId } from "../store/taskIds.js";
import type { BrokerContext } from "./context.js";
import { definitionFingerprint, taskIdentity } from "./identity.js";
import { expectOk } from "./scriptErrors.js";
import { hasExtensions, newTaskInput } from "./taskInput.js";

/** How a task is named in a refusal: its position in a batch (from 1), or nothing for a single task. */
function which(index: number, total: number): string {
  return total === 1 ? "The task" : `Task ${index + 1} of the submission`;
}

/** A task's dependencies as ids: refs of earlier tasks of the batch resolved, later or unknown refs refused. */
function resolveDependencies(tasks: readonly SubmitTaskOptions[], records: readonly NewTaskRecord[]): Array<string[] | undefined> {
  const refs = new Map<string, number>();
  tasks.forEach((task, i) => {
    if (task.ref === undefined) return;
    if (refs.has(task.ref)) throw new BadRequestError(`${which(i, tasks.length)} has the ref '${task.ref}' of task ${refs.get(task.ref)! + 1}: a ref names one task of a submission`);
    refs.set(task.ref, i);
  });
  return tasks.map((task, i) => task.dependsOn?.map((entry) => {
    const at = refs.get(entry);
    if (at !== undefined) {
      if (at === i) throw new BadRequestError(`${which(i, tasks.length)} depends on its own ref '${entry}'`);
      if (at > i) throw new BadRequestError(`${which(i, tasks.length)} depends on '${entry}', the ref of a later task (${at + 1}): a task may depend only on earlier ones`);
      return records[at]!.taskId;
    }
    if (!isStorableTaskId(entry)) {
      throw new BadRequestError(`${which(i, tasks.length)} depends on '${entry}', which is neither a task id nor the ref of an earlier task of the submission`);
    }
    return entry;
  }));
}

/** What makes a client-chosen id's definition: every field of the submit but dedup, dependencies as written. */
function definitionOf(task: SubmitTaskOptions, record: NewTaskRecord): JsonObject {
  return {
    task_name: record.taskName,
    args: parseJson(record.argsJson),
    metadata: parseJson(record.metadataJson),
    cmd: parseJson(record.cmdJson),
    heartbeat_timeout: record.heartbeatTimeout,
    task_timeout: record.taskTimeout,
    max_retries: record.maxRetries,
    priority: record.priority,
    depends_on: task.dependsOn ?? [],
    env: task.env ?? {},
    max_timeouts: task.maxTimeouts ?? 0,
  };
}

/** The extensions of a task that has some (plain statements: a dedup sweep runs this for every task). */
function extensionsOf(task: SubmitTaskOptions, record: NewTaskRecord, args: JsonObject, dependsOn: string[] | undefined): NewTaskExtensions | undefined {
  const extensions: NewTaskExtensions = {};
  let any = false;
  if (dependsOn !== undefined && dependsOn.length > 0) {
    extensions.dependsOn = dependsOn;
    any = true;
  }
  if (task.env !== undefined && Object.keys(task.env).length > 0) {
    extensions.envJson = JSON.stringify(task.env);
    any = true;
  }
  if (task.maxTimeouts !== undefined && Number(task.maxTimeouts) !== 0) {
    extensions.maxTimeouts = Number(task.maxTimeouts);
    any = true;
  }
  if (task.dedup === true) {
    extensions.identity = taskIdentity(record.taskName, args);
    any = true;
  }
  if (task.taskId !== undefined) {
    extensions.creation = definitionFingerprint(definitionOf(task, record));
    any = true;
  }
  return any ? extensions : undefined;
}

export class TaskSubmitter {
  /** Queues whose metadata was found to make dedup the default: later submits send identities at once. */
  private readonly dedupQueues = new Set<string>();

  constructor(private readonly ctx: BrokerContext) {}

  /**
   * Submits tasks in order, a batch per script call; all are validated before any is stored. Returns their ids, and
   * whether each was created (null when every one was).
   */
  async submit(queueId: string, tasks: readonly SubmitTaskOptions[]): Promise<{ ids: string[]; created: boolean[] | null }> {
    const inputs = tasks.map((task, i) => newTaskInput(task, tasks.length === 1 ? ["body"] : ["body", i]));
    const records = inputs.map((input) => input.record);
    // The plain submit (no task with an extension, the usual case) skips all of this. The extensions of a batch
    // (identities: SHA-256 per task) are computed while the batch before it runs in Redis.
    const withExtensions = tasks.map(hasExtensions);
    const extended = withExtensions.includes(true);
    const dependencies = extended ? resolveDependencies(tasks, records) : [];
    const prepare = (start: number, end: number) => {
      for (let i = start; i < end; i++) {
        if (!withExtensions[i]) continue;
        const extensions = extensionsOf(tasks[i]!, records[i]!, inputs[i]!.args, dependencies[i]);
        if (extensions !== undefined) records[i]!.extensions = extensions;
      }
    };
    const ids = records.map((record) => record.taskId);
    /** Whether each task was created; null while all were (the plain submit never finds one). */
    let created: boolean[] | null = null;
    // Batch tasks found in place of another (dedup, a client id), for the dependencies of later batches.
    const found = new Map<string, string>();
    const { limits } = this.ctx;
    if (extended) prepare(0, Math.min(limits.submitBatch, records.length));
    for (let start = 0; start < records.length; start += limits.submitBatch) {
      const end = Math.min(start + limits.submitBatch, records.length);
      const batch = records.slice(start, end);
      for (const record of batch) {
        const dependsOn = record.extensions?.dependsOn;
        if (dependsOn !== undefined && found.size > 0) record.extensions!.dependsOn = dependsOn.map((id) => found.get(id) ?? id);
      }
      if (this.dedupQueues.has(queueId)) this.addDefaultIdentities(tasks, inputs, start, batch.length);
      const sent = this.ctx.store.submitTasks(queueId, this.ctx.now(), batch, this.undecided(tasks, batch, start));
      if (extended) prepare(end, Math.min(end + limits.submitBatch, records.length));
      let reply = await sent;
      if (reply[0] === ScriptCode.DEDUP_DEFAULT) {
        this.dedupQueues.add(queueId);
        this.addDefaultIdentities(tasks, inputs, start, batch.length);
        reply = await this.ctx.store.submitTasks(queueId, this.ctx.now(), batch, false);
      }
      this.refuse(reply, start, tasks.length);
      expectOk(reply, { operation: "queue", queueId });
      // After OK: the position in the batch and the existing id of each task found in place of a new one.
      for (let i = 1; i + 1 < reply.length; i += 2) {
        const at = start + Number(reply[i]);
        const existing = String(reply[i + 1]);
        found.set(ids[at]!, existing);
        ids[at] = existing;
        created ??= ids.map(() => true);
        created[at] = false;
      }
    }
    return { ids, created };
  }

  /** Whether some task of the batch leaves dedup to the queue's default without its identity. */
  private undecided(tasks: readonly SubmitTaskOptions[], batch: readonly NewTaskRecord[], start: number): boolean {
    return batch.some((record, i) => tasks[start + i]!.dedup === undefined && record.extensions?.defaultIdentity === undefined);
  }

  /** Gives each task that leaves dedup to the queue's default its identity, used when the queue dedups. */
  private addDefaultIdentities(tasks: readonly SubmitTaskOptions[], inputs: ReadonlyArray<{ record: NewTaskRecord; args: JsonObject }>, start: number, count: number): void {
    for (let i = start; i < start + count; i++) {
      const { record, args } = inputs[i]!;
      if (tasks[i]!.dedup !== undefined || record.extensions?.defaultIdentity !== undefined) continue;
      record.extensions = { ...record.extensions, defaultIdentity: taskIdentity(record.taskName, args) };
    }
  }

  /** The submit script's refusals of one task, as errors that name it. */
  private refuse(reply: readonly unknown[], start: number, total: number): void {
    const [code, index, id] = reply;
    const task = which(start + Number(index), total);
    if (code === ScriptCode.UNKNOWN_DEPENDENCY) {
      throw new BadRequestError(`${task} depends on ${String(id)}, which is neither a task of the queue nor an earlier task of the submission`);
    }
    if (code === ScriptCode.SELF_DEPENDENCY) throw new BadRequestError(`${task} depends on itself (${String(id)})`);
    if (code === ScriptCode.TASK_ID_CONFLICT) {
      throw new TaskIdConflictError(String(id), `${task}: task ${String(id)} exists with another definition (a client id names one definition)`);
    }
  }
}
