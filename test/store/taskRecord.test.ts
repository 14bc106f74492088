import { pack, unpack } from "msgpackr";
import { describe, expect, it } from "vitest";
import { unpackTask } from "../../src/store/codecs.js";
import { TASK_FIELD_CODE, TASK_RECORD } from "../../src/store/taskRecord.js";
import { TASK_FIELDS } from "../../src/wire/v1/index.js";
import { createTestQueue } from "../support/redis.js";

describe("the stored task", () => {
  it("has a code for every field of v1's task document", () => {
    const stored = new Set<string>(TASK_RECORD.map((field) => field.name));
    const own = TASK_FIELDS.filter((field) => field.type !== "key" && field.type !== "id").map((field) => field.name);
    expect(own.filter((name) => !stored.has(name))).toEqual([]);
  });

  it("holds no entry for a field at its default, and reads back with every default", async () => {
    await using q = await createTestQueue();
    const [taskId] = await q.api.submitTasks([{ args: { lr: 0.1 }, priority: 5 }]);
    const packed = await q.broker.store.readPackedTask(q.queueId, taskId!);
    const codes = Object.keys(unpack(packed!) as object).map(Number).sort((a, b) => a - b);
    const names = ["status", "created_at", "priority", "args", "seq", "sig"] as const;
    expect(codes).toEqual(names.map((name) => TASK_FIELD_CODE[name]).sort((a, b) => a - b));
    const task = await q.api.getTask(taskId!);
    expect(task).toMatchObject({ maxRetries: 3, retries: 0, metadata: {}, summary: {}, cmd: "", taskName: null, workerId: null });
    expect(task.lastModified).toEqual(task.createdAt);
  });

  it("reads a record packed as an array (every code from 1 present) like one packed as a map", () => {
    const values = TASK_RECORD.map((field, i) => (field.type === "integer" ? i + 1 : `text ${i + 1}`));
    const asMap = Object.fromEntries(values.map((value, i) => [i + 1, value]));
    expect(unpackTask(pack(values))).toEqual(unpackTask(pack(new Map(Object.entries(asMap).map(([k, v]) => [Number(k), v])))));
    expect(unpackTask(pack(values))!.status).toBe("text 1");
  });
});
