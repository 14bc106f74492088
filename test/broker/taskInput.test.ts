/**
 * A submitted task's fields are read once each (src/broker/taskInput.ts submittedFields), by enumerating a plain
 * object's keys or, for any other object, field by field: either way what `task.field` gives.
 */
import { describe, expect, it } from "vitest";
import type { SubmitTaskOptions } from "../../src/core/api.js";
import { checkedTask, newTaskRecord, submittedFields } from "../../src/broker/taskInput.js";

const FIELDS = ["taskName", "args", "metadata", "cmd", "heartbeatTimeout", "taskTimeout", "maxRetries", "priority", "dependsOn", "ref", "env", "maxTimeouts", "dedup", "taskId"] as const;

/** Each field as a property read gives it. */
function read(task: SubmitTaskOptions): Record<string, unknown> {
  return Object.fromEntries(FIELDS.map((field) => [field, task[field]]));
}

class Sweep {
  constructor(private readonly i: number) {}
  get args() {
    return { i: this.i };
  }
  get priority() {
    return this.i;
  }
}

describe("submittedFields", () => {
  const base: SubmitTaskOptions = { args: { lr: 0.1 }, priority: 3 };
  const hidden = Object.defineProperty({ args: { a: 1 } }, "dedup", { value: true, enumerable: false });
  const inherited = Object.assign(Object.create({ dedup: true, priority: 7 }) as SubmitTaskOptions, { args: { b: 1 } });
  const bare = Object.assign(Object.create(null) as SubmitTaskOptions, { args: { c: 1 }, taskName: "n" });
  const cases: Array<[string, SubmitTaskOptions]> = [
    ["an object literal", { taskName: "t", args: { x: 1 }, metadata: { m: 1 }, cmd: ["a"], heartbeatTimeout: 5, taskTimeout: 6, maxRetries: 1, priority: 2, dependsOn: ["r"], ref: "q", env: { A: "1" }, maxTimeouts: 2, dedup: false, taskId: "t_AAAAAAAAAAAA" }],
    ["a spread with a field added", { ...base, dedup: true }],
    ["a parsed document, with a key of no field", JSON.parse('{"args":{"a":1},"extra":1,"priority":null}') as SubmitTaskOptions],
    ["a class instance with getters", new Sweep(4) as SubmitTaskOptions],
    ["an object with a field not enumerable", hidden],
    ["an object with fields inherited", inherited],
    ["an object without a prototype", bare],
  ];
  it.each(cases)("reads %s as property reads do", (_, task) => {
    const fields = submittedFields(task);
    expect(read(fields)).toEqual(read(task));
    expect(Object.keys(fields)).toEqual([...FIELDS]);
  });

  it("lets a task be checked and stored alike however it was made", () => {
    const literal = newTaskRecord({ args: { i: 4 }, priority: 4 });
    const instance = newTaskRecord(new Sweep(4) as SubmitTaskOptions);
    expect({ ...instance, taskId: "" }).toEqual({ ...literal, taskId: "" });
    expect(checkedTask(hidden).task.dedup).toBe(true);
    expect(checkedTask(inherited).task.priority).toBe(7);
  });
});
