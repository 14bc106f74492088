/** Tasks: submit, get, delete, fetch (claim), report, heartbeat and update, with labtasker v1's semantics. */
import { isJsonObject, stringifyJson, type JsonObject } from "../json.js";
import type { Task } from "../core/model.js";
import { decodeTask, taskFilterView } from "../store/codecs.js";
import { ScriptCode } from "../store/scriptCodes.js";
import { taskIdOfMember, type ClaimOptions, type TaskReply, type TaskWrite, type ReportRecord } from "../store/store.js";
import { mergedIndexPages } from "../store/mergedIndexes.js";
import type { Hash } from "../store/codecs.js";
import type {
  DocumentPredicate,
  FetchTaskOptions,
  LsResult,
  ReportStatus,
  ReportTaskStatusOptions,
  SubmitTaskOptions,
  SubmittedTask,
  TaskUpdate,
  UpdateTasksOptions,
} from "../core/api.js";
import type { BrokerContext } from "./context.js";
import { deleteTaskLogs } from "./logs.js";
import { compilePredicate } from "./filterInput.js";
import { BadRequestError, LabtaskerError, TaskNotFoundError, UpdateFailedError, ValidationError } from "../core/errors.js";
import { PathConflictError, mergePaths } from "./paths.js";
import { argsSatisfy, requiredFieldsRule, type RequiredFieldsRule } from "./requiredFields.js";
import { errorFromReply, expectOk } from "./scriptErrors.js";
import { TaskSubmitter } from "./submit.js";
import { updateIssues, updatedFields } from "./taskUpdate.js";
import { assertNoIssues, assertSafeKeys, isCommand, parseTimeInterval } from "../core/validation.js";

const REPORT_STATUSES: readonly ReportStatus[] = ["success", "failed", "cancelled", "running"];

/** The status the report script applies: a failure that reached its deadline is `timed_out` (resumable tasks). */
function reportedStatus(status: ReportStatus, options: ReportTaskStatusOptions): ReportRecord["status"] {
  if (!options.timedOut) return status;
  if (status !== "failed") throw new BadRequestError(`timed_out must go with report_status failed (got ${status})`);
  return "timed_out";
}
/** Codes with which the report half of reportAndFetch refuses; the fetch half's own refusals concern the worker. */
const REPORT_FAILURES = new Set<number>([ScriptCode.TASK_NOT_FOUND, ScriptCode.WORKER_MISMATCH, ScriptCode.INVALID_TRANSITION]);
/**
 * v1 refuses larger update batches; deletes take the same bound. A batch of 1,000 is one script call: about 16 ms
 * in Redis for updates, 6 ms for deletes (a MULTI around 1,000 per-task calls took 18 and 10 ms of Redis time, and
 * 1.7 and 2.9 times as long end to end).
 */
const MAX_BATCH = 1000;

export class TaskService {
  private readonly submitter: TaskSubmitter;

  constructor(private readonly ctx: BrokerContext) {
    this.submitter = new TaskSubmitter(ctx);
  }

  /** Submits tasks in order, a batch per script call; all are validated before any is stored. Returns their ids. */
  async submit(queueId: string, tasks: readonly SubmitTaskOptions[]): Promise<string[]> {
    return (await this.submitter.submit(queueId, tasks)).ids;
  }

  /** {@link submit}, telling for each task whether it was created or found (dedup, a client id: docs/tasks.md). */
  async submitDetailed(queueId: string, tasks: readonly SubmitTaskOptions[]): Promise<SubmittedTask[]> {
    const { ids, created } = await this.submitter.submit(queueId, tasks);
    return ids.map((taskId, i) => ({ taskId, created: created?.[i] ?? true }));
  }

  async get(queueId: string, taskId: string): Promise<Task> {
    const hash = await this.ctx.store.readTask(queueId, taskId);
    if (hash === null) throw new TaskNotFoundError(taskId);
    return decodeTask(queueId, taskId, hash);
  }

  async delete(queueId: string, taskId: string): Promise<void> {
    expectOk(await this.ctx.store.deleteTask(queueId, taskId), { operation: "deleteTask", queueId, taskId });
    await deleteTaskLogs(this.ctx, queueId, [taskId]); // after the task: see src/broker/logs.ts
  }

  /** Deletes up to 1,000 tasks at once, all in one atomic step; returns the ids that named no task. */
  async deleteMany(queueId: string, taskIds: readonly string[]): Promise<string[]> {
    const distinct = [...new Set(taskIds)];
    if (distinct.length > MAX_BATCH) throw new BadRequestError(`Too many tasks to delete. Maximum is ${MAX_BATCH}.`);
    if (distinct.length === 0) return [];
    const [, ...missing] = expectOk(await this.ctx.store.deleteTasks(queueId, distinct), { operation: "deleteTask", queueId });
    await deleteTaskLogs(this.ctx, queueId, distinct); // after the tasks: see src/broker/logs.ts
    return missing.map(String);
  }

  /**
   * Claims the best pending task that satisfies the required fields and the extra filter (contract 4), or returns
   * null. Without an extra filter the whole choice happens in one script call; with one, the broker reads
   * candidates in priority order, evaluates the filter here, and claims the first match by id.
   */
  async fetch(queueId: string, options: FetchTaskOptions = {}): Promise<Task | null> {
    const startHeartbeat = options.startHeartbeat ?? true;
    const taskTimeout = options.etaMax ? parseTimeInterval(options.etaMax) : null;
    if (!startHeartbeat && !taskTimeout) throw new BadRequestError("Eta max must be specified when start_heartbeat is False");
    if (options.cmd !== undefined && !isCommand(options.cmd)) {
      throw new ValidationError([{ loc: ["body", "cmd"], msg: "Input should be a valid string or list of strings", type: "union_type", input: options.cmd }]);
    }
    const rule = requiredFieldsRule(options.requiredFields);
    const claim: ClaimOptions = {
      workerId: options.workerId || null,
      requiredSpec: rule.specJson,
      startHeartbeat,
      // v1 overrides the task's timeouts only with truthy values; a fractional eta_max is rounded up to whole
      // seconds because task_timeout is an integer field (v1 stores the float and then fails to serialize it).
      heartbeatTimeout: options.heartbeatTimeout ? String(options.heartbeatTimeout) : null,
      taskTimeout: taskTimeout ? String(Math.ceil(taskTimeout)) : null,
      cmdJson: stringifyJson(options.cmd ?? null),
      expireLimit: this.ctx.limits.expireBatch,
    };
    const context = { operation: "fetchTask" as const, queueId, workerId: claim.workerId };
    const predicate = options.extraFilter == null ? null : compilePredicate(this.ctx.filters, options.extraFilter, "task");
    let report = options.report ? this.reportRecord(options.report.taskId, options.report.status, { summary: options.report.summary, workerId: claim.workerId }) : null;
    // A report that needs a merge against the stored summary, or a fetch that filters in Node, cannot share the
    // fetch's script call: report on its own first.
    if (options.report && (report === null || predicate !== null)) {
      await this.report(queueId, options.report.taskId, options.report.status, { summary: options.report.summary, workerId: claim.workerId });
      report = null;
    }
    const { reply, task } = predicate === null
      ? await this.claimBest(queueId, rule, claim, report)
      : await this.claimFirstMatch(queueId, rule, claim, predicate);
    if (report && REPORT_FAILURES.has(reply[0])) expectOk(reply, { operation: "reportTask", queueId, taskId: report.taskId, workerId: claim.workerId });
    expectOk(reply, context);
    return task === null ? null : decodeTask(queueId, task.taskId, task.hash);
  }

  /** Fetches from the head of the pending index; a report rides on the first script call when given. */
  private async claimBest(queueId: string, rule: RequiredFieldsRule, claim: ClaimOptions, report: ReportRecord | null): Promise<TaskReply> {
    const { store, limits } = this.ctx;
    const scan = { ...claim, requiredSpec: rule.indexSpecJson };
    let cursor = "";
    for (let limit = limits.fetchFirstScan; ; limit = limits.fetchScan) {
      const result = report
        ? await store.reportAndFetch(queueId, this.ctx.now(), rule.signature, scan, cursor, limit, report)
        : await store.fetchTask(queueId, this.ctx.now(), rule.signature, scan, cursor, limit);
      if (result.reply[0] !== ScriptCode.SCAN_MORE) return result;
      report = null;
      cursor = String(result.reply[1]);
    }
  }

  private async claimFirstMatch(
    queueId: string,
    rule: RequiredFieldsRule,
    claim: ClaimOptions,
    predicate: DocumentPredicate,
  ): Promise<TaskReply> {
    const { store, limits } = this.ctx;
    const indexes = await store.candidateIndexKeys(queueId, rule.signature);
    for await (const members of mergedIndexPages(store, indexes, limits.filterBatch)) {
      const taskIds = members.map(taskIdOfMember);
      const hashes = await store.readTasks(queueId, taskIds);
      for (const [i, hash] of hashes.entries()) {
        if (hash === null || hash.status !== "pending") continue;
        const taskId = taskIds[i]!;
        const view = taskFilterView(queueId, taskId, hash);
        if (!argsSatisfy(rule, view.args as JsonObject) || !(await predicate(view))) continue;
        const result = await store.claimTask(queueId, this.ctx.now(), taskId, claim);
        // Claimed or changed by someone else since it was read: keep looking.
        if (result.reply[0] !== ScriptCode.NOT_CLAIMABLE) return result;
      }
    }
    // Nothing matched: still expire overdue tasks and check the worker, as a fetch always does.
    return store.claimTask(queueId, this.ctx.now(), null, claim);
  }


  /**
   * The script form of a report, or null when its summary has dotted keys: those reach into nested objects, which
   * is merged here against the stored summary (see {@link report}). `{}` clears the summary; top-level keys are
   * merged inside the script.
   */
  private reportRecord(taskId: string, status: ReportStatus, options: ReportTaskStatusOptions): ReportRecord | null {
    if (!REPORT_STATUSES.includes(status)) throw new BadRequestError(`Invalid report_status: ${String(status)}`);
    const { summary = null, workerId = null } = options;
    const record = { taskId, status: reportedStatus(status, options), workerId: workerId || null };
    if (summary === null) return { ...record, summary: "keep" };
    if (!isJsonObject(summary)) throw new ValidationError([{ loc: ["body", "summary"], msg: "Input should be a valid dictionary", type: "dict_type", input: summary }]);
    assertSafeKeys(summary);
    const keys = Object.keys(summary);
    if (keys.length === 0) return { ...record, summary: { replace: "{}", rev: "" } };
    if (keys.some((key) => key.includes("."))) return null;
    return { ...record, summary: { merge: keys.map((key): [string, string] => [key, stringifyJson(summary[key])]) } };
  }

  /** Reports a task's outcome (contract 3.4). */
  async report(queueId: string, taskId: string, status: ReportStatus, options: ReportTaskStatusOptions = {}): Promise<void> {
    const context = { operation: "reportTask" as const, queueId, taskId, workerId: options.workerId ?? null };
    const { store, limits } = this.ctx;
    const record = this.reportRecord(taskId, status, options);
    if (record !== null) {
      expectOk(await store.reportTask(queueId, this.ctx.now(), record), context);
      return;
    }
    for (let attempt = 0; ; attempt++) {
      const hash = await store.readTask(queueId, taskId);
      if (hash === null) throw errorFromReply([ScriptCode.TASK_NOT_FOUND], context);
      const merged = mergeSummary(decodeTask(queueId, taskId, hash).summary, options.summary!);
      const reply = await store.reportTask(queueId, this.ctx.now(), {
        taskId,
        status: reportedStatus(status, options),
        workerId: options.workerId || null,
        summary: { replace: stringifyJson(merged), rev: hash.rev ?? "0" },
      });
      if (reply[0] === ScriptCode.CONFLICT && attempt < limits.writeAttempts) continue;
      expectOk(reply, context);
      return;
    }
  }

  async heartbeat(queueId: string, taskId: string, workerId: string | null = null): Promise<void> {
    const reply = await this.ctx.store.heartbeat(queueId, this.ctx.now(), taskId, workerId || null);
    expectOk(reply, { operation: "heartbeat", queueId, taskId, workerId });
  }

  /**
   * Applies updates in order (contract 6.1, 3.7), all of them or none: every update is checked (schema, task found,
   * paths that merge, status change allowed) and written in one script call only when all pass. Otherwise the
   * UpdateFailedError lists each failure, with v1's status and message, and nothing is written (v1 writes the
   * others).
   */
  async update(queueId: string, updates: readonly TaskUpdate[], options: UpdateTasksOptions = {}): Promise<LsResult<Task>> {
    if (updates.length === 0) return { found: false, content: [] };
    if (updates.length > MAX_BATCH) throw new BadRequestError(`Too many tasks to update. Maximum is ${MAX_BATCH}.`);
    assertNoIssues(updates.flatMap((update, i) => updateIssues(update, ["body", i])));
    const resetPending = options.resetPending ?? false;
    // One update (v1's client and the loop's Ignore send one at a time) keeps the per-task script, whose keys all
    // come in KEYS.
    const content = updates.length === 1 ? [await this.updateOne(queueId, updates[0]!, resetPending)] : await this.updateBatch(queueId, updates, resetPending);
    return { found: true, content };
  }

  private async updateOne(queueId: string, update: TaskUpdate, resetPending: boolean): Promise<Task> {
    const { store, limits } = this.ctx;
    const context = { operation: "updateTask" as const, queueId, taskId: update.taskId };
    try {
      for (let attempt = 0; ; attempt++) {
        const hash = await store.readTask(queueId, update.taskId);
        if (hash === null) throw errorFromReply([ScriptCode.TASK_NOT_FOUND], context);
        const fields = updatedFields(update, hash);
        const { reply, task } = await store.updateTask(queueId, this.ctx.now(), update.taskId, hash.rev ?? "0", resetPending, fields);
        if (reply[0] === ScriptCode.CONFLICT && attempt < limits.writeAttempts) continue;
        expectOk(reply, context);
        return decodeTask(queueId, update.taskId, task!.hash);
      }
    } catch (error) {
      if (!isUpdateFailure(error)) throw error;
      throw new UpdateFailedError([[update.taskId, detailOf(error)]], 1, false);
    }
  }

  /**
   * Reads the tasks, computes the batch's writes against them, and sends it; a task changed since it was read means
   * reading them all again. With a failure known before the call, the script only checks the others, so the error
   * lists every failure at once.
   */
  private async updateBatch(queueId: string, updates: readonly TaskUpdate[], resetPending: boolean): Promise<Task[]> {
    const { store, limits } = this.ctx;
    for (let attempt = 0; ; attempt++) {
      const stored = await store.readTasks(queueId, updates.map((update) => update.taskId));
      const { writes, failures } = planWrites(queueId, updates, stored);
      const commit = failures.size === 0;
      const { reply, updates: replies } = await store.updateTasks(queueId, this.ctx.now(), resetPending, commit, writes.map(({ write }) => write));
      expectOk(reply, { operation: "updateTask", queueId });
      if (replies.some(({ reply: [code] }) => code === ScriptCode.CONFLICT) && attempt < limits.writeAttempts) continue;
      replies.forEach(({ reply: refusal }, i) => {
        const { index, write } = writes[i]!;
        if (refusal[0] !== ScriptCode.OK) failures.set(index, detailOf(errorFromReply(refusal, { operation: "updateTask", queueId, taskId: write.taskId })));
      });
      if (failures.size > 0) {
        const listed = [...failures].sort(([a], [b]) => a - b).map(([index, detail]): [string, string] => [updates[index]!.taskId, detail]);
        throw new UpdateFailedError(listed, updates.length, false);
      }
      return replies.map(({ task }) => decodeTask(queueId, task!.taskId, task!.hash));
    }
  }
}

/**
 * The writes of a batch of updates on the tasks as `stored` (in the updates' order), and the failures found on the
 * way by the updates' positions: a task not found, paths that do not merge. An update of a task named earlier in the
 * batch is computed on top of that one, as v1 applies them one after the other.
 */
function planWrites(
  queueId: string,
  updates: readonly TaskUpdate[],
  stored: ReadonlyArray<Hash | null>,
): { writes: Array<{ index: number; write: TaskWrite }>; failures: Map<number, string> } {
  const current = new Map<string, Hash | null>();
  const repeated = new Set<string>();
  updates.forEach((update, i) => {
    if (current.has(update.taskId)) repeated.add(update.taskId);
    else current.set(update.taskId, stored[i] ?? null);
  });
  const writes: Array<{ index: number; write: TaskWrite }> = [];
  const failures = new Map<number, string>();
  updates.forEach((update, index) => {
    const hash = current.get(update.taskId) ?? null;
    try {
      if (hash === null) throw errorFromReply([ScriptCode.TASK_NOT_FOUND], { operation: "updateTask", queueId, taskId: update.taskId });
      const fields = updatedFields(update, hash);
      if (repeated.has(update.taskId)) current.set(update.taskId, withFields(hash, fields));
      writes.push({ index, write: { taskId: update.taskId, rev: hash.rev ?? "0", fields } });
    } catch (error) {
      if (!isUpdateFailure(error)) throw error;
      failures.set(index, detailOf(error));
    }
  });
  return { writes, failures };
}

/** The errors an update can fail with, listed per task in UpdateFailedError (anything else fails the request). */
function isUpdateFailure(error: unknown): error is LabtaskerError | PathConflictError {
  return error instanceof LabtaskerError || error instanceof PathConflictError;
}

/** A task as stored after writing `fields` (null removes one), for a later update of the same task in a batch. */
function withFields(hash: Hash, fields: Record<string, string | null>): Hash {
  const next: Hash = { ...hash };
  for (const [field, value] of Object.entries(fields)) {
    if (value === null) delete next[field];
    else next[field] = value;
  }
  return next;
}

function detailOf(error: LabtaskerError | PathConflictError): string {
  return error instanceof LabtaskerError && typeof error.detail === "string" ? error.detail : error.message;
}

/** v1's summary update: `$set "summary.<key>"` per top-level key; a dotted key sets a nested path. */
function mergeSummary(current: JsonObject, patch: JsonObject): JsonObject {
  try {
    return mergePaths(current, patch, "summary");
  } catch (error) {
    if (error instanceof PathConflictError) throw new BadRequestError(error.message);
    throw error;
  }
}
