/**
 * Direct mode: the {@link Labtasker} API bound to one queue, straight on Redis, with no server in between.
 * Whoever can reach Redis can read and change every queue there; the queue password is still checked (once per
 * process) so a misconfigured client fails as it would against a server, but it protects nothing on its own.
 */
import type { Queue, QueueEvent, Task, Worker, WorkerStatus } from "../core/model.js";
import { retryBackoffMs, sleep } from "../sleep.js";
import type { JsonObject } from "../json.js";
import type {
  ClientExtension,
  CountTasksOptions,
  CreateQueueOptions,
  CreateWorkerOptions,
  EventsOptions,
  FetchTaskOptions,
  HealthStatus,
  Labtasker,
  LsResult,
  LsTasksOptions,
  LsWorkersOptions,
  ReadTaskLogOptions,
  ReportStatus,
  ReportTaskStatusOptions,
  SubmitTaskOptions,
  SubmittedTask,
  TaskLogAppend,
  TaskLogBatchEntry,
  TaskLogBatchResult,
  TaskLogChunk,
  TaskCounts,
  TaskUpdate,
  UpdateQueueOptions,
  UpdateTasksOptions,
} from "../core/api.js";
import { batches } from "../core/batches.js";
import { REQUEST_BATCH } from "../core/defaults.js";
import { isRedisUnavailable } from "../core/transient.js";
import type { CreateNotifyRuleOptions, CreatedNotifyRule, NotifyDelivery, NotifyRule } from "../core/notify.js";
import type { Broker } from "./broker.js";

export interface QueueCredentials {
  /** The queue's name or id. */
  queueName: string;
  password: string;
}

/**
 * Runs a worker's report or heartbeat again while Redis cannot be reached (each try waits about 10 s for it), with
 * the HTTP client's backoff, so a worker rides out a Redis restart in direct mode as it does through a server. Only
 * for these two: a repeated report that did apply is refused as the task's holder changed, which workers handle.
 */
async function whileRedisAway<T>(operation: () => Promise<T>, attempts = 10): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (attempt >= attempts || !isRedisUnavailable(error)) throw error;
      await sleep(retryBackoffMs(attempt));
    }
  }
}

export class DirectLabtasker implements Labtasker {
  private queueId: Promise<string> | undefined;

  constructor(
    private readonly broker: Broker,
    private credentials: QueueCredentials,
    private readonly ownsBroker = false,
  ) {}

  /** The bound queue's id, authenticated on first use. */
  private id(): Promise<string> {
    this.queueId ??= this.broker.queues.authenticate(this.credentials.queueName, this.credentials.password).catch((error: unknown) => {
      this.queueId = undefined;
      throw error;
    });
    return this.queueId;
  }

  health(): Promise<HealthStatus> {
    return this.broker.health();
  }

  createQueue(options: CreateQueueOptions): Promise<string> {
    return this.broker.queues.create(options);
  }

  async getQueue(): Promise<Queue> {
    return this.broker.queues.get(await this.id());
  }

  async updateQueue(options: UpdateQueueOptions): Promise<Queue> {
    const queue = await this.broker.queues.update(await this.id(), options);
    if (options.newPassword) this.credentials = { ...this.credentials, password: options.newPassword };
    return queue;
  }

  async deleteQueue(options: { cascadeDelete?: boolean } = {}): Promise<void> {
    await this.broker.queues.delete(await this.id(), options.cascadeDelete ?? true);
    this.queueId = undefined;
  }

  async submitTask(options: SubmitTaskOptions): Promise<string> {
    const [taskId] = await this.broker.tasks.submit(await this.id(), [options]);
    return taskId!;
  }

  async submitTasks(tasks: SubmitTaskOptions[]): Promise<string[]> {
    return this.broker.tasks.submit(await this.id(), tasks);
  }

  async submitTasksDetailed(tasks: SubmitTaskOptions[]): Promise<SubmittedTask[]> {
    return this.broker.tasks.submitDetailed(await this.id(), tasks);
  }

  async getTask(taskId: string): Promise<Task> {
    return this.broker.tasks.get(await this.id(), taskId);
  }

  async lsTasks(options?: LsTasksOptions): Promise<LsResult<Task>> {
    return this.broker.listing.tasks(await this.id(), options);
  }

  async countTasks(options?: CountTasksOptions): Promise<TaskCounts> {
    return this.broker.listing.counts(await this.id(), options);
  }

  async supports(_extension: ClientExtension): Promise<boolean> {
    return true;
  }

  async updateTasks(updates: TaskUpdate[], options?: UpdateTasksOptions): Promise<LsResult<Task>> {
    return this.broker.tasks.update(await this.id(), updates, options);
  }

  async deleteTask(taskId: string): Promise<void> {
    return this.broker.tasks.delete(await this.id(), taskId);
  }

  async deleteTasks(taskIds: readonly string[]): Promise<string[]> {
    const queueId = await this.id();
    const missing: string[] = [];
    for (const batch of batches(taskIds, REQUEST_BATCH)) missing.push(...(await this.broker.tasks.deleteMany(queueId, batch)));
    return missing;
  }

  async fetchTask(options?: FetchTaskOptions): Promise<Task | null> {
    return this.broker.tasks.fetch(await this.id(), options);
  }

  async reportTaskStatus(taskId: string, status: ReportStatus, options?: ReportTaskStatusOptions): Promise<void> {
    return whileRedisAway(async () => this.broker.tasks.report(await this.id(), taskId, status, options));
  }

  async refreshTaskHeartbeat(taskId: string, workerId?: string | null): Promise<void> {
    return whileRedisAway(async () => this.broker.tasks.heartbeat(await this.id(), taskId, workerId ?? null));
  }

  async createWorker(options?: CreateWorkerOptions): Promise<string> {
    return this.broker.workers.create(await this.id(), options);
  }

  async lsWorkers(options?: LsWorkersOptions): Promise<LsResult<Worker>> {
    return this.broker.listing.workers(await this.id(), options);
  }

  async getWorker(workerId: string): Promise<Worker> {
    return this.broker.workers.get(await this.id(), workerId);
  }

  async reportWorkerStatus(workerId: string, status: WorkerStatus): Promise<void> {
    return this.broker.workers.report(await this.id(), workerId, status);
  }

  async reportWorkerTelemetry(workerId: string, data: JsonObject): Promise<void> {
    return this.broker.workers.setTelemetry(await this.id(), workerId, data);
  }

  async deleteWorker(workerId: string, options: { cascadeUpdate?: boolean } = {}): Promise<void> {
    return this.broker.workers.delete(await this.id(), workerId, options.cascadeUpdate ?? true);
  }

  async appendTaskLog(taskId: string, chunk: TaskLogAppend): Promise<number> {
    return this.broker.logs.append(await this.id(), taskId, chunk);
  }

  async appendTaskLogs(entries: readonly TaskLogBatchEntry[]): Promise<TaskLogBatchResult[]> {
    return this.broker.logs.appendMany(await this.id(), entries);
  }

  async readTaskLog(taskId: string, options?: ReadTaskLogOptions): Promise<TaskLogChunk> {
    return this.broker.logs.read(await this.id(), taskId, options);
  }

  /** Rules are checked here without the server's allow-list: the server that delivers checks the host. */
  async createNotifyRule(options: CreateNotifyRuleOptions): Promise<CreatedNotifyRule> {
    return this.broker.notifications.create(await this.id(), options, null);
  }

  async lsNotifyRules(): Promise<NotifyRule[]> {
    return this.broker.notifications.list(await this.id());
  }

  async deleteNotifyRule(ruleId: string): Promise<void> {
    return this.broker.notifications.delete(await this.id(), ruleId);
  }

  /** Queues the test message; a server running on this Redis sends it. */
  async testNotifyRule(ruleId: string): Promise<string> {
    return this.broker.notifications.test(await this.id(), ruleId);
  }

  async lsNotifyDeliveries(options: { limit?: number } = {}): Promise<NotifyDelivery[]> {
    return this.broker.notifications.deliveries(await this.id(), options.limit);
  }

  async *events(options: EventsOptions = {}): AsyncGenerator<QueueEvent> {
    yield* this.broker.events.subscribe(await this.id(), options);
  }

  async close(): Promise<void> {
    if (this.ownsBroker) await this.broker.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
