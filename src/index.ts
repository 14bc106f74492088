/**
 * labtasker-redis: labtasker v1 on Redis. The package root is the client side, light to import:
 *
 * - The SDK (docs/sdk.md): `connect()`, the module-level functions (`submitTask`, `lsTasks`, `reportTaskStatus`, ...),
 *   `loop()`, `taskInfo()`, `finish()`, over a labtasker server or directly on Redis.
 * - The `Labtasker` API, implemented over HTTP (`HttpLabtasker`, against our server or labtasker v1's) and directly
 *   on Redis (`DirectLabtasker` over a `Broker`).
 * - Typed errors: match them with `instanceof`.
 *
 * The server side (`Broker`, `serve`, `createApp`, the timeout sweep, Redis connections) is `labtasker-redis/server`,
 * and the filter compiler is `labtasker-redis/filter`: they load Express, ioredis, BullMQ and JSONata, about 0.4 s
 * that scripts using only the client should not pay.
 */
export * from "./sdk/index.js";

export type * from "./core/api.js";
export type { Queue, QueueEvent, Task, TaskCommand, TaskStatus, Worker, WorkerStatus } from "./core/model.js";
export { TASK_STATUSES, WORKER_STATUSES } from "./core/model.js";
export * from "./core/errors.js";
export { FilterError, FilterSyntaxError, PythonLiteralError } from "./filter/errors.js";
export { LosslessNumber, isLosslessNumber, parseJson, stringifyJson, type JsonObject, type JsonValue } from "./json.js";
export { DirectLabtasker, type QueueCredentials } from "./broker/direct.js";
export { HttpLabtasker, type HttpLabtaskerOptions } from "./client/labtasker.js";
