/** Queues: creation with unique names, authentication, updates, and deletion with or without cascade. */
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import { LRUCache } from "lru-cache";
import { isJsonObject, stringifyJson, type JsonObject } from "../json.js";
import type { Queue } from "../core/model.js";
import { decodeQueue } from "../store/codecs.js";
import { ScriptCode } from "../store/scriptCodes.js";
import type { CreateQueueOptions, UpdateQueueOptions } from "../core/api.js";
import type { BrokerContext } from "./context.js";
import { AuthError, LabtaskerError, QueueExistsError, QueueLayoutError, QueueNameTakenError, QueueNotFoundError } from "../core/errors.js";
import { LUA_CONSTANTS } from "../store/luaConstants.js";
import { LogService } from "./logs.js";
import { hashPassword, verifyPassword } from "./password.js";
import { expectOk } from "./scriptErrors.js";
import { assertNoIssues, assertSafeKeys, dictKeyIssues, nameIssues, passwordIssues, unflatten } from "../core/validation.js";
import { mergePaths } from "./paths.js";

/**
 * How long a verified password is remembered. Verifying scrypt costs about 40 ms of CPU, and labtasker's clients
 * send credentials with every request (a worker's fetch, heartbeats, reports), so without this cache the hash would
 * cap a server at a few dozen requests per second. The cache holds an HMAC of the password under a key that never
 * leaves this process, and is keyed by the stored hash, so a password change takes effect at once.
 */
const VERIFIED_TTL_MS = 60_000;
/**
 * Entries of each cache below: each holds one entry per queue in use (all the workers of a queue share it), far
 * fewer than this; when it is full, least-recently-used eviction drops one idle queue at a time, where clearing the
 * whole map made every client pay the scrypt at once. 10,000 entries of about 200 bytes is 2 MB.
 */
const CACHE_MAX_ENTRIES = 10_000;
/** Queue name -> id is remembered this long; a renamed queue answers to its old name at most this long. */
const NAME_TTL_MS = 5_000;
const UUID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class QueueService {
  private readonly cacheKey = randomBytes(32);
  /** `<queue id>\0<stored hash>` -> HMAC of the password that matched it. */
  private readonly verified = new LRUCache<string, Buffer>({ max: CACHE_MAX_ENTRIES, ttl: VERIFIED_TTL_MS });
  /** Queue name -> queue id. */
  private readonly names = new LRUCache<string, string>({ max: CACHE_MAX_ENTRIES, ttl: NAME_TTL_MS });

  constructor(private readonly ctx: BrokerContext) {}

  async create(options: CreateQueueOptions): Promise<string> {
    assertNoIssues([
      ...nameIssues(options.queueName, ["body", "queue_name"]),
      ...passwordIssues(options.password, ["body", "password"]),
      ...dictKeyIssues(options.metadata, ["body", "metadata"]),
    ]);
    const metadata = unflatten(options.metadata ?? {});
    const queueId = randomUUID();
    const { store } = this.ctx;
    await this.claimName(options.queueName, queueId, "createQueue");
    try {
      const passwordHash = await hashPassword(options.password);
      expectOk(await store.createQueue(queueId, options.queueName, passwordHash, this.ctx.now(), stringifyJson(metadata)), {
        operation: "createQueue",
        queueId,
        queueName: options.queueName,
      });
    } catch (error) {
      await store.releaseQueueName(options.queueName, queueId);
      throw error;
    }
    return queueId;
  }

  /**
   * Creates a queue of `name` that a v1 client reaches with an empty password (a queue created through labtasker v2,
   * which has no passwords: docs/compat.md), unless a queue of that name exists; true when it created one. The name is
   * checked by the caller (v2's identifiers are a subset of v1's names).
   */
  async ensureOpen(name: string): Promise<boolean> {
    const { store } = this.ctx;
    const queueId = randomUUID();
    try {
      await this.claimName(name, queueId, "createQueue");
    } catch (error) {
      if (error instanceof QueueExistsError) return false; // created meanwhile
      throw error;
    }
    try {
      expectOk(await store.createQueue(queueId, name, await hashPassword(""), this.ctx.now(), "{}"), { operation: "createQueue", queueId, queueName: name });
    } catch (error) {
      await store.releaseQueueName(name, queueId);
      throw error;
    }
    return true;
  }

  /**
   * Claims a name in the registry. A name left behind by a queue whose record is gone (a crash between the two
   * steps of a create or delete) is taken over, so a name is never stuck.
   */
  private async claimName(name: string, queueId: string, operation: "createQueue" | "renameQueue"): Promise<void> {
    const { store } = this.ctx;
    for (;;) {
      const reply = await store.claimQueueName(name, queueId);
      if (reply[0] === ScriptCode.OK) return;
      const holder = String(reply[1]);
      if ((await store.readQueue(holder)) !== null) expectOk(reply, { operation, queueId, queueName: name });
      await store.releaseQueueName(name, holder);
    }
  }

  /**
   * The queue a username names (its id, else its name, as v1 looks them up) if the password is right;
   * AuthError otherwise, without saying which part was wrong.
   */
  authenticate(username: string, password: string): Promise<string> {
    return this.verify(username, password);
  }

  private async verify(username: string, password: string): Promise<string> {
    const found = await this.resolve(username);
    if (found === null) {
      // Spend the same time as a real check, so timing does not tell unknown queues from wrong passwords.
      await verifyPassword(password, await dummyHash());
      throw new AuthError();
    }
    if (await this.passwordMatches(found.queueId, found.passwordHash, password)) return usable(found);
    // The name may have moved to another queue since it was cached (a rename or delete on another replica). Only a
    // name that did move is checked again: a second password check for every wrong password would make a wrong
    // password on an existing queue take twice as long as an unknown queue, which tells the two apart.
    if (this.names.delete(username)) {
      const fresh = await this.resolve(username);
      if (fresh !== null && fresh.queueId !== found.queueId && (await this.passwordMatches(fresh.queueId, fresh.passwordHash, password))) {
        return usable(fresh);
      }
    }
    throw new AuthError();
  }

  /**
   * The queue a username names and its stored password hash. v1 tries the id first, then the name; the order only
   * matters for a name that is another queue's id, so a username shaped like an id is tried as one first and any other
   * as a name first. Names resolve through a short cache (every request of a worker names its queue), but the
   * password hash is always read fresh, so a changed password or a deleted queue takes effect at once.
   */
  private async resolve(username: string): Promise<FoundQueue | null> {
    const { store } = this.ctx;
    const byId = async (queueId: string) => {
      const credentials = await store.queueCredentials(queueId);
      return credentials === null ? null : { queueId, ...credentials };
    };
    const byName = async () => {
      const cached = this.names.get(username);
      if (cached !== undefined) {
        const hit = await byId(cached);
        if (hit) return hit;
      }
      const queueId = await store.queueIdByName(username);
      if (queueId === null) return null;
      this.names.set(username, queueId);
      return byId(queueId);
    };
    return UUID_SHAPE.test(username) ? ((await byId(username)) ?? (await byName())) : ((await byName()) ?? (await byId(username)));
  }

  private async passwordMatches(queueId: string, storedHash: string, password: string): Promise<boolean> {
    const mac = createHmac("sha256", this.cacheKey).update(password).digest();
    const entryKey = `${queueId}\0${storedHash}`;
    const remembered = this.verified.get(entryKey);
    if (remembered !== undefined && timingSafeEqual(remembered, mac)) return true;
    if (!(await verifyPassword(password, storedHash))) return false;
    this.verified.set(entryKey, mac);
    return true;
  }

  async get(queueId: string): Promise<Queue> {
    const record = await this.ctx.store.readQueue(queueId);
    if (record === null) throw new QueueNotFoundError();
    return decodeQueue(queueId, record);
  }

  async update(queueId: string, options: UpdateQueueOptions): Promise<Queue> {
    const { newQueueName, newPassword, metadataUpdate } = options;
    assertNoIssues([
      ...(newQueueName == null ? [] : nameIssues(newQueueName, ["body", "new_queue_name"])),
      ...(newPassword == null ? [] : passwordIssues(newPassword, ["body", "new_password"])),
    ]);
    if (metadataUpdate != null) {
      if (!isJsonObject(metadataUpdate)) throw new LabtaskerError(422, "metadata_update must be an object");
      assertSafeKeys(metadataUpdate);
    }
    const { store } = this.ctx;
    const current = await this.get(queueId);
    // v1 refuses a rename to the queue's own name as taken, too.
    if (newQueueName === current.queueName) throw new QueueNameTakenError(newQueueName);
    if (newQueueName) await this.claimName(newQueueName, queueId, "renameQueue");
    const passwordHash = newPassword ? await hashPassword(newPassword) : null;
    for (let attempt = 0; ; attempt++) {
      const record = await store.readQueue(queueId);
      if (record === null) throw new QueueNotFoundError();
      const fields: Record<string, string> = {};
      if (newQueueName) fields.queue_name = newQueueName;
      if (passwordHash) fields.password = passwordHash;
      if (metadataUpdate != null) fields.metadata = stringifyJson(mergeMetadata(decodeQueue(queueId, record).metadata, metadataUpdate));
      const reply = await store.updateQueue(queueId, this.ctx.now(), record.rev ?? "", fields);
      if (reply[0] === ScriptCode.CONFLICT && attempt < this.ctx.limits.writeAttempts) continue;
      expectOk(reply, { operation: "queue", queueId });
      break;
    }
    if (newQueueName) {
      await store.releaseQueueName(current.queueName, queueId);
      this.names.delete(current.queueName);
    }
    return this.get(queueId);
  }

  /** Deletes the queue; with cascade its tasks and workers too, in short batches after the queue is unreachable. */
  async delete(queueId: string, cascade: boolean): Promise<void> {
    const { store } = this.ctx;
    const [, name] = expectOk(await store.dropQueue(queueId), { operation: "queue", queueId });
    await this.afterDrop(queueId, String(name), cascade);
  }

  /** What follows the deletion of a queue's record: its name released; with cascade, its keys and logs deleted. */
  async afterDrop(queueId: string, name: string, cascade: boolean): Promise<void> {
    const { store, limits } = this.ctx;
    await store.releaseQueueName(name, queueId);
    this.names.delete(name);
    if (!cascade) return;
    while (Number((await store.purgeQueue(queueId, limits.purgeBatch))[1]) > 0) {
      // keep deleting until nothing is left
    }
    await new LogService(this.ctx).purge(queueId); // the task logs, through their own index (src/broker/logs.ts)
  }
}

/** v1's metadata_update: `{}` clears; otherwise `$set "metadata.<key>"` for each top-level key (dotted keys nest). */
function mergeMetadata(current: JsonObject, update: JsonObject): JsonObject {
  if (Object.keys(update).length === 0) return {};
  return mergePaths(current, update, "metadata");
}

interface FoundQueue {
  queueId: string;
  passwordHash: string;
  layout: string;
}

/**
 * The id of an authenticated queue, unless its keys are in another layout than this version's: every request then
 * gets the error that says how to migrate, rather than reads that find nothing (only scripts check the layout).
 */
function usable(found: FoundQueue): string {
  if (found.layout !== LUA_CONSTANTS.STORE_LAYOUT) throw new QueueLayoutError(found.queueId);
  return found.queueId;
}

let dummy: Promise<string> | undefined;
/** A valid scrypt hash of a random password, for constant-time failures on unknown queues; made on first use. */
function dummyHash(): Promise<string> {
  dummy ??= hashPassword(randomBytes(16).toString("hex"));
  return dummy;
}
