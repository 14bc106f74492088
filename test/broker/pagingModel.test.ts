import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { TASK_STATUSES } from "../../src/core/model.js";
import { Random } from "../filter/generators.js";
import { INDEX_ORDER, MODEL_FILTERS, buildRandomQueue, modelCounts, modelList, randomSort, readModel } from "../support/listingModel.js";
import { TRANSPORTS, queueOver } from "../support/transports.js";

describe.each(TRANSPORTS)("listings and counts against a brute-force model over %s", (transport) => {
  it("pages read one after another, with or without a snapshot, make up the model's listing; so does each page alone", async () => {
    await using q = await queueOver(transport);
    const random = new Random(transport === "direct" ? 101 : 202);
    const model = await readModel(q.api, await buildRandomQueue(q.api, q.clock, random, 120));
    // The random transitions leave every status in the queue.
    expect(new Set(model.map(({ task }) => task.status)).size).toBeGreaterThanOrEqual(4);

    for (let round = 0; round < 40; round++) {
      const status = random.chance(0.4) ? random.pick(TASK_STATUSES) : null;
      const taskName = random.chance(0.15) ? random.pick(["a", "b"]) : null;
      const filter = random.chance(0.5) ? MODEL_FILTERS[0]! : random.pick(MODEL_FILTERS);
      const sort = random.chance(0.4) ? INDEX_ORDER : random.chance(0.25) ? null : randomSort(random);
      const snapshot = random.chance(0.5) ? randomUUID() : null;
      const query = { status, taskName, extraFilter: filter.mongo, sort };
      const label = JSON.stringify({ ...query, snapshot });
      const expected = modelList(model, { status, taskName, filter, sort });

      const limit = 1 + random.int(random.chance(0.5) ? 10 : 60);
      const listed: string[] = [];
      for (let offset = 0; ; offset += limit) {
        const page = await q.api.lsTasks({ ...query, snapshot, limit, offset });
        expect(page.found).toBe(page.content.length > 0);
        listed.push(...page.content.map((task) => task.taskId));
        if (page.content.length < limit) break;
      }
      // The query goes with the listing, so a failure names it.
      expect({ label, listed }).toEqual({ label, listed: expected });

      const offset = random.int(expected.length + 5);
      const page = await q.api.lsTasks({ ...query, limit, offset });
      expect({ label, offset, page: page.content.map((task) => task.taskId) }).toEqual({ label, offset, page: expected.slice(offset, offset + limit) });
    }
  });

  it("counts per status, with and without a status, a name or a filter, equal the model's", async () => {
    await using q = await queueOver(transport);
    const random = new Random(transport === "direct" ? 303 : 404);
    const model = await readModel(q.api, await buildRandomQueue(q.api, q.clock, random, 80));
    for (const status of [null, ...TASK_STATUSES]) {
      for (const filter of MODEL_FILTERS) {
        expect(await q.api.countTasks({ status, extraFilter: filter.mongo }), `${status} ${JSON.stringify(filter.mongo)}`).toEqual(modelCounts(model, { status, filter }));
      }
    }
    const named = modelList(model, { taskName: "a" }).length;
    const counts = await q.api.countTasks({ taskName: "a" });
    expect(Object.values(counts).reduce((sum, count) => sum + count, 0)).toBe(named);
    const one = model[0]!.task;
    expect(await q.api.countTasks({ taskId: one.taskId })).toMatchObject({ [one.status]: 1 });
  });
});
