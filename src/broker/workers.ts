/** Workers: creation, status reports (activate, suspend), lookup and deletion (contract 3.2, 3.3). */
import { randomUUID } from "node:crypto";
import { isJsonObject, stringifyJson, type JsonObject } from "../json.js";
import type { Worker, WorkerStatus } from "../core/model.js";
import { WORKER_STATUSES } from "../core/model.js";
import { decodeWorker } from "../store/codecs.js";
import type { CreateWorkerOptions } from "../core/api.js";
import type { BrokerContext } from "./context.js";
import { BadRequestError, ValidationError, WorkerNotFoundError } from "../core/errors.js";
import { expectOk } from "./scriptErrors.js";
import { assertNoIssues, assertSafeKeys, dictKeyIssues, integerIssues, nameIssues, unflatten } from "../core/validation.js";
import { WORKER_DEFAULTS } from "../core/defaults.js";

/**
 * The largest telemetry sample, as JSON text. A pool's sample of one GPU is about 100 bytes; 4 KiB leaves room for a
 * few GPUs or counters more while keeping a worker's HASH, and `worker ls` pages, small.
 */
export const TELEMETRY_MAX_BYTES = 4096;

export class WorkerService {
  constructor(private readonly ctx: BrokerContext) {}

  /**
   * Registers a worker. Unlike v1, a name that breaks the name pattern is refused here (422): v1 accepts it and then
   * fails with 500 on every listing of the queue's workers.
   */
  async create(queueId: string, options: CreateWorkerOptions = {}): Promise<string> {
    const maxRetries = options.maxRetries ?? WORKER_DEFAULTS.maxRetries;
    assertNoIssues([
      ...(options.workerName == null ? [] : nameIssues(options.workerName, ["body", "worker_name"])),
      ...dictKeyIssues(options.metadata, ["body", "metadata"]),
      ...integerIssues(maxRetries, ["body", "max_retries"]),
    ]);
    const workerId = randomUUID();
    const metadata = stringifyJson(unflatten(options.metadata ?? {}));
    const reply = await this.ctx.store.createWorker(queueId, this.ctx.now(), workerId, options.workerName ?? null, metadata, Number(maxRetries));
    expectOk(reply, { operation: "queue", queueId });
    return workerId;
  }

  async get(queueId: string, workerId: string): Promise<Worker> {
    const hash = await this.ctx.store.readWorker(queueId, workerId);
    if (hash === null) throw new WorkerNotFoundError(workerId);
    return decodeWorker(queueId, workerId, hash);
  }

  /**
   * activate() or suspend() a worker. `crashed` passes v1's request schema but v1's server has no branch for it
   * and answers 400 "Invalid report_status: crashed"; this keeps that answer (a worker is crashed by its failures).
   */
  async report(queueId: string, workerId: string, status: WorkerStatus): Promise<void> {
    if (!WORKER_STATUSES.includes(status)) {
      throw new ValidationError([{ loc: ["body", "status"], msg: "String should match pattern '^(active|suspended|crashed)$'", type: "string_pattern_mismatch", input: status }]);
    }
    if (status === "crashed") throw new BadRequestError("400: Invalid report_status: crashed");
    const reply = await this.ctx.store.reportWorker(queueId, this.ctx.now(), workerId, status);
    expectOk(reply, { operation: "reportWorker", queueId, workerId });
  }

  /**
   * Replaces the worker's telemetry with a new sample (an extension): a JSON object of at most
   * {@link TELEMETRY_MAX_BYTES} as JSON text, stored as sent with the time it came.
   */
  async setTelemetry(queueId: string, workerId: string, data: JsonObject): Promise<void> {
    if (!isJsonObject(data)) {
      throw new ValidationError([{ loc: ["body", "telemetry"], msg: "Input should be a valid dictionary", type: "dict_type", input: data as unknown }]);
    }
    assertSafeKeys(data);
    const text = stringifyJson(data);
    if (Buffer.byteLength(text) > TELEMETRY_MAX_BYTES) {
      throw new BadRequestError(`telemetry must be at most ${TELEMETRY_MAX_BYTES} bytes of JSON (got ${Buffer.byteLength(text)})`);
    }
    const reply = await this.ctx.store.setWorkerTelemetry(queueId, this.ctx.now(), workerId, text);
    expectOk(reply, { operation: "reportWorker", queueId, workerId });
  }

  async delete(queueId: string, workerId: string, cascadeUpdate: boolean): Promise<void> {
    const reply = await this.ctx.store.deleteWorker(queueId, this.ctx.now(), workerId, cascadeUpdate);
    expectOk(reply, { operation: "deleteWorker", queueId, workerId });
  }
}
