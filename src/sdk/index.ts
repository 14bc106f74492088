/**
 * The TypeScript SDK: labtasker v1's Python API (`submit_task`, `@labtasker.loop()`, `task_info`, `ls_tasks`, ...)
 * in camelCase, over a labtasker server or directly on Redis. The package root re-exports all of it; see
 * docs/sdk.md for a tour and the mapping from Python.
 */
export { connect, type ConnectOptions } from "./connect.js";
export {
  LabtaskerClient,
  type ClientCreateQueueOptions,
  type ClientEventsOptions,
  type DeleteEachOptions,
  type IterateOptions,
  type LabtaskerClientOptions,
  type SettledUpdateOptions,
  type SubmitTasksOptions,
  type SubmitTasksDetailedOptions,
  type TaskIterateOptions,
  type TaskListOptions,
  type UpdateOutcome,
  type WorkerIterateOptions,
  type WorkerListOptions,
} from "./client.js";
export { closeDefaultClient, configure, defaultClient, withClient } from "./scope.js";
export {
  createQueue,
  createWorker,
  deleteQueue,
  deleteTask,
  deleteWorker,
  events,
  fetchTask,
  finish,
  getQueue,
  getTask,
  getWorker,
  health,
  iterTasks,
  iterWorkers,
  lsTasks,
  lsWorkers,
  refreshTaskHeartbeat,
  reportTaskStatus,
  reportWorkerStatus,
  submitTask,
  submitTasks,
  updateQueue,
  updateTasks,
} from "./functions.js";
export { loop, type HandlerArgs, type LoopContext, type LoopHandler, type LoopOptions, type LoopResult } from "./loop.js";
export type { ArgParser, ArgResolver, ArgSpec, ArgValue, ArgsSchema, ParsedArgs } from "./schema.js";
export type { SortInput } from "./sort.js";
export { ArgsError, LoopOptionsError } from "./errors.js";
export { ConfigError } from "../config/connect.js";
export {
  NoTaskError,
  currentLogDir,
  currentTaskId,
  currentWorkerId,
  isEnabled,
  remainingTime,
  taskInfo,
  type FinishOptions,
  type FinishStatus,
} from "../runner/context.js";
export { silentLogger, stderrLogger, type LoopLogger, type StderrLoggerOptions } from "../runner/logger.js";
export { JobTimedOutError } from "../runner/deadline.js";
export type { InternalErrorHandler, Prompter, ChoiceRequest, Choice, StopSignal } from "../runner/index.js";
