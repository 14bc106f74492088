/**
 * Reading every task of a queue for an evaluation over all of them (a filtered count, a sorted listing): the stored
 * ids of the index members as they are (no conversion to text and back), the packed tasks read in HMGET batches with
 * a few batches in flight (Redis answers the next while Node decodes this one), and of each task only the stored
 * fields the evaluation needs unpacked. Unpacking every field as text (unpackTask) costs more than reading the tasks.
 */
import { unpack } from "msgpackr";
import type { Hash } from "./codecs.js";
import type { RedisStore } from "./store.js";
import { ORDER_PREFIX_LENGTH } from "./store.js";
import { TASK_RECORD } from "./taskRecord.js";

/** The stored task ids of every member of `keys` (each index in its order, the indexes in `keys` order), in one round trip. */
export async function indexedStoredIds(store: RedisStore, keys: readonly string[]): Promise<Buffer[]> {
  if (keys.length === 0) return [];
  const pipeline = store.redis.pipeline();
  for (const key of keys) pipeline.zrangeBuffer(key, 0, -1);
  const ids: Buffer[] = [];
  for (const [error, members] of (await pipeline.exec()) ?? []) {
    if (error) throw error;
    for (const member of members as Buffer[]) ids.push(member.subarray(ORDER_PREFIX_LENGTH));
  }
  return ids;
}

/**
 * Reads the packed tasks of `storedIds`, `batch` an HMGET with up to `inFlight` HMGETs sent ahead, and hands each
 * batch to `onBatch` in order (with the position of its first id); a task deleted meanwhile comes as null.
 */
export async function readPackedTasks(
  store: RedisStore,
  queueId: string,
  storedIds: readonly Buffer[],
  options: { batch: number; inFlight: number },
  onBatch: (start: number, packed: Array<Buffer | null>) => void | Promise<void>,
): Promise<void> {
  const key = store.keys.tasks(queueId);
  const { batch, inFlight } = options;
  let sent = 0;
  const send = () => {
    const start = sent;
    sent += batch;
    return store.redis.hmgetBuffer(key, ...storedIds.slice(start, start + batch));
  };
  const ahead: Array<Promise<Array<Buffer | null>>> = [];
  while (ahead.length < inFlight && sent < storedIds.length) ahead.push(send());
  for (let start = 0; start < storedIds.length; start += batch) {
    const packed = await ahead.shift()!;
    if (sent < storedIds.length) ahead.push(send());
    await onBatch(start, packed);
  }
}

/**
 * An unpacker of only the stored fields `names` of a packed task, as unpackTask gives them (text, absent ones as
 * what their absence stands for, `last_modified` defaulting to `created_at`); the other fields are left out.
 */
export function storedFieldsReader(names: Iterable<string>): (packed: Buffer | null) => Hash | null {
  const wanted = new Set(names);
  if (wanted.has("last_modified")) wanted.add("created_at");
  // The one document field stored under another name: the extension `depends_on` (docs/tasks.md).
  if (wanted.has("depends_on")) wanted.add("dependencies");
  /** Field code -> its name, for the wanted fields only. */
  const nameOf: Array<string | undefined> = [];
  const absentOf: Array<[string, string]> = [];
  TASK_RECORD.forEach((field, i) => {
    if (!wanted.has(field.name)) return;
    nameOf[i + 1] = field.name;
    if ("absent" in field) absentOf.push([field.name, field.absent]);
  });
  const modified = wanted.has("last_modified");
  return (packed) => {
    if (packed === null) return null;
    const hash = readFields(packed, nameOf) ?? pickFields(unpack(packed) as Record<number, unknown>, nameOf);
    for (const [name, absent] of absentOf) hash[name] ??= absent;
    if (modified) hash.last_modified ??= hash.created_at!;
    return hash;
  };
}

/** The fields of `nameOf` from an unpacked task (a map of code -> value, or an array for codes 1..n). */
function pickFields(stored: Record<number, unknown>, nameOf: Array<string | undefined>): Hash {
  const offset = Array.isArray(stored) ? 1 : 0;
  const hash: Hash = {};
  nameOf.forEach((name, code) => {
    const value = stored[code - offset];
    if (name !== undefined && value !== undefined && value !== null) hash[name] = typeof value === "string" ? value : String(value);
  });
  return hash;
}

/**
 * The fields of `nameOf` read straight from the MessagePack bytes, skipping the others without decoding them: a
 * map (or array) of scalars, as the scripts' cmsgpack writes a task. Undefined for anything else (then the caller
 * unpacks the whole record).
 */
function readFields(packed: Buffer, nameOf: Array<string | undefined>): Hash | undefined {
  let at = 0;
  const head = packed[at++]!;
  let count = head & 0x0f;
  const isMap = (head & 0xf0) === 0x80 || head === 0xde;
  if (head === 0xde || head === 0xdc) {
    count = (packed[at]! << 8) | packed[at + 1]!;
    at += 2;
  } else if (head < 0x80 || head > 0x9f) return undefined;
  const hash: Hash = {};
  for (let i = 0; i < count; i++) {
    let code = i + 1;
    if (isMap) {
      const key = packed[at++]!;
      if (key > 0x7f) return undefined; // field codes are small positive integers
      code = key;
    }
    const name = nameOf[code];
    const type = packed[at++]!;
    // Strings: the common case, and the only one whose bytes are long.
    let length = -1;
    if (type >= 0xa0 && type <= 0xbf) length = type & 0x1f;
    else if (type === 0xd9) length = packed[at++]!;
    else if (type === 0xda) {
      length = packed.readUInt16BE(at);
      at += 2;
    } else if (type === 0xdb) {
      length = packed.readUInt32BE(at);
      at += 4;
    }
    if (length >= 0) {
      if (name !== undefined) hash[name] = (packed as unknown as { utf8Slice(start: number, end: number): string }).utf8Slice(at, at + length);
      at += length;
      continue;
    }
    let value: number | null;
    if (type <= 0x7f) value = type;
    else if (type >= 0xe0) value = type - 0x100;
    else if (type === 0xc0) value = null;
    else {
      switch (type) {
        case 0xcc: value = packed.readUInt8(at); at += 1; break;
        case 0xcd: value = packed.readUInt16BE(at); at += 2; break;
        case 0xce: value = packed.readUInt32BE(at); at += 4; break;
        case 0xcf: value = Number(packed.readBigUInt64BE(at)); at += 8; break;
        case 0xd0: value = packed.readInt8(at); at += 1; break;
        case 0xd1: value = packed.readInt16BE(at); at += 2; break;
        case 0xd2: value = packed.readInt32BE(at); at += 4; break;
        case 0xd3: value = Number(packed.readBigInt64BE(at)); at += 8; break;
        case 0xcb: value = packed.readDoubleBE(at); at += 8; break;
        default: return undefined; // booleans, float32s, binaries, nested tables: not a task's
      }
    }
    if (name !== undefined && value !== null) hash[name] = String(value);
  }
  return at === packed.length ? hash : undefined;
}
