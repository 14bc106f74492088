/**
 * labtasker v2's 24 operations (src/core/v2/api.ts) on the same Redis records as v1's (docs/compat.md, "One store,
 * two views"), exposed as `broker.v2`. Each operation lives in the file of its kind; this class only binds them.
 */
import type { JsonObject } from "../../json.js";
import type {
  LabtaskerV2,
  V2FailureReport,
  V2ListTasksOptions,
  V2Page,
  V2TaskCreate,
  V2TaskGroupField,
  V2TaskSelection,
  V2TaskUpdate,
  V2WorkerGroupField,
  V2WorkerReport,
  V2WorkerSelection,
} from "../../core/v2/api.js";
import type { BrokerContext } from "../context.js";
import type { QueueService } from "../queues.js";
import { updateTasks } from "./bulk.js";
import { V2Context } from "./context.js";
import { putTask } from "./create.js";
import { countTaskGroups, countTasks, listTasks } from "./listing.js";
import { V2Queues } from "./queues.js";
import { claimTask, completeTask, failTask, heartbeat, reportProgress, unclaimTask } from "./runs.js";
import { cancelTask, deleteTask, getTask, requeueTask, updateTask } from "./tasks.js";
import { countWorkerGroups, countWorkers, deleteWorker, listWorkers, reportWorker, reportWorkerTelemetry } from "./workers.js";

export { DEFAULT_V2_LEASE_SECONDS, WORKER_OBSERVATION_TTL_MS } from "./context.js";

export class V2Broker implements LabtaskerV2 {
  private readonly v2: V2Context;
  private readonly queues: V2Queues;

  /** @param leaseSeconds the lease a claim or heartbeat gives (v2's is 300 s) */
  constructor(ctx: BrokerContext, queues: QueueService, leaseSeconds: number) {
    if (!(leaseSeconds > 0)) throw new RangeError(`v2LeaseSeconds must be a positive number of seconds (got ${leaseSeconds})`);
    this.v2 = new V2Context(ctx, Math.round(leaseSeconds * 1000));
    this.queues = new V2Queues(this.v2, queues);
  }

  listQueues() {
    return this.queues.listQueues();
  }
  ensureQueue(queue: string) {
    return this.queues.ensureQueue(queue);
  }
  deleteQueue(queue: string, options?: { cascade?: boolean }) {
    return this.queues.deleteQueue(queue, options);
  }

  putTask(queue: string, taskId: string, create: V2TaskCreate) {
    return putTask(this.v2, queue, taskId, create);
  }
  getTask(queue: string, taskId: string) {
    return getTask(this.v2, queue, taskId);
  }
  listTasks(queue: string, options?: V2ListTasksOptions) {
    return listTasks(this.v2, queue, options);
  }
  countTasks(queue: string, selection?: V2TaskSelection) {
    return countTasks(this.v2, queue, selection);
  }
  countTaskGroups(queue: string, selection: V2TaskSelection, groupBy: V2TaskGroupField[], page?: V2Page) {
    return countTaskGroups(this.v2, queue, selection, groupBy, page);
  }
  updateTask(queue: string, taskId: string, update: V2TaskUpdate) {
    return updateTask(this.v2, queue, taskId, update);
  }
  updateTasks(queue: string, selection: V2TaskSelection, changes: V2TaskUpdate) {
    return updateTasks(this.v2, queue, selection, changes);
  }

  claimTask(queue: string, route: string, runId: string) {
    return claimTask(this.v2, queue, route, runId);
  }
  heartbeat(queue: string, taskId: string, runId: string) {
    return heartbeat(this.v2, queue, taskId, runId);
  }
  reportProgress(queue: string, taskId: string, runId: string, progress: JsonObject) {
    return reportProgress(this.v2, queue, taskId, runId, progress);
  }
  completeTask(queue: string, taskId: string, runId: string, result: JsonObject) {
    return completeTask(this.v2, queue, taskId, runId, result);
  }
  failTask(queue: string, taskId: string, runId: string, error: V2FailureReport) {
    return failTask(this.v2, queue, taskId, runId, error);
  }
  unclaimTask(queue: string, taskId: string, runId: string) {
    return unclaimTask(this.v2, queue, taskId, runId);
  }
  cancelTask(queue: string, taskId: string) {
    return cancelTask(this.v2, queue, taskId);
  }
  requeueTask(queue: string, taskId: string) {
    return requeueTask(this.v2, queue, taskId);
  }
  deleteTask(queue: string, taskId: string) {
    return deleteTask(this.v2, queue, taskId);
  }

  listWorkers(queue: string, options?: V2WorkerSelection) {
    return listWorkers(this.v2, queue, options);
  }
  countWorkers(queue: string, filter?: string | null) {
    return countWorkers(this.v2, queue, filter);
  }
  countWorkerGroups(queue: string, filter: string | null, groupBy: V2WorkerGroupField[], page?: V2Page) {
    return countWorkerGroups(this.v2, queue, filter, groupBy, page);
  }
  reportWorker(queue: string, workerId: string, report: V2WorkerReport) {
    return reportWorker(this.v2, queue, workerId, report);
  }
  reportWorkerTelemetry(queue: string, workerId: string, telemetry: JsonObject) {
    return reportWorkerTelemetry(this.v2, queue, workerId, telemetry);
  }
  deleteWorker(queue: string, workerId: string) {
    return deleteWorker(this.v2, queue, workerId);
  }
}
