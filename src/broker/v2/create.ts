/**
 * v2's create-by-id (PUT /api/v2/queues/{queue}/tasks/{task_id}): the client chooses the id, and sending the same
 * creation again (a retry) returns the task as it is now, while another creation under that id is refused. What
 * "the same" means is 2.8.0's: the request with its defaults filled in, routes sorted, dependencies left out when
 * none, compared as canonical JSON; we keep a fingerprint of it on the task (base64url of the first 16 bytes of its
 * SHA-256: 22 bytes where the digest's hex would take 64). A task created by v1, or under 2.8.0's own server, has no
 * fingerprint of ours: a PUT of its id is a conflict.
 */
import { hash as hashOnce } from "node:crypto";
import { stringifyJson, type JsonObject } from "../../json.js";
import { V2Error } from "../../core/v2/errors.js";
import type { V2TaskCreate } from "../../core/v2/api.js";
import type { V2Task } from "../../core/v2/model.js";
import { isStorableTaskId, TASK_ID_PATTERN } from "../../store/taskIds.js";
import { argsSignature } from "../requiredFields.js";
import type { V2Context } from "./context.js";
import { expectOk } from "./errors.js";
import { canonicalJson, storedDependencies, storedRoutes } from "./fields.js";
import { assertTaskDataSize, MAX_TASK_DATA_BYTES, taskDataTooLarge } from "./size.js";
import { v2TaskView } from "./view.js";

/** The creation request with 2.8.0's defaults, as fingerprinted. */
function normalized(create: V2TaskCreate): JsonObject {
  const routes = [...new Set(create.routes ?? ["default"])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const request: JsonObject = {
    name: create.name ?? null,
    args: create.args ?? {},
    metadata: create.metadata ?? {},
    priority: create.priority ?? 0,
    max_attempts: create.max_attempts ?? 3,
    routes,
  };
  // Without dependencies the fingerprint is the one of a request that could not name them (2.8.0 keeps its
  // pre-2.7 creation hashes the same way).
  if (create.dependencies !== undefined && create.dependencies.length > 0) request.dependencies = create.dependencies;
  return request;
}

function fingerprintOf(canonical: string): string {
  // The one-shot hash: a Hash object per call cost more than the digest of a small request.
  return hashOnce("sha256", canonical, "buffer").subarray(0, 16).toString("base64url");
}

export function creationFingerprint(create: V2TaskCreate): string {
  return fingerprintOf(canonicalJson(normalized(create)));
}

/** `,"result":{}`: what a new task's stored data (./size.ts) holds beyond its creation request, wherever it sorts. */
const EMPTY_RESULT_BYTES = 12;

export async function putTask(v2: V2Context, queue: string, taskId: string, create: V2TaskCreate): Promise<{ task: V2Task; created: boolean }> {
  if (!TASK_ID_PATTERN.test(taskId)) {
    throw new V2Error("invalid_task_id", `A task id is t_ and 12 of A-Z a-z 0-9 _ - (got '${taskId}').`, { task_id: taskId });
  }
  const dependencies = create.dependencies ?? [];
  const invalid = dependencies.find((id) => !isStorableTaskId(id));
  if (invalid !== undefined) throw new V2Error("invalid_task", `Dependency '${invalid}' is not a task id.`, { dependency: invalid });
  const args = create.args ?? {};
  const request = normalized(create);
  const canonical = canonicalJson(request);
  // The new task's stored data is its creation request with an empty result, so its size is the request's canonical
  // JSON and EMPTY_RESULT_BYTES (a length does not depend on the keys' order): one serialization for the fingerprint
  // and the size. Routes given twice (v2 refuses them over HTTP) are measured as given, not as stored: the full way.
  const routes = create.routes ?? ["default"];
  if ((request.routes as string[]).length === routes.length) {
    if (Buffer.byteLength(canonical, "utf8") + EMPTY_RESULT_BYTES > MAX_TASK_DATA_BYTES) throw taskDataTooLarge();
  } else {
    assertTaskDataSize({
      name: create.name ?? null, args, metadata: create.metadata ?? {}, priority: create.priority ?? 0, max_attempts: create.max_attempts ?? 3,
      routes, dependencies, result: {}, progress: null,
    });
  }
  const record = {
    taskId,
    creation: fingerprintOf(canonical),
    name: create.name ?? null,
    argsJson: stringifyJson(args),
    metadataJson: stringifyJson(create.metadata ?? {}),
    priority: create.priority ?? 0,
    maxRetries: create.max_attempts ?? 3,
    routesJson: storedRoutes(create.routes),
    dependenciesJson: storedDependencies(dependencies),
    signature: argsSignature(Object.keys(args)),
  };
  const { reply, hash } = await v2.withQueue(queue, (queueId) => v2.scripts.createTask(queueId, v2.now(), record));
  expectOk(reply, { queue, taskId });
  return { task: v2TaskView(queue, taskId, hash!), created: Number(reply[1]) === 1 };
}
