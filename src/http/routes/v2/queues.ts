/** v2's queue routes: create (201, or 200 when it exists), list, delete. */
import type { Router } from "express";
import type { LabtaskerV2 } from "../../../core/v2/api.js";
import { param } from "./respond.js";
import { checkQueueName } from "./ids.js";
import { QueryReader } from "./query.js";
import { writeEmpty, sendV2 } from "./respond.js";

export function v2QueueRoutes(router: Router, v2: LabtaskerV2): void {
  router.put("/queues/:queue", async (req, res) => {
    const queue = checkQueueName(param(req, "queue"));
    const created = await v2.ensureQueue(queue);
    sendV2(res, created ? 201 : 200, { name: queue });
  });

  router.get("/queues", async (_req, res) => {
    sendV2(res, 200, (await v2.listQueues()).map((name) => ({ name })));
  });

  router.delete("/queues/:queue", async (req, res) => {
    const query = new QueryReader(req);
    const cascade = query.bool("cascade", false);
    query.done();
    await v2.deleteQueue(checkQueueName(param(req, "queue")), { cascade });
    writeEmpty(res);
  });
}
