/**
 * How a task id is kept in Redis: a field of the tasks HASH, the tail of an index member, a member of a worker's task
 * set and of the deadline index, a task event's entity_id. Nothing above the store sees the stored bytes: it reads
 * them back into text here, and passes ids to the scripts as text (see {@link taskIdArgument}), which convert them
 * (lua/includes/ids.lua).
 *
 * Two forms of id exist, told apart by their stored length:
 * - `t_` + 12 characters of `A-Z a-z 0-9 _ -` (labtasker v2's form, which labtasker 1.0.1's client accepts too, as it
 *   treats ids as opaque strings): every task this server creates, through either protocol, and every id a v2 client
 *   chooses. The 12 characters are base64url, 72 bits: stored as their 9 bytes. That makes an index member 20 bytes,
 *   which Redis keeps in a 24-byte allocation, where the 12 characters (23 bytes) would take 32.
 * - a UUID, stored as its 16 bytes: the tasks created before this form (layouts 1 and 2), which stay readable.
 */
import { randomBytes, randomFillSync } from "node:crypto";

/** A task id as earlier versions created it: a UUID in lowercase (randomUUID). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** A task id of labtasker v2's form (the v2 client refuses any other). */
export const TASK_ID_PATTERN = /^t_[A-Za-z0-9_-]{12}$/;

/** Ids minted from one fill of crypto random bytes: one `randomBytes(9)` a task cost 2 to 5 µs of a bulk submit's. */
const POOLED_IDS = 1024;
const ID_BYTES = 9;
const idPool = Buffer.alloc(POOLED_IDS * ID_BYTES);
let idPoolOffset = idPool.length;

/** A new task id: `t_` and 12 base64url characters of 9 random bytes (crypto random, drawn from a pool as randomUUID does). */
export function mintTaskId(): string {
  if (idPoolOffset === idPool.length) {
    randomFillSync(idPool);
    idPoolOffset = 0;
  }
  const id = `t_${idPool.toString("base64url", idPoolOffset, idPoolOffset + ID_BYTES)}`;
  idPoolOffset += ID_BYTES;
  return id;
}

/** A new run id, for a v1 claim (v2 clients choose their own): `r_` and 12 base64url characters. */
export function mintRunId(): string {
  return `r_${randomBytes(9).toString("base64url")}`;
}

/** Whether a string is a task id this store can hold: the v2 form, or a UUID of an earlier version. */
export function isStorableTaskId(taskId: string): boolean {
  return TASK_ID_PATTERN.test(taskId) || UUID.test(taskId);
}

/**
 * The stored form of a task id. Any other string (a client may name any id) is its UTF-8 bytes, which name no stored
 * task: v1 too finds only the exact id, so an id in capitals is not found either.
 */
export function storedTaskId(taskId: string): Buffer {
  if (TASK_ID_PATTERN.test(taskId)) return Buffer.from(taskId.slice(2), "base64url");
  return UUID.test(taskId) ? Buffer.from(taskId.replaceAll("-", ""), "hex") : Buffer.from(taskId, "utf8");
}

/**
 * A task id as a script takes it: an id of either form as it is, any other string as "-", which names no task. Text,
 * not bytes: ioredis writes a command with any Buffer argument as bytes, 5 to 10 µs more a call than as a string.
 */
export function taskIdArgument(taskId: string): string {
  return isStorableTaskId(taskId) ? taskId : "-";
}

/**
 * The argument for the id of a task being created: of the v2 form (what this server mints, and what a v2 client
 * chooses), or a UUID in lowercase (a task written by a tool with an id of the earlier form, as v1's database allowed).
 */
export function newTaskIdArgument(taskId: string): string {
  if (!isStorableTaskId(taskId)) throw new RangeError(`a new task id must be t_ and 12 of A-Z a-z 0-9 _ -, or a UUID in lowercase (got '${taskId}')`);
  return taskId;
}

/** A task id read from Redis. */
export function taskIdFromStored(stored: Buffer): string {
  if (stored.length === 9) return `t_${stored.toString("base64url")}`;
  if (stored.length !== 16) return stored.toString("utf8");
  const hex = stored.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
