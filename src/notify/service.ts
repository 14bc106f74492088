/**
 * Notifications on a server replica: the event consumer (src/notify/consumer.ts) that turns matching events into
 * delivery jobs, and the BullMQ worker (src/notify/worker.ts) that delivers them. `labtasker-server serve` starts
 * one per replica; replicas share the work through Redis (a consumer group, BullMQ's queue).
 */
import { settlesWithin } from "../core/settle.js";
import type { Broker } from "../broker/broker.js";
import { duplicateConnection, type RedisConnection } from "../store/connection.js";
import type { AllowList } from "./allowList.js";
import { EventConsumer } from "./consumer.js";
import { Dispatcher } from "./dispatch.js";
import type { NotifyKey } from "./secret.js";
import { startDeliveryWorker, type DeliveryWorker } from "./worker.js";

export interface NotificationServiceOptions {
  /** The servers' key pair; every replica on one Redis needs the same. */
  key: NotifyKey;
  allowList: AllowList;
  /** The wait before a delivery's first retry, doubling for each next. @defaultValue 5000 */
  backoffMs?: number;
  /** How long a receiver has to answer. @defaultValue 10000 */
  timeoutMs?: number;
  /** ms between reads of the event streams. @defaultValue 200 */
  pollMs?: number;
  log: (message: string) => void;
}

/**
 * How long a stop waits for messages being sent; those still in flight are then left to BullMQ, which gives them to
 * a replica (or to this one once restarted) when their lock expires. Within the server's 10 s bound.
 */
const STOP_GRACE_MS = 2000;

export class NotificationService implements AsyncDisposable {
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly consumer: EventConsumer | null,
    private readonly delivery: DeliveryWorker | null,
    private readonly workerConnection: RedisConnection | null,
  ) {}

  /**
   * Publishes the public key unless one is there. A replica whose key is not the one in Redis cannot open the rules'
   * secrets: it says so and neither reads events nor delivers, leaving both to the replicas that can.
   */
  static async start(broker: Broker, options: NotificationServiceOptions): Promise<NotificationService> {
    const { store } = broker.notifications;
    const published = await store.publishPublicKey(options.key.publicKeyPem);
    if (published !== options.key.publicKeyPem) {
      options.log(
        `Notifications off on this server: its notification key is not the one the other servers on this Redis use ` +
          `(${broker.store.keys.notifyPublicKey()}); give it the same --notify-key-file to deliver`,
      );
      return new NotificationService(null, null, null);
    }
    const dispatcher = new Dispatcher(store, broker.notifications.jobs, Date.now, (error) => options.log(`Notification rule skipped: ${error.message}`));
    const consumer = new EventConsumer(store, dispatcher, {
      intervalMs: options.pollMs,
      onError: (error) => options.log(`Reading events for notifications failed (retrying): ${error.message}`),
      // After Redis lost its data the key is gone: put it back so rules can be created again.
      beforeTick: async () => void (await store.publishPublicKey(options.key.publicKeyPem)),
    });
    // BullMQ's worker blocks on its connection and must wait for Redis however long it is away.
    const connection = duplicateConnection(broker.store.redis, { maxRetriesPerRequest: null });
    connection.on("error", () => undefined); // the server logs the broker connection's errors once
    const delivery = startDeliveryWorker(connection, broker.store.keys, store, broker.notifications.jobs, {
      key: options.key,
      allowList: options.allowList,
      backoffMs: options.backoffMs,
      timeoutMs: options.timeoutMs,
      now: Date.now,
      onError: (error) => options.log(`Notification delivery: ${error.message}`),
    });
    delivery.worker.on("error", (error) => options.log(`Notification delivery worker: ${error.message}`));
    return new NotificationService(consumer, delivery, connection);
  }

  /** Stops reading events and delivering, within about {@link STOP_GRACE_MS}. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const consumerClosed = this.consumer?.close();
      if (this.delivery) {
        // Messages being sent get the grace period to be answered; those cut after it fail this attempt and are
        // retried (by another replica, or this one restarted) under the same delivery id.
        const closed = this.delivery.worker.close();
        if (!(await settlesWithin(closed, STOP_GRACE_MS))) {
          this.delivery.abortSending();
          await settlesWithin(closed, STOP_GRACE_MS);
        }
      }
      await settlesWithin(consumerClosed ?? Promise.resolve(), STOP_GRACE_MS);
      this.workerConnection?.disconnect();
    })();
    return this.closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
