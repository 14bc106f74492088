/**
 * Every Python example of ../shared/seeds/ (the Claude Code skill's Python sections and API signatures, and the
 * Python usage in labtasker-loop.md; the OpenCode skill has no Python), translated to the TypeScript SDK line by line,
 * with the module-level functions as the seeds use `labtasker.*`, run against a real server and Redis over both
 * transports. Each test then checks the queue through the harness's own broker.
 *
 * In-process loops get `testLoopOptions` (no signal handlers, which would catch the test runner's own, and no
 * failure prompts); everything else is as the seeds write it. Placeholders of the seeds (`train()`,
 * `expensive_preprocess()`) are small deterministic stand-ins.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, expectTypeOf, it } from "vitest";
import * as labtasker from "../../src/index.js";
import { InvalidStateTransitionError, type JsonObject, type JsonValue, type SubmitTaskOptions, type Task, type TaskUpdate } from "../../src/index.js";
import { TRANSPORTS, sdkQueue, testLoopOptions, type SdkQueue } from "./support.js";

/** A deterministic stand-in for training: accuracy grows with lr and depends on the model; lr >= 10 diverges. */
function train({ lr, model }: { lr: number; model: string }): { acc: number; loss: number } {
  if (lr >= 10) return { acc: 0, loss: Number.NaN };
  const acc = Math.round((0.5 + lr * 4 + (model === "vit" ? 0.05 : 0)) * 1000) / 1000;
  return { acc, loss: Math.round((1 - acc) * 1000) / 1000 };
}

/** Submits tasks through the harness (not under test in the listing examples) and returns their ids. */
async function seed(q: SdkQueue, tasks: Array<{ args: JsonObject; name?: string; tags?: string[]; maxRetries?: number }>): Promise<string[]> {
  return q.setup.submitTasks(tasks.map((task): SubmitTaskOptions => ({ args: task.args, taskName: task.name ?? null, metadata: task.tags ? { tags: task.tags } : {}, maxRetries: task.maxRetries ?? 3 })));
}

/** Runs one task to `status` through the harness: fetched (by id) by a worker of its own, then reported. */
async function settle(q: SdkQueue, taskId: string, status: "success" | "failed", summary: JsonObject = {}): Promise<void> {
  const workerId = await q.setup.createWorker();
  const task = await q.setup.fetchTask({ workerId, extraFilter: { _id: taskId } });
  expect(task?.taskId).toBe(taskId);
  await q.setup.reportTaskStatus(taskId, status, { workerId, summary });
}

describe.each(TRANSPORTS)("seeds' Python examples in TypeScript, over %s", (transport) => {
  describe("1. submitting tasks", () => {
    it("submit_task in a grid loop with name, metadata, max_retries and priority; nested args as a dict", async () => {
      await using q = await sdkQueue(transport);
      for (const lr of [0.001, 0.01, 0.1]) {
        for (const model of ["resnet", "vit"]) {
          await labtasker.submitTask({
            taskName: "grid_search", // optional
            args: { arg1: lr, arg2: model },
            metadata: {
              // optional — use for filtering/tagging
              tags: ["v1", "experimental"],
              note: "baseline run",
            },
            maxRetries: 3, // optional, default 3
            priority: 0, // optional (the server's default is 10)
          });
        }
      }
      // Nested args as dict (use Python loop to access nested values)
      await labtasker.submitTask({
        args: {
          args_a: { a: 1, b: "boy" },
          args_b: { foo: 2, bar: "baz" },
        },
        metadata: { tags: ["sweep-v2"] },
      });

      const tasks = await q.tasks();
      expect(tasks).toHaveLength(7);
      const grid = tasks.slice(0, 6);
      expect(grid.map((task) => task.args)).toEqual([
        { arg1: 0.001, arg2: "resnet" },
        { arg1: 0.001, arg2: "vit" },
        { arg1: 0.01, arg2: "resnet" },
        { arg1: 0.01, arg2: "vit" },
        { arg1: 0.1, arg2: "resnet" },
        { arg1: 0.1, arg2: "vit" },
      ]);
      for (const task of grid) {
        expect(task).toMatchObject({ taskName: "grid_search", status: "pending", maxRetries: 3, priority: 0, metadata: { tags: ["v1", "experimental"], note: "baseline run" } });
      }
      expect(tasks[6]).toMatchObject({ taskName: null, priority: 10, args: { args_a: { a: 1, b: "boy" }, args_b: { foo: 2, bar: "baz" } }, metadata: { tags: ["sweep-v2"] } });
    });
  });

  describe("2. running tasks (loop)", () => {
    it("@labtasker.loop() with Required() params: exactly the tasks with arg1 and arg2 run, with typed args", async () => {
      await using q = await sdkQueue(transport);
      const [one, two, missing, extra] = await seed(q, [
        { args: { arg1: 1, arg2: 2 } },
        { args: { arg1: 30, arg2: 12 } },
        { args: { arg1: 5 } },
        { args: { arg1: 1, arg2: 2, arg3: 3 } },
      ]);
      const printed: string[] = [];

      // Required() fields are auto-filled from task args; types are cast automatically.
      const result = await labtasker.loop({ args: { arg1: Number, arg2: Number }, ...testLoopOptions(q) }, ({ arg1, arg2 }) => {
        expectTypeOf(arg1).toEqualTypeOf<number>();
        const result = arg1 + arg2;
        printed.push(`The result is ${result}`); // print(f"The result is {result}")
      });

      expect(printed).toEqual(["The result is 3", "The result is 42"]);
      expect(result).toMatchObject({ reason: "done", succeeded: 2, failed: 0, cancelled: 0 });
      expect((await q.setup.getTask(one!)).status).toBe("success");
      expect((await q.setup.getTask(two!)).status).toBe("success");
      // "No less" and "no more": neither is fetched.
      expect((await q.setup.getTask(missing!)).status).toBe("pending");
      expect((await q.setup.getTask(extra!)).status).toBe("pending");
    });

    it("extra_filter as Python query string", async () => {
      await using q = await sdkQueue(transport);
      await seed(q, [
        { args: { lr: 0.01, model: "resnet" }, tags: ["v1"] },
        { args: { lr: 0.02, model: "vit" }, tags: ["v2", "v1"] },
        { args: { lr: 0.03, model: "vit" }, tags: ["v2"] },
      ]);
      const trained: string[] = [];

      await labtasker.loop({ extraFilter: '"v1" in list(metadata.tags)', args: { lr: Number, model: String }, ...testLoopOptions(q) }, ({ lr, model }) => {
        trained.push(`${model}@${lr}`); // train(lr=lr, model=model)
      });

      expect(trained.sort()).toEqual(["resnet@0.01", "vit@0.02"]);
      expect((await q.tasks()).map((task) => task.status)).toEqual(["success", "success", "pending"]);
    });

    it("required_fields with pass_args_dict: the handler gets the args dict", async () => {
      await using q = await sdkQueue(transport);
      await seed(q, [{ args: { lr: 0.1, model: "vit" } }, { args: { lr: 0.2, model: "resnet" } }, { args: { lr: 0.3 } }]);
      const seen: JsonObject[] = [];

      await labtasker.loop({ requiredFields: ["lr", "model"], passArgsDict: true, ...testLoopOptions(q) }, (args) => {
        expectTypeOf(args).toEqualTypeOf<JsonObject>();
        seen.push(args);
        train({ lr: Number(args.lr), model: String(args.model) }); // train(lr=args["lr"], model=args["model"])
      });

      expect(seen).toEqual([
        { lr: 0.1, model: "vit" },
        { lr: 0.2, model: "resnet" },
      ]);
      expect((await q.tasks()).map((task) => task.status)).toEqual(["success", "success", "pending"]);
    });

    it("nested args with resolvers into classes (the seeds' dataclasses)", async () => {
      await using q = await sdkQueue(transport);
      await seed(q, [{ args: { args_a: { a: 1, b: "boy" }, args_b: { foo: 2, bar: "baz" } } }, { args: { args_a: { a: 1, b: "boy" } } }]);
      class ArgsGroupA {
        constructor(
          readonly a: number,
          readonly b: string,
        ) {}
      }
      class ArgsGroupB {
        constructor(
          readonly foo: number,
          readonly bar: string,
        ) {}
      }
      const got: Array<[ArgsGroupA, ArgsGroupB]> = [];

      // Param name must match the args key; the resolver receives args[param_name].
      await labtasker.loop(
        {
          args: {
            args_a: (a) => {
              const { a: x, b } = a as { a: number; b: string };
              return new ArgsGroupA(x, b);
            },
            args_b: (b) => {
              const { foo, bar } = b as { foo: number; bar: string };
              return new ArgsGroupB(foo, bar);
            },
          },
          ...testLoopOptions(q),
        },
        ({ args_a, args_b }) => {
          expectTypeOf(args_a).toEqualTypeOf<ArgsGroupA>();
          got.push([args_a, args_b]); // print(f"got args_a: {args_a}") ...
        },
      );

      expect(got).toEqual([[new ArgsGroupA(1, "boy"), new ArgsGroupB(2, "baz")]]);
      expect(got[0]![0]).toBeInstanceOf(ArgsGroupA);
      expect((await q.tasks()).map((task) => task.status)).toEqual(["success", "pending"]);
    });

    it("identity resolver for a raw nested dict, with a default for a missing key", async () => {
      await using q = await sdkQueue(transport);
      await seed(q, [{ args: { optimizer: { lr: 0.001, momentum: 0.5 } } }, { args: { optimizer: { lr: 0.01 } } }]);
      const used: Array<[number, number]> = [];

      await labtasker.loop({ args: { optimizer: (x) => x as { lr: number; momentum?: number } }, ...testLoopOptions(q) }, ({ optimizer }) => {
        // optimizer is the raw dict: {"lr": 0.001, "momentum": 0.9}
        const lr = optimizer.lr;
        const momentum = optimizer.momentum ?? 0.9; // optimizer.get("momentum", 0.9)
        used.push([lr, momentum]);
      });

      expect(used).toEqual([
        [0.001, 0.5],
        [0.01, 0.9],
      ]);
    });

    it("dot-separated keys are nested: task_info().args.foo.bar, not args['foo.bar']", async () => {
      await using q = await sdkQueue(transport);
      await labtasker.submitTask({ args: { "foo.bar": 1 } }); // labtasker task submit -- --foo.bar=1
      const seen: JsonValue[] = [];

      await labtasker.loop({ args: { foo: true }, ...testLoopOptions(q) }, () => {
        const args = labtasker.taskInfo().args;
        seen.push((args.foo as JsonObject).bar!, args["foo.bar"] ?? "absent");
      });

      expect(seen).toEqual([1, "absent"]);
    });

    it("labtasker-loop.md: required_fields and a MongoDB extra_filter", async () => {
      await using q = await sdkQueue(transport);
      await seed(q, [
        { args: { prompt: "an astronaut riding a horse" }, tags: ["experimental"] },
        { args: { prompt: "a cat" }, tags: ["diffusion", "x"] },
        { args: { prompt: "a dog" }, tags: ["baseline"] },
      ]);
      const prompts: string[] = [];

      await labtasker.loop(
        { requiredFields: ["prompt"], extraFilter: { "metadata.tags": { $in: ["experimental", "diffusion"] } }, ...testLoopOptions(q) },
        () => {
          prompts.push(String(labtasker.taskInfo().args.prompt)); // your job code here
        },
      );

      expect(prompts.sort()).toEqual(["a cat", "an astronaut riding a horse"]);
      expect((await q.tasks()).map((task) => task.status)).toEqual(["success", "success", "pending"]);
    });
  });

  describe("3. querying tasks", () => {
    it("ls_tasks by status, with a Python filter and limit, by summary field; sorted by hand and by the server", async () => {
      await using q = await sdkQueue(transport);
      const ids = await seed(q, [
        { args: { lr: 0.001, model: "resnet" }, tags: ["v1"] },
        { args: { lr: 0.05, model: "vit" }, tags: ["v1"] },
        { args: { lr: 0.1, model: "vit" }, tags: ["v2"] },
        { args: { lr: 0.2, model: "resnet" }, tags: ["v1", "experimental"] },
        { args: { lr: 0.3, model: "vit" }, tags: ["v1"], maxRetries: 1 },
      ]);
      await settle(q, ids[0]!, "success", { acc: 0.95 });
      await settle(q, ids[1]!, "success", { acc: 0.8 });
      await settle(q, ids[2]!, "success", { acc: 0.97 });
      await settle(q, ids[4]!, "failed");

      // List by status
      let response = await labtasker.lsTasks({ status: "failed" });
      const tasks: Task[] = response.content; // List[Task]
      expect(tasks.map((task) => task.taskId)).toEqual([ids[4]]);

      // With filter (Python query string)
      response = await labtasker.lsTasks({ extraFilter: 'args.lr > 0.01 and "v1" in list(metadata.tags)', limit: 100 });
      expect(response.content.map((task) => task.taskId).sort()).toEqual([ids[1], ids[3], ids[4]].sort());

      // Filter by summary field (same dot-notation)
      response = await labtasker.lsTasks({ status: "success", extraFilter: "summary.acc > 0.9", limit: 1000 });
      expect(response.content.map((task) => task.taskId).sort()).toEqual([ids[0], ids[2]].sort());

      // ls_tasks() has NO sort parameter — sort results manually (it does in v1, and here)
      const tasksSorted = [...response.content].sort((a, b) => Number(b.summary.acc ?? 0) - Number(a.summary.acc ?? 0));
      expect(tasksSorted.map((task) => task.summary.acc)).toEqual([0.97, 0.95]);
      const serverSorted = await labtasker.lsTasks({ status: "success", extraFilter: "summary.acc > 0.9", sort: "summary.acc:desc" });
      expect(serverSorted.content.map((task) => task.taskId)).toEqual(tasksSorted.map((task) => task.taskId));

      // Access task fields
      for (const task of response.content) {
        expect([task.taskId, task.status, task.args, task.metadata, task.summary].every((field) => field !== undefined)).toBe(true);
        expect(task.createdAt).toBeInstanceOf(Date);
        expect([task.workerId, task.retries]).toEqual([null, 0]);
      }
    });

    it("the default limit is 100; a larger limit returns everything", async () => {
      await using q = await sdkQueue(transport);
      await seed(q, Array.from({ length: 1234 }, (_, i) => ({ args: { i } })));
      expect((await labtasker.lsTasks()).content).toHaveLength(100);
      const all = await labtasker.lsTasks({ limit: 10000 });
      expect(new Set(all.content.map((task) => task.args.i)).size).toBe(1234);
    });
  });

  describe("4. task summary", () => {
    it("report_task_status('running') writes metrics; the loop marks success on return", async () => {
      await using q = await sdkQueue(transport);
      await seed(q, [{ args: { lr: 0.01, model: "resnet" } }, { args: { lr: 0.1, model: "vit" } }]);

      const result = await labtasker.loop({ args: { lr: Number, model: String }, ...testLoopOptions(q) }, async ({ lr, model }) => {
        const { acc, loss } = train({ lr, model });
        // Optional: write metrics into the task summary; status="running" keeps the task alive
        await labtasker.reportTaskStatus(labtasker.taskInfo().taskId, "running", { summary: { acc, loss } });
        expect((await q.setup.getTask(labtasker.taskInfo().taskId)).status).toBe("running");
      });

      expect(result).toMatchObject({ succeeded: 2, failed: 0 });
      const tasks = await q.tasks();
      expect(tasks.map((task) => [task.status, task.summary])).toEqual([
        ["success", train({ lr: 0.01, model: "resnet" })],
        ["success", train({ lr: 0.1, model: "vit" })],
      ]);
    });

    it("cancel mid-run on a NaN loss: cancelled is kept, not retried; retries tell a first attempt from a retry", async () => {
      await using q = await sdkQueue(transport);
      const [flaky, diverges, fine] = await seed(q, [{ args: { lr: 0.05, model: "vit" } }, { args: { lr: 10, model: "vit" } }, { args: { lr: 0.01, model: "resnet" } }]);
      const attempts: string[] = [];
      let flakyFailed = false;
      const options = testLoopOptions(q);

      const result = await labtasker.loop({ args: { lr: Number, model: String }, ...options }, async ({ lr, model }) => {
        const task = labtasker.taskInfo();
        const data = task.retries === 0 ? "expensive_preprocess()" : "load_cached_data()"; // only on first attempt
        attempts.push(`${task.taskId}:${data}`);
        if (task.taskId === flaky && !flakyFailed) {
          flakyFailed = true;
          throw new Error("CUDA out of memory"); // a failure: reported, then retried
        }
        const loss = train({ lr, model }).loss; // loss = train_step(data)
        if (Number.isNaN(loss)) {
          await labtasker.reportTaskStatus(task.taskId, "cancelled"); // preserves cancelled — loop will not overwrite
          return; // stop this task; loop moves to next pending task
        }
      });

      expect(result).toMatchObject({ reason: "done", succeeded: 2, failed: 1, cancelled: 1 });
      expect(attempts).toEqual([`${flaky}:expensive_preprocess()`, `${diverges}:expensive_preprocess()`, `${fine}:expensive_preprocess()`, `${flaky}:load_cached_data()`]);
      expect(await q.setup.getTask(diverges!)).toMatchObject({ status: "cancelled", retries: 0, workerId: null });
      expect((await q.setup.getTask(flaky!)).status).toBe("success");
      expect((await q.setup.getTask(fine!)).status).toBe("success");
      // The loop never reported over the cancel: its log has no refused report, and the run is marked cancelled.
      expect(options.log.lines.join("\n")).not.toMatch(/refused|Error in task loop/);
    });

    it("reading summaries after tasks complete; aggregate and rank", async () => {
      await using q = await sdkQueue(transport);
      const grid = [
        { lr: 0.01, model: "resnet" },
        { lr: 0.1, model: "vit" },
        { lr: 0.05, model: "resnet" },
      ];
      const ids = await seed(q, grid.map((args) => ({ args })));
      for (const [i, id] of ids.entries()) await settle(q, id, "success", train(grid[i]!));

      // Fetch all successful tasks and print their summaries
      const response = await labtasker.lsTasks({ status: "success", limit: 1000 });
      const lines = response.content.map((task) => `task_id=${task.taskId} args=${JSON.stringify(task.args)} summary=${JSON.stringify(task.summary)}`);
      expect(lines).toHaveLength(3);

      // Aggregate: collect metric from summary and rank
      const results = response.content.map((t) => ({ lr: t.args.lr, model: t.args.model, acc: t.summary.acc }));
      results.sort((x, y) => Number(y.acc ?? 0) - Number(x.acc ?? 0));
      expect(results).toEqual([
        { lr: 0.1, model: "vit", acc: train(grid[1]!).acc },
        { lr: 0.05, model: "resnet", acc: train(grid[2]!).acc },
        { lr: 0.01, model: "resnet", acc: train(grid[0]!).acc },
      ]);
    });
  });

  describe("5. updating tasks", () => {
    it("update_tasks merges: only the keys given change", async () => {
      await using q = await sdkQueue(transport);
      const [taskId] = await seed(q, [{ args: { lr: 0.1, model: "vit" } }]);
      // TaskUpdateRequest(**{"_id": task_id, "args": {"lr": 0.005}})
      await labtasker.updateTasks([{ taskId: taskId!, args: { lr: 0.005 } }]);
      expect((await q.setup.getTask(taskId!)).args).toEqual({ lr: 0.005, model: "vit" });
    });

    it("batch: fix lr of failed tasks and reset them to pending (retries back to 0)", async () => {
      await using q = await sdkQueue(transport);
      const ids = await seed(q, [{ args: { lr: 0.1, model: "resnet" }, maxRetries: 1 }, { args: { lr: 0.2, model: "vit" }, maxRetries: 1 }, { args: { lr: 0.3, model: "vit" } }]);
      await settle(q, ids[0]!, "failed");
      await settle(q, ids[1]!, "failed");

      const response = await labtasker.lsTasks({ status: "failed" });
      const updates: TaskUpdate[] = response.content.map((task) => ({
        taskId: task.taskId,
        args: { lr: 0.005 }, // merges into existing args; other keys preserved
      }));
      if (updates.length > 0) await labtasker.updateTasks(updates, { resetPending: true });

      const tasks = await q.tasks();
      expect(tasks.map((task) => [task.status, task.retries, task.args])).toEqual([
        ["pending", 0, { lr: 0.005, model: "resnet" }],
        ["pending", 0, { lr: 0.005, model: "vit" }],
        ["pending", 0, { lr: 0.3, model: "vit" }],
      ]);
    });

    it("cancel pending tasks matching a filter", async () => {
      await using q = await sdkQueue(transport);
      await seed(q, [{ args: { lr: 0.01 } }, { args: { lr: 0.1 } }, { args: { lr: 0.5 } }]);
      const response = await labtasker.lsTasks({ status: "pending", extraFilter: "args.lr > 0.05" });
      const updates: TaskUpdate[] = response.content.map((task) => ({ taskId: task.taskId, status: "cancelled" }));
      if (updates.length > 0) await labtasker.updateTasks(updates);
      expect((await q.tasks()).map((task) => task.status)).toEqual(["pending", "cancelled", "cancelled"]);
    });

    it("update metadata from inside a loop: merged, existing keys kept", async () => {
      await using q = await sdkQueue(transport);
      await seed(q, [{ args: { lr: 0.1, model: "vit" }, tags: ["v1"] }]);

      await labtasker.loop({ args: { lr: Number, model: String }, ...testLoopOptions(q) }, async ({ lr, model }) => {
        train({ lr, model });
        const task = labtasker.taskInfo();
        await labtasker.updateTasks([{ taskId: task.taskId, metadata: { run_note: "done" } }]); // merges "run_note" into existing metadata
      });

      const [task] = await q.tasks();
      expect(task).toMatchObject({ status: "success", metadata: { tags: ["v1"], run_note: "done" } });
    });

    it("replace_fields replaces a dict field whole", async () => {
      await using q = await sdkQueue(transport);
      const [taskId] = await seed(q, [{ args: { lr: 0.1, model: "vit" } }]);
      await labtasker.updateTasks([{ taskId: taskId!, args: { lr: 0.5 }, replaceFields: ["args"] }]);
      expect((await q.setup.getTask(taskId!)).args).toEqual({ lr: 0.5 });
    });

    it("force-cancel a running task from outside the loop", async () => {
      await using q = await sdkQueue(transport);
      const [taskId] = await seed(q, [{ args: { lr: 0.1 } }]);
      const workerId = await q.setup.createWorker();
      await q.setup.fetchTask({ workerId });
      await labtasker.updateTasks([{ taskId: taskId!, status: "cancelled" }]);
      expect((await q.setup.getTask(taskId!)).status).toBe("cancelled");
    });

    it("outside a loop, report_task_status with the task's current status does not update the summary (v1 refuses it); update_tasks does", async () => {
      await using q = await sdkQueue(transport);
      const [taskId] = await seed(q, [{ args: { lr: 0.1 } }]);
      await settle(q, taskId!, "success", { acc: 0.9 });
      // The seeds' API section says this updates the summary only; labtasker v1's state machine refuses success -> success.
      await expect(labtasker.reportTaskStatus(taskId!, "success", { summary: { rank: 1 } })).rejects.toBeInstanceOf(InvalidStateTransitionError);
      await labtasker.updateTasks([{ taskId: taskId!, summary: { rank: 1 } }]);
      expect(await q.setup.getTask(taskId!)).toMatchObject({ status: "success", summary: { acc: 0.9, rank: 1 } });
    });
  });

  describe("6. deleting tasks", () => {
    it("delete_task by id", async () => {
      await using q = await sdkQueue(transport);
      const [keep, drop] = await seed(q, [{ args: { a: 1 } }, { args: { a: 2 } }]);
      await labtasker.deleteTask(drop!);
      expect((await q.tasks()).map((task) => task.taskId)).toEqual([keep]);
    });

    it("batch delete tasks created more than 10 minutes ago", async () => {
      await using q = await sdkQueue(transport);
      q.skew.ms = -30 * 60_000;
      const old = await seed(q, [{ args: { a: 1 } }, { args: { a: 2 } }, { args: { a: 3 } }]);
      q.skew.ms = 0;
      const recent = await seed(q, [{ args: { a: 4 } }]);

      const response = await labtasker.lsTasks({ extraFilter: 'created_at < date("10 minutes ago")' });
      for (const task of response.content) await labtasker.deleteTask(task.taskId);

      expect(response.content.map((task) => task.taskId).sort()).toEqual([...old].sort());
      expect((await q.tasks()).map((task) => task.taskId)).toEqual(recent);
    });
  });

  it("the run directory of a loop's task holds the seeds' files", async () => {
    await using q = await sdkQueue(transport);
    await seed(q, [{ args: { lr: 0.1 } }]);
    let logDir = "";
    await labtasker.loop({ args: { lr: Number }, ...testLoopOptions(q) }, (_args, context) => {
      logDir = context.logDir;
      expect(labtasker.currentLogDir()).toBe(logDir);
    });
    expect(logDir.startsWith(join(q.root, "logs", "run"))).toBe(true);
    expect(JSON.parse(readFileSync(join(logDir, "status.json"), "utf8"))).toEqual({ status: "success" });
    expect(existsSync(join(logDir, "task_info.json"))).toBe(true);
  });
});
