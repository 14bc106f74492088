/**
 * How a task id is kept in Redis: a field of the tasks HASH, the tail of an index member, a member of a worker's task
 * set and of the deadline index, a task event's entity_id. Ids are UUIDs, stored as their 16 bytes rather than 36
 * characters: that saves 16 bytes a task in the HASH and makes an index member 27 bytes, which Redis keeps in 32
 * where 47 would take 56. Nothing above the store sees the bytes: it reads them back into text here, and passes ids
 * to the scripts as text (see {@link taskIdArgument}), which convert them (lua/includes/ids.lua).
 */

/** A task id as this server creates it: a UUID in lowercase (randomUUID). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The stored form of a task id. Any other string (a client may name any id) is its UTF-8 bytes, which name no stored
 * task: v1 too finds only the exact id, so an id in capitals is not found either.
 */
export function storedTaskId(taskId: string): Buffer {
  return UUID.test(taskId) ? Buffer.from(taskId.replaceAll("-", ""), "hex") : Buffer.from(taskId, "utf8");
}

/**
 * A task id as a script takes it: a UUID as it is, any other string as "-", which names no task. Text, not bytes:
 * ioredis writes a command with any Buffer argument as bytes, 5 to 10 µs more a call than as a string.
 */
export function taskIdArgument(taskId: string): string {
  return UUID.test(taskId) ? taskId : "-";
}

/** The argument for the id of a task being created, which must be a UUID. */
export function newTaskIdArgument(taskId: string): string {
  if (!UUID.test(taskId)) throw new RangeError(`a task id must be a UUID in lowercase (got '${taskId}')`);
  return taskId;
}

/** A task id read from Redis. */
export function taskIdFromStored(stored: Buffer): string {
  if (stored.length !== 16) return stored.toString("utf8");
  const hex = stored.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
