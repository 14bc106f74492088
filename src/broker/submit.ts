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
import type { ScriptReply } from "../store/scripts.js";
import type { NewTaskExtensions, NewTaskRecord } from "../store/store.js";
import { isStorableTaskId } from "../store/taskIds.js";
import type { BrokerContext } from "./context.js";
import { definitionFingerprint, taskIdentity } from "./identity.js";
import { expectOk } from "./scriptErrors.js";
import { checkedTask, hasExtensions, taskRecord, type CheckedTask } from "./taskInput.js";

/** How a task is named in a refusal: its position in a batch (from 1), or nothing for a single task. */
function which(index: number, total: number): string {
  return total === 1 ? "The task" : `Task ${index + 1} of the submission`;
}

/**
 * A task's dependencies as written, each an id or the position of the earlier task of the batch whose ref it names;
 * refs of the task itself or of later tasks, and strings that are neither an id nor a ref, are refused (before any
 * task is stored: the ids of the batch's tasks are known only when their records are built).
 */
function dependencyEntries(tasks: readonly SubmitTaskOptions[]): Array<Array<string | number> | undefined> {
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
      return at;
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

/** Tasks of a submission sent in one script call: their records, and what they were built from. */
interface Batch {
  /** The position of its first task in the submission. */
  start: number;
  records: NewTaskRecord[];
  inputs: CheckedTask[];
}

/** A batch sent, its reply to come. */
interface SentBatch extends Batch {
  /** Whether it was sent leaving dedup to the queue's default (see {@link undecided}). */
  undecided: boolean;
  reply: Promise<ScriptReply>;
}

/** Whether some task of the batch leaves dedup to the queue's default without its identity. */
function undecided({ records, inputs }: Batch): boolean {
  return records.some((record, i) => inputs[i]!.task.dedup === undefined && record.extensions?.defaultIdentity === undefined);
}

/**
 * Whether the batch after `sent` may go before `sent`'s reply comes back, which then cannot change it: `sent` cannot be
 * refused by the script (it leaves nothing to the queue's default, and has no dependency and no client id to be
 * refused for; a queue deleted meanwhile refuses both alike), `next` has no dependency, which a task found in place of
 * one of `sent`'s would rename, and every task of both has its dedup identity. The last makes what Redis itself may do
 * to a call harmless: if `sent` fails outside the script (BUSY, OOM, READONLY) while `next` is stored, or the two run
 * in the other order after a reload of the scripts, a retry of the submit finds `next`'s tasks instead of adding
 * them twice. A dedup sweep's batches all go so.
 */
function mayFollowUnanswered(sent: SentBatch, next: Batch): boolean {
  if (sent.undecided) return false;
  const deduplicated = (record: NewTaskRecord) => record.extensions?.identity !== undefined;
  if (!sent.records.every(deduplicated) || !next.records.every(deduplicated)) return false;
  if (sent.records.some((record) => record.extensions?.dependsOn !== undefined || record.extensions?.creation !== undefined)) return false;
  return !next.records.some((record) => record.extensions?.dependsOn !== undefined);
}

export class TaskSubmitter {
  /** Queues whose metadata was found to make dedup the default: later submits send identities at once. */
  private readonly dedupQueues = new Set<string>();

  constructor(private readonly ctx: BrokerContext) {}

  /**
   * Submits tasks in order, a batch per script call; all are validated before any is stored. Returns their ids, and
   * whether each was created (null when every one was).
   *
   * Every check comes first, over the whole call. Then Node and Redis work at once rather than in turn: a batch's
   * records (ids, JSON texts, signatures, identities) are built while the batch before it runs in Redis, and a batch
   * whose outcome cannot change the next one ({@link mayFollowUnanswered}) has the next sent behind it before its reply,
   * so that Redis finds it waiting. A call of thousands of tasks takes about what the slower side needs, not the sum.
   * What a batch was built from is let go once its reply is in: a young object still referenced is copied by each
   * collection, and a bulk submit's allocations bring several.
   */
  async submit(queueId: string, given: readonly SubmitTaskOptions[]): Promise<{ ids: string[]; created: boolean[] | null }> {
    const total = given.length;
    const checked: Array<CheckedTask | null> = given.map((task, i) => checkedTask(task, total === 1 ? ["body"] : ["body", i]));
    // The plain submit (no task with an extension, the usual case) skips all of this.
    const withExtensions = checked.map((input) => hasExtensions(input!.task));
    const dependencies = withExtensions.includes(true) ? dependencyEntries(checked.map((input) => input!.task)) : [];
    /** Minted ids (client ids), each replaced by the existing task's once the script finds one in its place. */
    const ids: string[] = [];
    /** Whether each task was created; null while all were (the plain submit never finds one). */
    let created: boolean[] | null = null;
    // Tasks found in place of another (dedup, a client id): minted id -> existing id, for later batches' dependencies.
    const found = new Map<string, string>();
    const { submitBatch } = this.ctx.limits;

    /** Builds the batch from `start`, in order: a ref names an earlier task, whose id is known by then. */
    const build = (start: number): Batch => {
      const batch: Batch = { start, records: [], inputs: [] };
      for (let i = start; i < Math.min(start + submitBatch, total); i++) {
        const input = checked[i]!;
        checked[i] = null;
        const record = taskRecord(input);
        if (withExtensions[i]) {
          const dependsOn = dependencies[i]?.map((entry) => (typeof entry === "number" ? ids[entry]! : entry));
          const extensions = extensionsOf(input.task, record, input.args, dependsOn);
          if (extensions !== undefined) record.extensions = extensions;
        }
        batch.records.push(record);
        batch.inputs.push(input);
        ids.push(record.taskId);
      }
      return batch;
    };
    /** Sends a built batch, then builds the next one while it runs. */
    const send = (batch: Batch): { sent: SentBatch; next: Batch | undefined } => {
      for (const record of batch.records) {
        const dependsOn = record.extensions?.dependsOn;
        if (dependsOn !== undefined && found.size > 0) record.extensions!.dependsOn = dependsOn.map((id) => found.get(id) ?? id);
      }
      if (this.dedupQueues.has(queueId)) addDefaultIdentities(batch);
      const leavesDedup = undecided(batch);
      const reply = this.ctx.store.submitTasks(queueId, this.ctx.now(), batch.records, leavesDedup);
      // Read below; until then (and for good when building the next batch or an earlier batch's reply throws first),
      // a failure of the call must not count as an unhandled rejection.
      reply.catch(() => undefined);
      const end = batch.start + batch.records.length;
      return { sent: { ...batch, undecided: leavesDedup, reply }, next: end < total ? build(end) : undefined };
    };

    if (total === 0) return { ids, created };
    let { sent, next } = send(build(0));
    for (;;) {
      const following = next !== undefined && mayFollowUnanswered(sent, next) ? send(next) : undefined;
      let reply = await sent.reply;
      if (reply[0] === ScriptCode.DEDUP_DEFAULT) {
        this.dedupQueues.add(queueId);
        addDefaultIdentities(sent);
        reply = await this.ctx.store.submitTasks(queueId, this.ctx.now(), sent.records, false);
      }
      this.refuse(reply, sent.start, total);
      expectOk(reply, { operation: "queue", queueId });
      // After OK: the position in the batch and the existing id of each task found in place of a new one.
      for (let i = 1; i + 1 < reply.length; i += 2) {
        const at = sent.start + Number(reply[i]);
        const existing = String(reply[i + 1]);
        found.set(ids[at]!, existing);
        ids[at] = existing;
        created ??= new Array<boolean>(total).fill(true);
        created[at] = false;
      }
      const after = following ?? (next !== undefined ? send(next) : undefined);
      if (after === undefined) break;
      ({ sent, next } = after);
    }
    return { ids, created };
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

/** Gives each task of a batch that leaves dedup to the queue's default its identity, used when the queue dedups. */
function addDefaultIdentities({ records, inputs }: Batch): void {
  records.forEach((record, i) => {
    const { task, args } = inputs[i]!;
    if (task.dedup !== undefined || record.extensions?.defaultIdentity !== undefined) return;
    record.extensions = { ...record.extensions, defaultIdentity: taskIdentity(record.taskName, args) };
  });
}
