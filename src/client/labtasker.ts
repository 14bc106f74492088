/**
 * The {@link Labtasker} API over HTTP: labtasker v1's REST protocol, against our server or labtasker 1.0.1's own.
 * Python-style filters are compiled here to MongoDB queries, as v1's client does, so every server understands them.
 */
import type { IncomingMessage } from "node:http";
import {
  type ClientExtension,
  TASK_UPDATE_FIELDS,
  type CountTasksOptions,
  type CreateQueueOptions,
  type CreateWorkerOptions,
  type EventsOptions,
  type FetchTaskOptions,
  type FilterInput,
  type HealthStatus,
  type Labtasker,
  type LsResult,
  type LsTasksOptions,
  type LsWorkersOptions,
  type ReadTaskLogOptions,
  type ReportStatus,
  type ReportTaskStatusOptions,
  type SubmitTaskOptions,
  type SubmittedTask,
  type TaskLogAppend,
  type TaskLogBatchEntry,
  type TaskLogBatchResult,
  type TaskLogChunk,
  type TaskCounts,
  type TaskUpdate,
  type UpdateQueueOptions,
  type UpdateTasksOptions,
} from "../core/api.js";
import { batches } from "../core/batches.js";
import { BatchRefs } from "../core/refs.js";
import { PAGE, REQUEST_BATCH } from "../core/defaults.js";
import { BadRequestError, LabtaskerError, TaskNotFoundError, UpdateFailedError } from "../core/errors.js";
import { parseJson, stringifyJson, type JsonObject, type JsonValue } from "../json.js";
import { TASK_STATUSES, type Queue, type QueueEvent, type Task, type Worker, type WorkerStatus } from "../core/model.js";
import { errorFromResponse, type ErrorContext } from "./errors.js";
import { retryBackoffMs, sleep } from "../sleep.js";
import { readSseFrames } from "./sse.js";
import { HttpNotifyRules } from "./notify.js";
import type { CreateNotifyRuleOptions, CreatedNotifyRule, NotifyDelivery, NotifyRule } from "../core/notify.js";
import { NetworkError, open, send } from "./transport.js";
import { TASK_EXTENSIONS_HEADER, TASK_FIELDS_EXTENSION, eventFromWire, queueFromWire, taskFromWire, workerFromWire } from "../wire/v1/index.js";
import { encodeLogBatch } from "../wire/v1/logBatch.js";

export interface HttpLabtaskerOptions {
  /** The server's base URL, e.g. `http://localhost:9321`. */
  baseUrl: string;
  queueName: string;
  password: string;
  /** Per-request timeout. @defaultValue 60000 ms */
  timeoutMs?: number;
  /**
   * Attempts for requests that are safe to repeat after a network error or a 502/503/504 (heartbeats, status reports, reads),
   * with exponential backoff from 0.5 s up to 10 s; v1's client retries reports for about 100 s.
   * @defaultValue 10
   */
  networkAttempts?: number;
  /** Sent as `client_version` in request bodies, as v1's client does. @defaultValue "1.0.1" */
  clientVersion?: string;
}

interface RequestOptions {
  query?: Record<string, string | boolean | number | null | undefined>;
  body?: unknown;
  /** Bytes sent as the body as they are (application/octet-stream), instead of a JSON `body`; pieces go one after the other. */
  rawBody?: Uint8Array | readonly Uint8Array[];
  auth?: boolean;
  /** Safe to send again after a network error. */
  retry?: boolean;
  context: ErrorContext;
}

/** Asks for worker documents with the telemetry extension's key (src/http/routes/workers.ts). */
const WITH_TELEMETRY = { include: "telemetry" };

export class HttpLabtasker implements Labtasker {
  private readonly baseUrl: string;
  private authHeader: string;
  /** Whether the server has the batch submit extension; learnt on first use. */
  private batchSubmit: boolean | undefined;
  /** Whether the server has the task count extension; learnt on first use. */
  private countRoute: boolean | undefined;
  /** Whether the server has the batch delete extension; learnt on first use. */
  private batchDelete: boolean | undefined;
  private serverExtensions: Promise<Set<string>> | undefined;
  /** The notification routes (an extension), on this client's requests. */
  private readonly notify = new HttpNotifyRules((method, path, options) => this.request(method, path, options));

  constructor(private readonly options: HttpLabtaskerOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.authHeader = HttpLabtasker.basic(options.queueName, options.password);
  }

  private static basic(user: string, password: string): string {
    return `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
  }

  private url(path: string, query: RequestOptions["query"] = {}): string {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      // v1's httpx client sends None as an empty value; the server treats it as not given.
      params.set(key, value === null || value === undefined ? "" : String(value));
    }
    const search = params.toString();
    return `${this.baseUrl}${path}${search ? `?${search}` : ""}`;
  }

  private async request(method: string, path: string, options: RequestOptions): Promise<JsonValue | undefined> {
    const attempts = options.retry ? (this.options.networkAttempts ?? 10) : 1;
    // Task documents with the task model's extension fields (src/wire/v1/taskExtensions.ts); v1's server ignores it.
    const headers: Record<string, string> = { accept: "application/json", [TASK_EXTENSIONS_HEADER]: TASK_FIELDS_EXTENSION };
    if (options.auth !== false) headers.authorization = this.authHeader;
    let body: string | Uint8Array | readonly Uint8Array[] | undefined;
    if (options.rawBody !== undefined) {
      headers["content-type"] = "application/octet-stream";
      body = options.rawBody;
    } else if (options.body !== undefined) {
      headers["content-type"] = "application/json";
      body = stringifyJson(options.body);
    }
    for (let attempt = 1; ; attempt++) {
      let response: { status: number; text: string };
      try {
        response = await send(this.url(path, options.query), { method, headers, body, timeoutMs: this.options.timeoutMs ?? 60_000 });
      } catch (error) {
        if (attempt < attempts && error instanceof NetworkError) {
          await sleep(retryBackoffMs(attempt));
          continue;
        }
        throw new LabtaskerError(0, `Cannot reach the labtasker server at ${this.baseUrl}: ${(error as Error).message}`);
      }
      const parsed = response.text === "" ? undefined : parseJsonOrText(response.text);
      if (response.status >= 200 && response.status < 300) return parsed;
      // A server that cannot reach Redis right now (or a proxy whose server is gone) answers 502/503/504: as
      // transient as a network error, so requests that are safe to repeat wait and try again.
      if (attempt < attempts && [502, 503, 504].includes(response.status)) {
        await sleep(retryBackoffMs(attempt));
        continue;
      }
      const detail = parsed !== null && typeof parsed === "object" && "detail" in parsed ? (parsed as { detail: unknown }).detail : response.text;
      throw errorFromResponse(response.status, detail, options.context);
    }
  }

  private withVersion(body: Record<string, unknown>): Record<string, unknown> {
    return { client_version: this.options.clientVersion ?? "1.0.1", ...body };
  }

  /**
   * A filter as the server takes it: Python-style text becomes a MongoDB query with `{"_dt": ...}` dates. The filter
   * compiler (with jsonata and chrono-node) loads only when a filter is given, so commands without one start fast.
   */
  private async wireFilter(filter: FilterInput | null | undefined): Promise<Record<string, unknown> | null> {
    if (filter == null) return null;
    if (typeof filter === "function") {
      throw new BadRequestError("A filter function cannot be sent to a server; pass a filter expression or a MongoDB query");
    }
    const { toWireFilter } = await import("../filter/index.js");
    return toWireFilter(filter);
  }

  async health(): Promise<HealthStatus> {
    return (await this.request("GET", "/health/full", { auth: false, retry: true, context: { operation: "health" } })) as unknown as HealthStatus;
  }

  async createQueue(options: CreateQueueOptions): Promise<string> {
    const body = this.withVersion({ queue_name: options.queueName, password: options.password, metadata: options.metadata ?? null });
    const reply = await this.request("POST", "/api/v1/queues", { body, auth: false, context: { operation: "createQueue", queueName: options.queueName } });
    return String((reply as JsonObject).queue_id);
  }

  async getQueue(): Promise<Queue> {
    return queueFromWire((await this.request("GET", "/api/v1/queues/me", { retry: true, context: { operation: "getQueue" } })) as JsonObject);
  }

  async updateQueue(options: UpdateQueueOptions): Promise<Queue> {
    const body = this.withVersion({
      new_queue_name: options.newQueueName ?? null,
      new_password: options.newPassword ?? null,
      metadata_update: options.metadataUpdate ?? null,
    });
    const reply = await this.request("PUT", "/api/v1/queues/me", { body, context: { operation: "updateQueue" } });
    if (options.newQueueName || options.newPassword) {
      this.authHeader = HttpLabtasker.basic(options.newQueueName || this.options.queueName, options.newPassword || this.options.password);
    }
    return queueFromWire(reply as JsonObject);
  }

  async deleteQueue(options: { cascadeDelete?: boolean } = {}): Promise<void> {
    await this.request("DELETE", "/api/v1/queues/me", { query: { cascade_delete: options.cascadeDelete ?? true }, context: { operation: "deleteQueue" } });
  }

  private submitBody(task: SubmitTaskOptions): Record<string, unknown> {
    return {
      task_name: task.taskName ?? null,
      args: task.args ?? null,
      metadata: task.metadata ?? null,
      cmd: task.cmd ?? null,
      heartbeat_timeout: task.heartbeatTimeout ?? null,
      task_timeout: task.taskTimeout ?? null,
      max_retries: task.maxRetries ?? 3,
      priority: task.priority ?? 10,
      // The task model's extensions, only those set: a plain task's body stays v1's own.
      ...(task.dependsOn !== undefined ? { depends_on: task.dependsOn } : {}),
      ...(task.ref !== undefined ? { ref: task.ref } : {}),
      ...(task.env !== undefined ? { env: task.env } : {}),
      ...(task.maxTimeouts !== undefined ? { max_timeouts: task.maxTimeouts } : {}),
      ...(task.dedup !== undefined ? { dedup: task.dedup } : {}),
      ...(task.taskId !== undefined ? { task_id: task.taskId } : {}),
    };
  }

  async submitTask(options: SubmitTaskOptions): Promise<string> {
    const reply = await this.request("POST", "/api/v1/queues/me/tasks", { body: this.withVersion(this.submitBody(options)), context: { operation: "submitTask" } });
    return String((reply as JsonObject).task_id);
  }

  /**
   * One request per 5,000 tasks with our server's batch extension; against a server without it (labtasker v1),
   * one request per task, 16 at a time.
   */
  async submitTasks(tasks: SubmitTaskOptions[]): Promise<string[]> {
    return (await this.submitTasksDetailed(tasks)).map((task) => task.taskId);
  }

  async submitTasksDetailed(tasks: SubmitTaskOptions[]): Promise<SubmittedTask[]> {
    if (tasks.length === 0) return [];
    if (this.batchSubmit !== false) {
      try {
        const submitted: SubmittedTask[] = [];
        // Refs of tasks sent in an earlier request, for the dependencies of later ones (src/core/refs.ts).
        const refs = new BatchRefs();
        for (let start = 0; start < tasks.length; start += 5000) {
          const batch = refs.resolve(tasks.slice(start, start + 5000));
          const reply = (await this.request("POST", "/api/v1/queues/me/tasks/batch", {
            body: this.withVersion({ tasks: batch.map((task) => this.submitBody(task)) }),
            context: { operation: "submitTask" },
          })) as JsonObject;
          const ids = reply.task_ids as string[];
          const created = reply.created as boolean[] | undefined;
          refs.record(batch, ids);
          submitted.push(...ids.map((taskId, i) => ({ taskId, created: created?.[i] ?? true })));
          this.batchSubmit = true;
        }
        return submitted;
      } catch (error) {
        // v1 routes the unknown path as a task id and answers 404 or 405; anything else is a real error.
        if (this.batchSubmit === true || !(error instanceof LabtaskerError) || ![404, 405].includes(error.status)) throw error;
        this.batchSubmit = false;
      }
    }
    const submitted: SubmittedTask[] = new Array(tasks.length);
    await inLanes(tasks.length, async (index) => {
      submitted[index] = { taskId: await this.submitTask(tasks[index]!), created: true };
    });
    return submitted;
  }

  async getTask(taskId: string): Promise<Task> {
    const reply = await this.request("GET", `/api/v1/queues/me/tasks/${encodeURIComponent(taskId)}`, { retry: true, context: { operation: "getTask", taskId } });
    return taskFromWire(reply as JsonObject);
  }

  async lsTasks(options: LsTasksOptions = {}): Promise<LsResult<Task>> {
    const body = this.withVersion({
      offset: options.offset ?? 0,
      limit: options.limit ?? 100,
      task_id: options.taskId ?? null,
      task_name: options.taskName ?? null,
      status: options.status ?? null,
      extra_filter: await this.wireFilter(options.extraFilter),
      sort: options.sort ?? null,
      // Only when asked for: the request stays v1's own otherwise.
      ...(options.snapshot ? { snapshot: options.snapshot } : {}),
    });
    const reply = (await this.request("POST", "/api/v1/queues/me/tasks/search", { body, retry: true, context: { operation: "lsTasks" } })) as JsonObject;
    return { found: Boolean(reply.found), content: ((reply.content ?? []) as JsonObject[]).map(taskFromWire) };
  }

  /** Whether the server lists the extension at `GET /` (labtasker v1's lists none). */
  async supports(extension: ClientExtension): Promise<boolean> {
    return (await this.extensions()).has(extension);
  }

  /**
   * One request with our server's count extension; against a server without it (labtasker v1), the listing of each
   * status read page by page and counted.
   */
  async countTasks(options: CountTasksOptions = {}): Promise<TaskCounts> {
    if (this.countRoute !== false) {
      try {
        const body = this.withVersion({
          task_id: options.taskId ?? null,
          task_name: options.taskName ?? null,
          status: options.status ?? null,
          extra_filter: await this.wireFilter(options.extraFilter),
        });
        const reply = (await this.request("POST", "/api/v1/queues/me/tasks/count", { body, retry: true, context: { operation: "lsTasks" } })) as JsonObject;
        this.countRoute = true;
        const counts = reply.counts as JsonObject;
        return Object.fromEntries(TASK_STATUSES.map((status) => [status, Number(counts[status] ?? 0)])) as TaskCounts;
      } catch (error) {
        // v1 has only GET and DELETE on /tasks/{task_id} and answers 405 (404 on other servers); anything else is real.
        if (this.countRoute === true || !(error instanceof LabtaskerError) || ![404, 405].includes(error.status)) throw error;
        this.countRoute = false;
      }
    }
    const counts = Object.fromEntries(TASK_STATUSES.map((status) => [status, 0])) as TaskCounts;
    const statuses = options.status ? [options.status] : TASK_STATUSES;
    await Promise.all(
      statuses.map(async (status) => {
        for (let offset = 0; ; offset += PAGE.maxLimit) {
          const page = await this.lsTasks({ ...options, status, limit: PAGE.maxLimit, offset });
          counts[status] += page.content.length;
          if (page.content.length < PAGE.maxLimit) return;
        }
      }),
    );
    return counts;
  }

  async updateTasks(updates: TaskUpdate[], options: UpdateTasksOptions = {}): Promise<LsResult<Task>> {
    const body = updates.map((update) => {
      const wire: Record<string, unknown> = { task_id: update.taskId, replace_fields: update.replaceFields ?? [] };
      for (const [field, name] of Object.entries(TASK_UPDATE_FIELDS)) {
        if (Object.hasOwn(update, field)) wire[name] = (update as unknown as Record<string, unknown>)[field];
      }
      return wire;
    });
    let reply: JsonObject;
    try {
      reply = (await this.request("PUT", "/api/v1/queues/me/tasks", {
        body,
        query: { reset_pending: options.resetPending ?? false },
        context: { operation: "updateTasks" },
      })) as JsonObject;
    } catch (error) {
      // The same 400 either way; only a server listing "atomic-update" (ours) has left the other updates unapplied.
      if (error instanceof UpdateFailedError && (await this.extensions()).has("atomic-update")) throw new UpdateFailedError(error.failures, updates.length, false);
      throw error;
    }
    return { found: Boolean(reply.found), content: ((reply.content ?? []) as JsonObject[]).map(taskFromWire) };
  }

  async deleteTask(taskId: string): Promise<void> {
    await this.request("DELETE", `/api/v1/queues/me/tasks/${encodeURIComponent(taskId)}`, { context: { operation: "deleteTask", taskId } });
  }

  /**
   * One request per 1,000 ids with our server's batch delete extension (each deleted at once); against a server
   * without it (labtasker v1), one request per id, 16 at a time.
   */
  async deleteTasks(taskIds: readonly string[]): Promise<string[]> {
    if (taskIds.length === 0) return [];
    if (this.batchDelete !== false) {
      try {
        const missing: string[] = [];
        for (const chunk of batches(taskIds, REQUEST_BATCH)) {
          const reply = await this.request("POST", "/api/v1/queues/me/tasks/delete", { body: this.withVersion({ task_ids: chunk }), context: { operation: "deleteTask" } });
          missing.push(...((reply as JsonObject).missing as string[]));
          this.batchDelete = true;
        }
        return missing;
      } catch (error) {
        // v1 has only GET and DELETE on /tasks/{task_id} and answers 405 (404 on other servers); anything else is real.
        if (this.batchDelete === true || !(error instanceof LabtaskerError) || ![404, 405].includes(error.status)) throw error;
        this.batchDelete = false;
      }
    }
    const missing = new Set<string>();
    await inLanes(taskIds.length, async (index) => {
      const taskId = taskIds[index]!;
      try {
        await this.deleteTask(taskId);
      } catch (error) {
        if (!(error instanceof TaskNotFoundError)) throw error;
        missing.add(taskId);
      }
    });
    return taskIds.filter((taskId) => missing.has(taskId));
  }

  /** The protocol extensions the server lists in GET / (none for labtasker v1's server); asked once. */
  private extensions(): Promise<Set<string>> {
    this.serverExtensions ??= this.request("GET", "/", { auth: false, retry: true, context: { operation: "health" } }).then(
      (reply) => new Set(((reply as JsonObject | undefined)?.extensions as string[] | undefined) ?? []),
      () => new Set<string>(),
    );
    return this.serverExtensions;
  }

  async fetchTask(options: FetchTaskOptions = {}): Promise<Task | null> {
    const { report } = options;
    // Only a server that lists the extension may get a report inside a fetch: v1's would silently ignore it.
    if (report && !(await this.extensions()).has("report-and-fetch")) {
      await this.reportTaskStatus(report.taskId, report.status, { summary: report.summary ?? null, workerId: options.workerId ?? null });
      return this.fetchTask({ ...options, report: undefined });
    }
    const body = this.withVersion({
      worker_id: options.workerId ?? null,
      eta_max: options.etaMax ?? null,
      heartbeat_timeout: options.heartbeatTimeout ?? null,
      start_heartbeat: options.startHeartbeat ?? true,
      required_fields: options.requiredFields ?? null,
      extra_filter: await this.wireFilter(options.extraFilter),
      cmd: options.cmd ?? null,
      ...(report ? { report: { task_id: report.taskId, status: report.status, summary: report.summary ?? null } } : {}),
    });
    const reply = (await this.request("POST", "/api/v1/queues/me/tasks/next", {
      body,
      // A refused report comes back with the report's status and detail, which map to the same error classes.
      context: { operation: "fetchTask", taskId: report?.taskId, workerId: options.workerId ?? null },
    })) as JsonObject;
    return reply.found && reply.task ? taskFromWire(reply.task as JsonObject) : null;
  }

  async reportTaskStatus(taskId: string, status: ReportStatus, options: ReportTaskStatusOptions = {}): Promise<void> {
    const body = this.withVersion({
      status,
      worker_id: options.workerId ?? null,
      summary: options.summary ?? null,
      // An extension, sent only when set: labtasker v1's server ignores it (the run is then an ordinary failure).
      ...(options.timedOut ? { timed_out: true } : {}),
    });
    await this.request("POST", `/api/v1/queues/me/tasks/${encodeURIComponent(taskId)}/status`, {
      body,
      retry: true,
      context: { operation: "reportTask", taskId, workerId: options.workerId ?? null },
    });
  }

  async refreshTaskHeartbeat(taskId: string, workerId: string | null = null): Promise<void> {
    await this.request("POST", `/api/v1/queues/me/tasks/${encodeURIComponent(taskId)}/heartbeat`, {
      query: { worker_id: workerId },
      retry: true,
      context: { operation: "heartbeat", taskId, workerId },
    });
  }

  async createWorker(options: CreateWorkerOptions = {}): Promise<string> {
    const body = this.withVersion({ worker_name: options.workerName ?? null, metadata: options.metadata ?? null, max_retries: options.maxRetries ?? 3 });
    const reply = await this.request("POST", "/api/v1/queues/me/workers", { body, context: { operation: "createWorker" } });
    return String((reply as JsonObject).worker_id);
  }

  async lsWorkers(options: LsWorkersOptions = {}): Promise<LsResult<Worker>> {
    const body = this.withVersion({
      offset: options.offset ?? 0,
      limit: options.limit ?? 100,
      worker_id: options.workerId ?? null,
      worker_name: options.workerName ?? null,
      status: options.status ?? null,
      extra_filter: await this.wireFilter(options.extraFilter),
      sort: options.sort ?? null,
    });
    // include=telemetry: the telemetry extension's key (labtasker v1's server ignores the parameter).
    const reply = (await this.request("POST", "/api/v1/queues/me/workers/search", { body, query: WITH_TELEMETRY, retry: true, context: { operation: "lsWorkers" } })) as JsonObject;
    return { found: Boolean(reply.found), content: ((reply.content ?? []) as JsonObject[]).map(workerFromWire) };
  }

  async getWorker(workerId: string): Promise<Worker> {
    const reply = await this.request("GET", `/api/v1/queues/me/workers/${encodeURIComponent(workerId)}`, { query: WITH_TELEMETRY, retry: true, context: { operation: "getWorker", workerId } });
    return workerFromWire(reply as JsonObject);
  }

  async reportWorkerStatus(workerId: string, status: WorkerStatus): Promise<void> {
    await this.request("POST", `/api/v1/queues/me/workers/${encodeURIComponent(workerId)}/status`, {
      body: this.withVersion({ status }),
      retry: true,
      context: { operation: "reportWorker", workerId },
    });
  }

  /** An extension (`supports("worker-telemetry")`): replaces the worker's telemetry sample. Safe to send again. */
  async reportWorkerTelemetry(workerId: string, data: JsonObject): Promise<void> {
    await this.request("PUT", `/api/v1/queues/me/workers/${encodeURIComponent(workerId)}/telemetry`, {
      body: this.withVersion({ data }),
      retry: true,
      context: { operation: "reportWorker", workerId },
    });
  }

  async deleteWorker(workerId: string, options: { cascadeUpdate?: boolean } = {}): Promise<void> {
    await this.request("DELETE", `/api/v1/queues/me/workers/${encodeURIComponent(workerId)}`, {
      query: { cascade_update: options.cascadeUpdate ?? true },
      context: { operation: "deleteWorker", workerId },
    });
  }

  /**
   * The queue's events over SSE. On a dropped connection it reconnects (after the server's `retry` delay) and, with our
   * server, resumes after the last event seen (Last-Event-ID); v1's server has no replay, so events during the gap are lost there.
   */
  /**
   * Safe to send again: the chunk's offset and the run's token make a repeat a no-op. The bytes are the body, as they
   * are; the chunk's place goes in the query (docs/wire-v1.md#15-task-logs-an-extension).
   */
  async appendTaskLog(taskId: string, chunk: TaskLogAppend): Promise<number> {
    const query = { attempt: chunk.attempt, run: chunk.run, offset: chunk.offset, ended: chunk.ended === true };
    const reply = await this.request("POST", `/api/v1/queues/me/tasks/${encodeURIComponent(taskId)}/logs`, { query, rawBody: chunk.data, retry: true, context: { operation: "reportTask", taskId } });
    return Number((reply as JsonObject).attempt);
  }

  /**
   * One request for chunks of several runs, with the bytes as they are (src/wire/v1/logBatch.ts); safe to send again,
   * as each chunk is. A server without `task-logs-batch` gets one request per chunk.
   */
  async appendTaskLogs(entries: readonly TaskLogBatchEntry[]): Promise<TaskLogBatchResult[]> {
    if (entries.length === 0) return [];
    if (!(await this.extensions()).has("task-logs-batch")) {
      const results: TaskLogBatchResult[] = [];
      for (const { taskId, chunk } of entries) {
        try {
          results.push({ attempt: await this.appendTaskLog(taskId, chunk) });
        } catch (error) {
          results.push({ error: error as Error });
        }
      }
      return results;
    }
    const reply = (await this.request("POST", "/api/v1/queues/me/logs", { rawBody: encodeLogBatch(entries), retry: true, context: { operation: "reportTask" } })) as JsonObject;
    return ((reply.results ?? []) as JsonObject[]).map((result, index) =>
      typeof result.attempt === "number"
        ? { attempt: result.attempt }
        : { error: errorFromResponse(Number(result.status), result.detail, { operation: "reportTask", taskId: entries[index]!.taskId }) },
    );
  }

  async readTaskLog(taskId: string, options: ReadTaskLogOptions = {}): Promise<TaskLogChunk> {
    const query = { attempt: options.attempt ?? undefined, offset: options.offset ?? 0, wait: options.waitMs ?? 0 };
    const reply = (await this.request("GET", `/api/v1/queues/me/tasks/${encodeURIComponent(taskId)}/logs`, { query, retry: true, context: { operation: "getTask", taskId } })) as JsonObject;
    return {
      attempt: Number(reply.attempt),
      attempts: Number(reply.attempts),
      offset: Number(reply.offset),
      next: Number(reply.next),
      ended: reply.ended === true,
      data: Buffer.from(String(reply.data), "base64"),
    };
  }

  async *events(options: EventsOptions = {}): AsyncGenerator<QueueEvent> {
    const { signal } = options;
    let lastId = options.afterSequence;
    let retryMs = 3000;
    while (!signal?.aborted) {
      let response: IncomingMessage;
      try {
        const headers: Record<string, string> = { authorization: this.authHeader, accept: "text/event-stream" };
        if (lastId !== undefined) headers["last-event-id"] = String(lastId);
        response = await open(this.url("/api/v1/queues/me/events"), { method: "GET", headers, signal });
      } catch (error) {
        if (signal?.aborted) return;
        if (!(error instanceof NetworkError)) throw error;
        await sleep(retryMs, signal);
        continue;
      }
      if (response.statusCode !== 200) {
        const chunks: Buffer[] = [];
        for await (const chunk of response) chunks.push(chunk as Buffer);
        const text = Buffer.concat(chunks).toString("utf8");
        const parsed = parseJsonOrText(text);
        const detail = parsed !== null && typeof parsed === "object" && "detail" in parsed ? (parsed as { detail: unknown }).detail : text;
        throw errorFromResponse(response.statusCode ?? 0, detail, { operation: "events" });
      }
      try {
        for await (const frame of readSseFrames(response)) {
          if (frame.retry !== undefined) retryMs = frame.retry;
          if (frame.event !== "event") continue;
          const event = eventFromWire(parseJson(frame.data) as JsonObject);
          if (lastId !== undefined && event.sequence <= lastId) continue;
          lastId = event.sequence;
          yield event;
        }
      } catch (error) {
        // An aborted or dropped connection ends the stream; anything else is a real error.
        if (!signal?.aborted && (error as { code?: string }).code !== "ECONNRESET" && (error as { name?: string }).name !== "AbortError") throw error;
      } finally {
        response.destroy();
      }
      if (!signal?.aborted) await sleep(retryMs, signal);
    }
  }

  createNotifyRule(options: CreateNotifyRuleOptions): Promise<CreatedNotifyRule> {
    return this.notify.createNotifyRule(options);
  }

  lsNotifyRules(): Promise<NotifyRule[]> {
    return this.notify.lsNotifyRules();
  }

  deleteNotifyRule(ruleId: string): Promise<void> {
    return this.notify.deleteNotifyRule(ruleId);
  }

  testNotifyRule(ruleId: string): Promise<string> {
    return this.notify.testNotifyRule(ruleId);
  }

  lsNotifyDeliveries(options?: { limit?: number }): Promise<NotifyDelivery[]> {
    return this.notify.lsNotifyDeliveries(options);
  }

  async close(): Promise<void> {
    // Connections belong to Node's shared fetch agent; nothing to release per client.
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** Runs `work` for each index below `count`, 16 at a time: v1's one-request-per-item routes, without a batch route. */
async function inLanes(count: number, work: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(16, count) }, async () => {
    while (next < count) await work(next++);
  });
  await Promise.all(lanes);
}

function parseJsonOrText(text: string): JsonValue {
  try {
    return parseJson(text);
  } catch {
    return text;
  }
}
