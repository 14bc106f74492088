/**
 * What the store benchmarks run on: a labtasker queue through the broker in direct mode, and a BullMQ queue, both on
 * the same Redis, with the same 5-arg payload and a priority on every task.
 */
import { Queue, Worker, type ConnectionOptions, type Job } from "bullmq";
import { Redis } from "ioredis";
import { Broker } from "../../src/broker/broker.js";
import { DirectLabtasker } from "../../src/broker/direct.js";
import type { SubmitTaskOptions } from "../../src/core/api.js";
import { benchFilters } from "./filters.js";

/** The keys of every task's args, in the order a worker asks for them. */
export const ARG_KEYS = ["lr", "model", "bs", "seed", "epochs"] as const;

export type SweepArgs = { lr: number; model: string; bs: number; seed: number; epochs: number };

const MODELS = ["resnet50", "vit_b16", "convnext_tiny"];

/** Task i of a sweep: exactly the 5 args of {@link ARG_KEYS}; about 70 bytes of JSON. */
export function sweepArgs(i: number): SweepArgs {
  return { lr: 0.001 * (1 + (i % 10)), model: MODELS[i % MODELS.length]!, bs: 32 << i % 4, seed: i, epochs: 90 };
}

/** Priorities 1..10 on both sides (BullMQ: 1 is the highest, 0 means "no priority"; labtasker: higher first). */
export function priorityOf(i: number): number {
  return 1 + (i % 10);
}

export function sweepTask(i: number): SubmitTaskOptions {
  return { args: sweepArgs(i), priority: priorityOf(i) };
}

export function sweepJob(i: number): { name: string; data: SweepArgs; opts: { priority: number } } {
  return { name: "train", data: sweepArgs(i), opts: { priority: priorityOf(i) } };
}

/** Empties the whole server (the harness runs modules one at a time, so nothing else is using it). */
export async function flushAll(url: string): Promise<void> {
  const admin = new Redis(url);
  try {
    await admin.flushall("SYNC");
  } finally {
    admin.disconnect();
  }
}

export interface LabtaskerFixture extends AsyncDisposable {
  api: DirectLabtasker;
  broker: Broker;
  redis: Redis;
}

/**
 * A broker on one new connection, with one new queue and a DirectLabtasker bound to it, already authenticated (the
 * password check runs scrypt once per process; it is not what these benchmarks measure).
 */
export async function labtaskerQueue(url: string, keyPrefix = "bench"): Promise<LabtaskerFixture> {
  const redis = new Redis(url);
  const broker = new Broker({ redis, keyPrefix, filters: benchFilters });
  await broker.queues.create({ queueName: "sweep", password: "bench-password" });
  const api = new DirectLabtasker(broker, { queueName: "sweep", password: "bench-password" });
  await api.getQueue();
  const close = async (): Promise<void> => {
    await broker.close();
    redis.disconnect();
  };
  return { api, broker, redis, [Symbol.asyncDispose]: close };
}

/** BullMQ's connection options for `url`, as its docs ask for workers (no per-request retry limit). */
export function bullConnection(url: string): ConnectionOptions {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port), maxRetriesPerRequest: null };
}

export interface BullFixture extends AsyncDisposable {
  queue: Queue<SweepArgs>;
}

export async function bullQueue(url: string, prefix = "bull"): Promise<BullFixture> {
  const queue = new Queue<SweepArgs>("sweep", { connection: bullConnection(url), prefix });
  await queue.waitUntilReady();
  return { queue, [Symbol.asyncDispose]: () => queue.close() };
}

/**
 * A BullMQ worker with a no-op processor, not yet running (start it with `worker.run()`); `completed(n)` resolves once
 * n jobs have completed in all.
 */
export async function bullWorker(url: string, concurrency: number, prefix = "bull") {
  const worker = new Worker<SweepArgs>("sweep", async (_job: Job<SweepArgs>) => undefined, {
    connection: bullConnection(url),
    prefix,
    concurrency,
    autorun: false,
  });
  await worker.waitUntilReady();
  let done = 0;
  let failure: Error | undefined;
  let waiting: { target: number; resolve: () => void; reject: (error: Error) => void } | undefined;
  worker.on("completed", () => {
    done++;
    if (waiting && done >= waiting.target) waiting.resolve();
  });
  const fail = (error: Error) => {
    failure ??= error;
    waiting?.reject(error);
  };
  worker.on("error", fail);
  worker.on("failed", (_job, error) => fail(error));
  return {
    worker,
    /** Jobs completed so far. */
    count: () => done,
    completed(target: number): Promise<void> {
      if (failure) return Promise.reject(failure);
      if (done >= target) return Promise.resolve();
      return new Promise<void>((resolve, reject) => (waiting = { target, resolve, reject }));
    },
  };
}
