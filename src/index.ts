/**
 * labtasker-redis: labtasker v1 on Redis. The `Labtasker` API is implemented over HTTP (`HttpLabtasker`, against our
 * server or labtasker v1's) and directly on Redis (`DirectLabtasker` over a `Broker`).
 */
export type * from "./broker/api.js";
export type { Queue, QueueEvent, Task, TaskCommand, TaskStatus, Worker, WorkerStatus } from "./model.js";
export { TASK_STATUSES, WORKER_STATUSES } from "./model.js";
export * from "./broker/errors.js";
export { Broker, type BrokerOptions } from "./broker/broker.js";
export { DirectLabtasker, type QueueCredentials } from "./broker/direct.js";
export { TimeoutSweeper, type SweeperOptions } from "./broker/sweeper.js";
export { HttpLabtasker, type HttpLabtaskerOptions } from "./client/labtasker.js";
export { serve, type RunningServer, type ServeOptions } from "./http/server.js";
export { createApp, type AppOptions } from "./http/app.js";
export { connectRedis, type RedisConnection } from "./store/connection.js";
export { startEmbeddedRedis, type EmbeddedRedis, type EmbeddedRedisOptions, RedisBinaryNotFoundError } from "./store/embeddedRedis.js";
export { FilterError, compileFilter, toWireFilter, parsePythonLiteral } from "./filter/index.js";
export { LosslessNumber, isLosslessNumber, parseJson, stringifyJson, type JsonObject, type JsonValue } from "./json.js";
