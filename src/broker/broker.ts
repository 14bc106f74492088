/**
 * The broker: labtasker v1's semantics on Redis, for any number of queues, and labtasker v2's on the same records
 * (`broker.v2`). The HTTP server calls it after
 * authenticating each request; {@link DirectLabtasker} binds it to one queue for direct mode.
 */
import { connectRedis, type ConnectOptions, type RedisConnection } from "../store/connection.js";
import { KeyBuilder } from "../store/keys.js";
import { ScriptCode } from "../store/scriptCodes.js";
import { RedisStore } from "../store/store.js";
import type { HealthStatus } from "../core/api.js";
import { DEFAULT_LIMITS, type BrokerContext, type BrokerLimits, type FilterEngine } from "./context.js";
import { defaultFilters } from "./defaultFilters.js";
import { EventHub } from "./events.js";
import { ListingService } from "./listing.js";
import { LogService } from "./logs.js";
import { QueueService } from "./queues.js";
import { TaskService } from "./tasks.js";
import { WorkerService } from "./workers.js";
import { DEFAULT_V2_LEASE_SECONDS, V2Broker } from "./v2/index.js";
import { NotificationRules } from "../notify/rules.js";

export interface BrokerOptions {
  redis: RedisConnection;
  /** Prefix of every key. @defaultValue "labtasker" */
  keyPrefix?: string;
  /** Milliseconds since the epoch. @defaultValue Date.now */
  now?: () => number;
  /** Compiles filters and sort specs. @defaultValue the filter language of src/filter */
  filters?: FilterEngine;
  limits?: Partial<BrokerLimits>;
  /** Close the Redis connection with the broker. @defaultValue false */
  ownsConnection?: boolean;
  /**
   * The lease of a labtasker v2 run, renewed by each heartbeat (`labtasker-server serve --v2-lease-seconds`,
   * `LABTASKER_V2_LEASE_SECONDS`). @defaultValue 300, labtasker v2's own
   */
  v2LeaseSeconds?: number;
  /**
   * Run the Lua scripts as Redis Functions (Redis 7+; faster) rather than with EVALSHA. Falls back by itself on older
   * Redis or when FUNCTION LOAD is not allowed. @defaultValue true
   */
  functions?: boolean;
}

export class Broker implements AsyncDisposable {
  readonly store: RedisStore;
  readonly queues: QueueService;
  readonly tasks: TaskService;
  readonly workers: WorkerService;
  readonly listing: ListingService;
  readonly logs: LogService;
  readonly events: EventHub;
  /** labtasker v2's operations on the same queues and tasks (src/broker/v2/, docs/compat.md). */
  readonly v2: V2Broker;
  /** Notification rules (an extension); a server delivers their messages (src/notify/service.ts). */
  readonly notifications: NotificationRules;
  private readonly ctx: BrokerContext;
  private closed: Promise<void> | undefined;

  constructor(private readonly options: BrokerOptions) {
    this.store = new RedisStore(options.redis, new KeyBuilder(options.keyPrefix), { functions: options.functions });
    this.ctx = {
      store: this.store,
      now: options.now ?? Date.now,
      filters: options.filters ?? defaultFilters,
      limits: { ...DEFAULT_LIMITS, ...options.limits },
    };
    this.queues = new QueueService(this.ctx);
    this.tasks = new TaskService(this.ctx);
    this.workers = new WorkerService(this.ctx);
    this.listing = new ListingService(this.ctx);
    this.logs = new LogService(this.ctx);
    this.events = new EventHub(this.store);
    this.v2 = new V2Broker(this.ctx, this.queues, options.v2LeaseSeconds ?? DEFAULT_V2_LEASE_SECONDS);
    this.notifications = new NotificationRules(this.store, this.ctx.now);
  }

  /** A broker on its own connection to `url` (see connectRedis for the URL forms). */
  static connect(url: string, options: Omit<BrokerOptions, "redis" | "ownsConnection"> & ConnectOptions): Broker {
    return new Broker({ ...options, redis: connectRedis(url, options), ownsConnection: true });
  }

  /**
   * Expires overdue running tasks in every queue (contract 3.5); returns how many. The periodic sweep runs this;
   * fetches expire their own queue's tasks inline as well.
   */
  async expireAll(): Promise<number> {
    const { store, limits } = this.ctx;
    let expired = 0;
    for (const queueId of await store.allQueueIds()) {
      for (;;) {
        const reply = await store.expireTasks(queueId, this.ctx.now(), limits.expireBatch);
        if (reply[0] !== ScriptCode.OK) break; // the queue was deleted meanwhile
        const count = Number(reply[1]);
        expired += count;
        if (count < limits.expireBatch) break;
      }
    }
    await store.redis.set(store.keys.lastSweep(), String(this.ctx.now()));
    return expired;
  }

  /** When the timeout sweep last ran (ms since the epoch), or null if it never did. */
  async lastSweep(): Promise<number | null> {
    const value = await this.store.redis.get(this.store.keys.lastSweep());
    return value === null ? null : Number(value);
  }

  /** Whether Redis answers (v1's /health/full). */
  async health(): Promise<HealthStatus> {
    try {
      await this.store.redis.ping();
      return { status: "healthy", database: "connected" };
    } catch (error) {
      return { status: "unhealthy", database: (error as Error).message };
    }
  }

  /** Stops event readers, and closes the connection when the broker owns it. Idempotent. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      await this.events.close();
      await this.notifications.close();
      if (this.options.ownsConnection) await this.store.redis.quit().catch(() => undefined);
    })();
    return this.closed;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
