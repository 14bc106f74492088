/**
 * The conformance suite's view of our Redis, standing in for the MongoDB handle that labtasker's own tests use as
 * `db_fixture` (their DBService): they read stored documents back (`db._tasks.find_one(...)`), create tasks and
 * workers and fetch directly in the database, and erase it between tests. This process does the same on our store,
 * with our broker and codecs (documents in v1's MongoDB shape: `_id`, snake_case keys), one JSON request per line on
 * stdin, one JSON answer per line on stdout (`{"ok": value}` or `{"error": message}`).
 *
 *   tsx storeBridge.ts <redis url>
 *
 * Requests: {"op": "erase"}, {"op": "find", "collection": "queues" | "tasks" | "workers"} (every document; the caller
 * matches), {"op": "createTask" | "createWorker" | "fetchTask", "queueId", "options"}, {"op": "insertTask", "doc"}.
 */
import { createInterface } from "node:readline";
import type { FetchTaskOptions, SubmitTaskOptions } from "../../src/core/api.js";
import { Broker } from "../../src/broker/broker.js";
import { argsSignature } from "../../src/broker/requiredFields.js";
import { stringifyJson, type JsonObject } from "../../src/json.js";
import { TASK_STATUSES, type TaskCommand } from "../../src/core/model.js";
import { taskFilterView, workerFilterView } from "../../src/store/codecs.js";
import { ScriptCode } from "../../src/store/scriptCodes.js";
import { taskIdOfMember } from "../../src/store/store.js";

const url = process.argv[2];
if (!url) {
  console.error("usage: storeBridge.ts <redis url>");
  process.exit(2);
}
const broker = Broker.connect(url, {});
const { store } = broker;

type Doc = Record<string, unknown>;

async function queues(): Promise<Doc[]> {
  const out: Doc[] = [];
  for (const queueId of await store.allQueueIds()) {
    const hash = await store.readQueue(queueId);
    if (hash === null) continue;
    out.push({
      _id: queueId,
      queue_name: hash.queue_name,
      password: hash.password,
      created_at: new Date(Number(hash.created_at)),
      last_modified: new Date(Number(hash.last_modified)),
      metadata: JSON.parse(hash.metadata ?? "{}") as unknown,
    });
  }
  return out;
}

async function tasks(): Promise<Doc[]> {
  const out: Doc[] = [];
  for (const queueId of await store.allQueueIds()) {
    for (const status of TASK_STATUSES) {
      const indexes = await store.statusIndexKeys(queueId, status);
      const taskIds = (await Promise.all(indexes.map((key) => store.rangeIndex(key, 0, -1)))).flat().map(taskIdOfMember);
      const hashes = await store.readTasks(queueId, taskIds);
      hashes.forEach((hash, i) => hash && out.push(taskFilterView(queueId, taskIds[i]!, hash)));
    }
  }
  return out;
}

async function workers(): Promise<Doc[]> {
  const out: Doc[] = [];
  for (const queueId of await store.allQueueIds()) {
    const workerIds = await store.allWorkerIds(queueId);
    const hashes = await store.readWorkers(queueId, workerIds);
    hashes.forEach((hash, i) => hash && out.push(workerFilterView(queueId, workerIds[i]!, hash)));
  }
  return out;
}

const collections = { queues, tasks, workers };

/** v1's DBService.create_task keyword arguments -> our submit options. */
function submitOptions(options: Doc): SubmitTaskOptions {
  return {
    taskName: options.task_name as string | null | undefined,
    args: options.args as JsonObject | null | undefined,
    metadata: options.metadata as JsonObject | null | undefined,
    cmd: options.cmd as TaskCommand | undefined,
    heartbeatTimeout: options.heartbeat_timeout as number | null | undefined,
    taskTimeout: options.task_timeout as number | null | undefined,
    maxRetries: options.max_retries as number | undefined,
    priority: options.priority as number | undefined,
  };
}

/**
 * A task document inserted as is (`db._tasks.insert_one(doc)`, no validation, as in MongoDB), with the id the test
 * chose: pending, or running and held by `doc.worker_id` (a worker of that id is registered first when there is
 * none). Other states are refused: no test inserts them.
 */
async function insertTask(doc: Doc): Promise<string> {
  const queueId = String(doc.queue_id);
  const taskId = String(doc._id);
  const status = doc.status;
  if (status !== "pending" && status !== "running") throw new Error(`insertTask: status ${String(status)} is not emulated`);
  const now = Date.now();
  const args = (doc.args ?? {}) as JsonObject;
  const optional = (value: unknown) => (value == null ? null : String(value));
  const record = {
    taskId,
    taskName: doc.task_name == null ? null : String(doc.task_name),
    argsJson: stringifyJson(args),
    metadataJson: stringifyJson(doc.metadata ?? {}),
    cmdJson: stringifyJson(doc.cmd ?? ""),
    heartbeatTimeout: optional(doc.heartbeat_timeout),
    taskTimeout: optional(doc.task_timeout),
    maxRetries: Number(doc.max_retries ?? 3),
    priority: Number(doc.priority ?? 10),
    signature: argsSignature(Object.keys(args)),
  };
  expectCode(await store.submitTasks(queueId, now, [record]), "submitTasks");
  if (status === "running") {
    const workerId = doc.worker_id == null ? null : String(doc.worker_id);
    if (workerId !== null && (await store.readWorker(queueId, workerId)) === null) {
      expectCode(await store.createWorker(queueId, now, workerId, null, "{}", 3), "createWorker");
    }
    const { reply } = await store.claimTask(queueId, now, taskId, {
      workerId,
      requiredSpec: null,
      startHeartbeat: doc.last_heartbeat != null,
      heartbeatTimeout: null,
      taskTimeout: null,
      cmdJson: "null",
      expireLimit: 0,
    });
    expectCode(reply, "claimTask");
  }
  return taskId;
}

function expectCode(reply: ReadonlyArray<unknown>, what: string): void {
  if (reply[0] !== ScriptCode.OK) throw new Error(`${what} answered ${JSON.stringify(reply)}`);
}

async function handle(request: Doc): Promise<unknown> {
  const options = (request.options ?? {}) as Doc;
  const queueId = String(request.queueId);
  switch (request.op) {
    case "erase":
      await store.redis.flushdb();
      return null;
    case "find":
      return collections[request.collection as keyof typeof collections]();
    case "createTask":
      return (await broker.tasks.submit(queueId, [submitOptions(options)]))[0];
    case "createWorker":
      return broker.workers.create(queueId, {
        workerName: options.worker_name as string | null | undefined,
        metadata: options.metadata as JsonObject | null | undefined,
        maxRetries: options.max_retries as number | undefined,
      });
    case "fetchTask": {
      const fetch: FetchTaskOptions = {
        workerId: options.worker_id as string | null | undefined,
        etaMax: options.eta_max as string | null | undefined,
        heartbeatTimeout: options.heartbeat_timeout as number | null | undefined,
        startHeartbeat: options.start_heartbeat as boolean | undefined,
        requiredFields: options.required_fields as string[] | null | undefined,
        extraFilter: options.extra_filter as Record<string, unknown> | null | undefined,
        cmd: options.cmd as TaskCommand | undefined,
      };
      const task = await broker.tasks.fetch(queueId, fetch);
      return task === null ? null : taskFilterView(queueId, task.taskId, (await store.readTask(queueId, task.taskId))!);
    }
    case "insertTask":
      return insertTask(request.doc as Doc);
    default:
      throw new Error(`unknown op ${String(request.op)}`);
  }
}

// One request at a time, in order: the caller waits for each answer.
const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  let answer: string;
  try {
    answer = JSON.stringify({ ok: (await handle(JSON.parse(line) as Doc)) ?? null });
  } catch (error) {
    answer = JSON.stringify({ error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
  }
  process.stdout.write(`${answer}\n`);
}
await broker.close();
