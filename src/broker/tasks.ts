/** Tasks: submit, get, delete, fetch (claim), report, heartbeat and update, with labtasker v1's semantics. */
import { isJsonObject, stringifyJson, type JsonObject } from "../json.js";
import type { Task } from "../core/model.js";
import { decodeTask, taskFilterView } from "../store/codecs.js";
import { ScriptCode } from "../store/scriptCodes.js";
import { taskIdOfMember, type ClaimOptions, type TaskReply, type ReportRecord } from "../store/store.js";
import { mergedIndexPages } from "../store/mergedIndexes.js";
import type {
  DocumentPredicate,
  FetchTaskOptions,
  LsResult,
  ReportStatus,
  ReportTaskStatusOptions,
  SubmitTaskOptions,
  TaskUpdate,
  UpdateTasksOptions,
} from "../core/api.js";
import type { BrokerContext } from "./context.js";
import { compilePredicate } from "./filterInput.js";
import { BadRequestError, LabtaskerError, TaskNotFoundError, UpdateFailedError, ValidationError } from "../core/errors.js";
import { PathConflictError, mergePaths } from "./paths.js";
import { argsSatisfy, requiredFieldsRule, type RequiredFieldsRule } from "./requiredFields.js";
import { errorFromReply, expectOk } from "./scriptErrors.js";
import { newTaskRecord } from "./taskInput.js";
import { updateIssues, updatedFields } from "./taskUpdate.js";
import { assertNoIssues, assertSafeKeys, isCommand, parseTimeInterval } from "../core/validation.js";

const REPORT_STATUSES: readonly ReportStatus[] = ["success", "failed", "cancelled", "running"];
/** Codes with which the report half of reportAndFetch refuses; the fetch half's own refusals concern the worker. */
const REPORT_FAILURES = new Set<number>([ScriptCode.TASK_NOT_FOUND, ScriptCode.WORKER_MISMATCH, ScriptCode.INVALID_TRANSITION]);
/** v1 refuses larger update batches. */
const MAX_UPDATES = 1000;

export class TaskService {
  constructor(private readonly ctx: BrokerContext) {}

  /** Submits tasks in order, a batch per script call; all are validated before any is stored. */
  async submit(queueId: string, tasks: readonly SubmitTaskOptions[]): Promise<string[]> {
    const records = tasks.map((task, i) => newTaskRecord(task, tasks.length === 1 ? ["body"] : ["body", i]));
    const { store, limits } = this.ctx;
    for (let start = 0; start < records.length; start += limits.submitBatch) {
      const batch = records.slice(start, start + limits.submitBatch);
      expectOk(await store.submitTasks(queueId, this.ctx.now(), batch), { operation: "queue", queueId });
    }
    return records.map((record) => record.taskId);
  }

  async get(queueId: string, taskId: string): Promise<Task> {
    const hash = await this.ctx.store.readTask(queueId, taskId);
    if (hash === null) throw new TaskNotFoundError(taskId);
    return decodeTask(queueId, taskId, hash);
  }

  async delete(queueId: string, taskId: string): Promise<void> {
    expectOk(await this.ctx.store.deleteTask(queueId, taskId), { operation: "deleteTask", queueId, taskId });
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
    const record = { taskId, status, workerId: workerId || null };
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
        status,
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
   * Applies updates in order (contract 6.1, 3.7). Every update is checked before any is written; an update that
   * fails (unknown task, forbidden transition, conflicting paths) is listed in the error and the others stay
   * applied, as in v1.
   */
  async update(queueId: string, updates: readonly TaskUpdate[], options: UpdateTasksOptions = {}): Promise<LsResult<Task>> {
    if (updates.length === 0) return { found: false, content: [] };
    if (updates.length > MAX_UPDATES) throw new BadRequestError(`Too many tasks to update. Maximum is ${MAX_UPDATES}.`);
    assertNoIssues(updates.flatMap((update, i) => updateIssues(update, ["body", i])));
    const failures: Array<[string, string]> = [];
    const content: Task[] = [];
    for (const update of updates) {
      try {
        content.push(await this.updateOne(queueId, update, options.resetPending ?? false));
      } catch (error) {
        if (!(error instanceof LabtaskerError) && !(error instanceof PathConflictError)) throw error;
        failures.push([update.taskId, detailOf(error)]);
      }
    }
    if (failures.length > 0) throw new UpdateFailedError(failures, updates.length);
    return { found: true, content };
  }

  private async updateOne(queueId: string, update: TaskUpdate, resetPending: boolean): Promise<Task> {
    const { store, limits } = this.ctx;
    const context = { operation: "updateTask" as const, queueId, taskId: update.taskId };
    for (let attempt = 0; ; attempt++) {
      const hash = await store.readTask(queueId, update.taskId);
      if (hash === null) throw errorFromReply([ScriptCode.TASK_NOT_FOUND], context);
      const fields = updatedFields(queueId, update, hash);
      const { reply, task } = await store.updateTask(queueId, this.ctx.now(), update.taskId, hash.rev ?? "0", resetPending, fields);
      if (reply[0] === ScriptCode.CONFLICT && attempt < limits.writeAttempts) continue;
      expectOk(reply, context);
      return decodeTask(queueId, update.taskId, task!.hash);
    }
  }
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
