/**
 * The records labtasker keeps, as every layer sees them. Field names are camelCase here; each wire protocol maps
 * them to its own documents (src/wire/v1: labtasker v1's snake_case names), and filters and sort specs use the v1
 * document names (`task_name`, `summary.acc`) because that is what users write.
 */
import type { JsonObject } from "../json.js";

export const TASK_STATUSES = ["pending", "running", "success", "failed", "cancelled"] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const WORKER_STATUSES = ["active", "suspended", "crashed"] as const;
export type WorkerStatus = (typeof WORKER_STATUSES)[number];

/** A task's command: a shell string or an argv list, as labtasker v1 stores it. */
export type TaskCommand = string | string[] | null;

export interface Task extends TaskExtensions {
  taskId: string;
  queueId: string;
  status: TaskStatus;
  taskName: string | null;
  createdAt: Date;
  startTime: Date | null;
  lastHeartbeat: Date | null;
  lastModified: Date;
  /** Seconds without a heartbeat after which a running task fails (and is retried). */
  heartbeatTimeout: number | null;
  /** Seconds a run may take in all, counted from its start. */
  taskTimeout: number | null;
  maxRetries: number;
  retries: number;
  priority: number;
  metadata: JsonObject;
  args: JsonObject;
  cmd: TaskCommand;
  summary: JsonObject;
  workerId: string | null;
}

/**
 * Extensions of the task model (docs/tasks.md), not in labtasker v1's document: each absent when unset, so a task that
 * uses none reads as v1's. In v1 documents only for a client that asks (src/wire/v1/taskExtensions.ts).
 */
export interface TaskExtensions {
  /** Ids of the tasks of the queue that must have succeeded before this one is fetched. */
  dependsOn?: string[];
  /** True while the task is pending with a dependency that has not succeeded (it is not fetchable). */
  waiting?: boolean;
  /** The dependency whose final failure or cancellation cancelled this task. */
  blockedBy?: string;
  /** Environment variables the loop sets for the task's command. */
  env?: Record<string, string>;
  /** Runs that may end by reaching their deadline and go back to pending without using a retry. */
  maxTimeouts?: number;
  /** Timeouts charged so far against {@link maxTimeouts}. */
  timeouts?: number;
}

export interface Worker {
  workerId: string;
  queueId: string;
  status: WorkerStatus;
  workerName: string | null;
  metadata: JsonObject;
  retries: number;
  maxRetries: number;
  createdAt: Date;
  lastModified: Date;
  /** What the worker's loop last sampled of its machine (an extension); absent until it sends some. */
  telemetry?: WorkerTelemetry;
}

/**
 * A worker's telemetry (an extension; `Labtasker.reportWorkerTelemetry`): a GPU pool's slot sends its GPU's use every
 * few seconds, for `worker ls` and the dashboard. The latest sample replaces the one before; it is no state
 * transition, so it writes no event and leaves `lastModified` alone.
 */
export interface WorkerTelemetry {
  /** The sample as the worker sent it (a pool: `{"gpu": {"index", "utilization_pct", "memory_used_mib", "memory_total_mib"}}`). */
  data: JsonObject;
  /** When the server received it. */
  updatedAt: Date;
}

export interface Queue {
  queueId: string;
  queueName: string;
  createdAt: Date;
  lastModified: Date;
  metadata: JsonObject;
}

/** One state transition, as labtasker v1 publishes it (contract 2.5). */
export interface QueueEvent {
  /** Per-queue counter starting at 1; also the SSE event id. */
  sequence: number;
  queueId: string;
  timestamp: Date;
  entityType: "task" | "worker";
  entityId: string;
  oldState: string;
  newState: string;
  /** The stored document after the change, in v1's shape: `_id`, snake_case keys, ISO datetimes. */
  entityData: JsonObject;
}
