/** v2's queues (PUT/GET/DELETE /api/v2/queues): the v1 queues, by name; one created here has an empty v1 password. */
import type { QueueService } from "../queues.js";
import type { V2Context } from "./context.js";
import { expectOk } from "./errors.js";

/**
 * v2's identifiers (`[A-Za-z0-9][A-Za-z0-9._-]{0,127}`): the official v2 client refuses a queue list holding any
 * other name, and v1's names allow more (spaces, for one), so such queues are left out of v2's list.
 */
const V2_IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export class V2Queues {
  constructor(
    private readonly v2: V2Context,
    private readonly queues: QueueService,
  ) {}

  /** The names of the queues v2 can name, sorted by code point (2.8.0 orders them by SQLite's binary order). */
  async listQueues(): Promise<string[]> {
    const names = await this.v2.store.redis.hkeys(this.v2.store.keys.queueNames());
    return names.filter((name) => V2_IDENTIFIER.test(name)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  ensureQueue(queue: string): Promise<boolean> {
    return this.queues.ensureOpen(queue);
  }

  /** Refused while a task runs, and without cascade while tasks remain; then as v1's delete (logs included). */
  async deleteQueue(queue: string, options: { cascade?: boolean } = {}): Promise<void> {
    const cascade = options.cascade ?? false;
    let queueId = "";
    const reply = await this.v2.withQueue(queue, (id) => {
      queueId = id;
      return this.v2.scripts.dropQueue(id, cascade);
    });
    expectOk(reply, { queue });
    this.v2.forget(queue);
    await this.queues.afterDrop(queueId, queue, cascade);
  }
}
