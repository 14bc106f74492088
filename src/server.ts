/**
 * `labtasker-redis/server`: the server side. The broker (labtasker v1's semantics on Redis), the timeout sweep, the
 * HTTP server and its app, and Redis connections, including an embedded `redis-server`.
 */
export { Broker, type BrokerOptions } from "./broker/broker.js";
export { DirectLabtasker, type QueueCredentials } from "./broker/direct.js";
export { TimeoutSweeper, type SweeperOptions } from "./broker/sweeper.js";
export { serve, type RunningServer, type ServeOptions } from "./http/server.js";
export { createApp, type AppOptions, type LabtaskerApp } from "./http/app.js";
export { connectRedis, type ConnectOptions, type RedisConnection } from "./store/connection.js";
export { RedisBinaryNotFoundError, startEmbeddedRedis, type EmbeddedRedis, type EmbeddedRedisOptions } from "./store/embeddedRedis.js";
