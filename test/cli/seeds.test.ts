/**
 * Every CLI example of ../shared/seeds/ (the labtasker skills for Claude Code and OpenCode) run verbatim with bash,
 * `labtasker` on PATH, against a real server; `<task_id>` placeholders get a real id. `loop` examples belong to
 * the loop's tests; `pip install` and `labtasker-server serve &` are the harness's job. Each test checks the
 * queue afterwards through the API.
 */
import { renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import type { SubmitTaskOptions } from "../../src/core/api.js";
import type { JsonObject } from "../../src/json.js";
import { cliWithServer, expectCode, ids, settle, uuids, type CliHarness } from "./helpers.js";

/**
 * Each example spawns the CLI at least once (about 0.3 to 0.6 s of CPU each on a loaded 2-CPU machine, most of it
 * loading modules), and the xargs examples once per task: a generous bound per test.
 */
const SEED_TIMEOUT = 180_000;

/** Runs a seed script and expects success. */
async function ok(cli: CliHarness, script: string) {
  const result = await cli.sh(script);
  // The script is part of what is compared, so a failure names the example that failed.
  expect({ script, code: result.code, stderr: result.stderr }).toEqual({ script, code: 0, stderr: expect.not.stringMatching(/Error|Traceback| {4}at /) });
  return result;
}

/** Submits tasks through the API (not under test here) and returns their ids. */
async function seed(cli: CliHarness, tasks: Array<{ name?: string; args: Record<string, unknown>; tags?: string[] }>): Promise<string[]> {
  return cli.api.submitTasks(tasks.map((task): SubmitTaskOptions => ({ taskName: task.name ?? null, args: task.args as JsonObject, metadata: task.tags ? { tags: task.tags } : {} })));
}

describe("seed: setup", { timeout: SEED_TIMEOUT }, () => {
  test("labtasker init (answers typed at the prompts), then queue create-from-config and queue get", async () => {
    await using cli = await cliWithServer();
    rmSync(cli.root, { recursive: true, force: true });
    const url = cli.server.url;
    // URL, queue name, password twice, and "no" to creating the queue now: the next seed line creates it.
    const init = await cli.run(["init"], { input: `${url}\nseedq\nseed-pw\nseed-pw\nn\n` });
    expectCode(init, 0);
    expect(init.stderr).toContain("Configuration initialized successfully");
    const create = await ok(cli, "labtasker queue create-from-config");
    expect(uuids(create.stdout)).toHaveLength(1);
    const get = await ok(cli, "labtasker queue get                 # Get current queue info");
    const queue = JSON.parse(get.stdout) as { queue_name: string; queue_id: string };
    expect(queue.queue_name).toBe("seedq");
    expect(queue.queue_id).toBe(uuids(create.stdout)[0]);
  });

  test("the seeds' file name: a root holding only config.toml is read", async () => {
    await using cli = await cliWithServer();
    renameSync(join(cli.root, "client.toml"), join(cli.root, "config.toml"));
    const result = await ok(cli, "labtasker queue get -q");
    expect(result.stdout.trim()).toBe((await cli.api.getQueue()).queueId);
  });
});

describe("seed (claude skill): 1. submitting tasks", { timeout: SEED_TIMEOUT }, () => {
  test("basic, with name/metadata/priority/max-retries, and the nested grid loop", async () => {
    await using cli = await cliWithServer();
    await ok(cli, "labtasker task submit -- --lr=0.001 --model=resnet");
    await ok(
      cli,
      `labtasker task submit \\
    --name grid_search \\
    --metadata '{"tags": ["v1", "experimental"], "note": "baseline run"}' \\
    --priority 10 \\
    --max-retries 5 \\
    -- --lr=0.001 --model=resnet`,
    );
    await ok(
      cli,
      `for lr in 0.001 0.01 0.1; do
    for model in resnet vit; do
        labtasker task submit \\
            --name grid_search \\
            --metadata '{"tags": ["v1"]}' \\
            -- --lr=$lr --model=$model
    done
done`,
    );
    const tasks = await cli.tasks();
    expect(tasks).toHaveLength(8);
    expect(tasks[0]).toMatchObject({ args: { lr: 0.001, model: "resnet" }, taskName: null, priority: 10, maxRetries: 3 });
    expect(tasks[1]).toMatchObject({
      taskName: "grid_search",
      metadata: { tags: ["v1", "experimental"], note: "baseline run" },
      priority: 10,
      maxRetries: 5,
      args: { lr: 0.001, model: "resnet" },
    });
    expect(tasks.slice(2).map((task) => task.args)).toEqual([
      { lr: 0.001, model: "resnet" }, { lr: 0.001, model: "vit" },
      { lr: 0.01, model: "resnet" }, { lr: 0.01, model: "vit" },
      { lr: 0.1, model: "resnet" }, { lr: 0.1, model: "vit" },
    ]);
    expect(tasks.slice(2).every((task) => task.taskName === "grid_search" && task.metadata.tags?.toString() === "v1")).toBe(true);
  });

  test("--args dict, dotted nested args, and special characters", async () => {
    await using cli = await cliWithServer();
    await ok(cli, `labtasker task submit --args '{"arg1": 0, "arg2": 3}'`);
    await ok(cli, "labtasker task submit -- --optimizer.lr=0.01 --optimizer.momentum=0.9");
    await ok(cli, `labtasker task submit -- --value=-1 --label="" --desc="hello world"`);
    const tasks = await cli.tasks();
    expect(tasks.map((task) => task.args)).toEqual([
      { arg1: 0, arg2: 3 },
      { optimizer: { lr: 0.01, momentum: 0.9 } },
      { value: -1, label: "", desc: "hello world" },
    ]);
  });
});

/** The fixture of the query seeds: names, tags, statuses and summaries the filters select on. */
async function queryFixture(cli: CliHarness) {
  const [a, b, c, d, e, f] = await seed(cli, [
    { name: "grid_search", args: { lr: 0.001, model: "resnet" }, tags: ["v1"] },
    { name: "grid_search", args: { lr: 0.05, model: "vit" }, tags: ["v1", "experimental"] },
    { name: "grid-2", args: { lr: 0.1, model: "resnet" }, tags: ["v2"] },
    { name: "exp-1", args: { lr: 0.02, foo: { bar: 0.5 } }, tags: ["experimental"] },
    { name: "debug-1", args: { lr: 0.001, foo: { bar: 0.05 } }, tags: ["test"] },
    { name: "grid-3", args: { lr: 0.3, model: "vit" }, tags: ["v1"] },
  ]);
  await settle(cli.api, a!, "success", { acc: 0.95 });
  await settle(cli.api, c!, "success", { acc: 0.8 });
  await settle(cli.api, f!, "success", { acc: 0.97 });
  await settle(cli.api, b!, "failed");
  await settle(cli.api, e!, "running");
  return { a: a!, b: b!, c: c!, d: d!, e: e!, f: f! };
}

describe("seed (claude skill): 3. querying tasks", { timeout: SEED_TIMEOUT }, () => {
  test("by status", async () => {
    await using cli = await cliWithServer();
    const t = await queryFixture(cli);
    const expected: Record<string, string[]> = { pending: [t.d], running: [t.e], failed: [t.b], success: [t.a, t.c, t.f] };
    for (const status of ["pending", "running", "failed", "success"]) {
      const result = await ok(cli, `labtasker task ls -s ${status}`);
      expect({ status, ids: new Set(ids(result.stdout).filter((id) => Object.values(t).includes(id))) }).toEqual({ status, ids: new Set(expected[status]) });
      expect(result.stdout.match(/^ {2}status: (\w+)$/gm)?.every((line) => line.endsWith(status))).toBe(true);
    }
  });

  test("Python-native filters with -q --no-pager", async () => {
    await using cli = await cliWithServer();
    const t = await queryFixture(cli);
    const cases: Array<[string, string[]]> = [
      [`labtasker task ls -f 'args.lr > 0.01' -q --no-pager`, [t.b, t.c, t.d, t.f]],
      [`labtasker task ls -f 'task_name == "grid_search"' -q --no-pager`, [t.a, t.b]],
      [`labtasker task ls -f '"v1" in list(metadata.tags)' -q --no-pager`, [t.a, t.b, t.f]],
      [`labtasker task ls -f 'created_at >= date("3 hours ago")' -q --no-pager`, Object.values(t)],
      [`labtasker task ls -f 'args.lr > 0.01 and "v1" in list(metadata.tags)' -q --no-pager`, [t.b, t.f]],
      [`labtasker task ls -f 'regex(task_name, "^grid-.*")' -q --no-pager`, [t.c, t.f]],
    ];
    for (const [script, expected] of cases) {
      const result = await ok(cli, script);
      expect({ script, ids: new Set(ids(result.stdout)), lines: result.stdout.trim().split("\n").length }).toEqual({ script, ids: new Set(expected), lines: expected.length });
    }
  });

  test("summary filter, OR filter, and sorts", async () => {
    await using cli = await cliWithServer();
    const t = await queryFixture(cli);
    const summary = await ok(cli, `labtasker task ls -s success -f 'summary.acc > 0.9' --no-pager`);
    expect(new Set(ids(summary.stdout).filter((id) => Object.values(t).includes(id)))).toEqual(new Set([t.a, t.f]));
    expect(summary.stdout).toContain("acc: 0.95");
    const or = await ok(cli, `labtasker task ls -f 'status == "failed" or status == "pending"' --no-pager`);
    expect(new Set(ids(or.stdout).filter((id) => Object.values(t).includes(id)))).toEqual(new Set([t.b, t.d]));
    const byAcc = await ok(cli, `labtasker task ls -s success -S 'summary.acc:desc' --no-pager`);
    expect(ids(byAcc.stdout).filter((id) => [t.a, t.c, t.f].includes(id))).toEqual([t.f, t.a, t.c]);
    const byCreated = await ok(cli, `labtasker task ls -s success -S 'created_at:desc' --no-pager`);
    expect(ids(byCreated.stdout).filter((id) => [t.a, t.c, t.f].includes(id))).toHaveLength(3);
    const quick = await ok(cli, "labtasker task ls -S created_at:desc");
    expect(ids(quick.stdout).filter((id) => Object.values(t).includes(id))).toHaveLength(6);
    const failed = await ok(cli, "labtasker task ls -s failed");
    expect(ids(failed.stdout)).toContain(t.b);
  });
});

describe("seed (claude skill): 5. updating tasks", { timeout: SEED_TIMEOUT }, () => {
  test("update one task's args (merge), then args and metadata together", async () => {
    await using cli = await cliWithServer();
    const [id] = await seed(cli, [{ args: { lr: 0.1, model: "resnet" }, tags: ["v1"] }]);
    await ok(cli, `labtasker task update --id ${id} -u 'args.lr=0.005'`);
    expect((await cli.api.getTask(id!)).args).toEqual({ lr: 0.005, model: "resnet" });
    await ok(cli, `labtasker task update --id ${id} -u 'args.lr=0.005' -u 'metadata.tags=["v2"]'`);
    const task = await cli.api.getTask(id!);
    expect(task.args).toEqual({ lr: 0.005, model: "resnet" });
    expect(task.metadata).toEqual({ tags: ["v2"] });
    // The quick reference's form.
    await ok(cli, `labtasker task update --id ${id} -u 'args.k=v'`);
    expect((await cli.api.getTask(id!)).args).toEqual({ lr: 0.005, model: "resnet", k: "v" });
  });

  test("batch: failed resnet tasks fixed and re-queued, through xargs (with --limit 10000) and with filter flags", async () => {
    await using cli = await cliWithServer();
    const [r1, r2, v1, r3] = await seed(cli, [
      { args: { lr: 0.1, model: "resnet" } },
      { args: { lr: 0.2, model: "resnet" } },
      { args: { lr: 0.3, model: "vit" } },
      { args: { lr: 0.4, model: "resnet" } },
    ]);
    for (const id of [r1!, r2!, v1!]) await settle(cli.api, id, "failed");
    await ok(
      cli,
      `labtasker task ls -f 'status == "failed" and args.model == "resnet"' -q --limit 10000 \\
    | xargs -I{} labtasker task update --id {} -u 'args.lr=0.005' --reset-pending --quiet`,
    );
    for (const id of [r1!, r2!]) expect(await cli.api.getTask(id)).toMatchObject({ status: "pending", retries: 0, args: { lr: 0.005, model: "resnet" } });
    expect(await cli.api.getTask(v1!)).toMatchObject({ status: "failed", args: { lr: 0.3 } });
    expect(await cli.api.getTask(r3!)).toMatchObject({ status: "pending", args: { lr: 0.4 } });

    for (const id of [r1!, r3!]) await settle(cli.api, id, "failed");
    await ok(cli, `labtasker task update -s failed -f 'args.model == "resnet"' -u 'args.lr=0.005' --reset-pending --quiet`);
    for (const id of [r1!, r3!]) expect(await cli.api.getTask(id)).toMatchObject({ status: "pending", retries: 0, args: { lr: 0.005 } });
    expect((await cli.api.getTask(v1!)).status).toBe("failed");
  });

  test("cancel pending tasks and bump priorities through xargs", async () => {
    await using cli = await cliWithServer();
    const [low, high, urgent, done] = await seed(cli, [
      { args: { lr: 0.01 } },
      { args: { lr: 0.1 } },
      { args: { lr: 0.02 }, tags: ["urgent"] },
      { args: { lr: 0.2 }, tags: ["urgent"] },
    ]);
    await settle(cli.api, done!, "success");
    await ok(
      cli,
      `labtasker task ls -s pending -f 'args.lr > 0.05' -q --limit 10000 \\
    | xargs -I{} labtasker task update --id {} -u 'status=cancelled' --quiet`,
    );
    expect((await cli.api.getTask(high!)).status).toBe("cancelled");
    expect((await cli.api.getTask(low!)).status).toBe("pending");
    await ok(
      cli,
      `labtasker task ls -f '"urgent" in list(metadata.tags)' -s pending -q --limit 10000 \\
    | xargs -I{} labtasker task update --id {} -u 'priority=100' --quiet`,
    );
    expect((await cli.api.getTask(urgent!)).priority).toBe(100);
    expect((await cli.api.getTask(done!)).priority).toBe(10);
    expect((await cli.api.getTask(low!)).priority).toBe(10);
  });
});

describe("seed (claude skill): 6. deleting tasks", { timeout: SEED_TIMEOUT }, () => {
  test("by id (confirming at the prompt), by age, by status and by name pattern", async () => {
    await using cli = await cliWithServer();
    // Tasks created 20 minutes ago, for the `date("10 minutes ago")` example.
    cli.server.clock.ms = Date.now() - 20 * 60_000;
    const [old1, old2] = await seed(cli, [{ args: { x: 1 } }, { args: { x: 2 } }]);
    cli.server.clock.ms = Date.now();
    const [one, failed, debug, keep] = await seed(cli, [
      { args: { x: 3 } },
      { args: { x: 4 } },
      { name: "debug-run", args: { x: 5 } },
      { name: "main-run", args: { x: 6 } },
    ]);
    await settle(cli.api, failed!, "failed");

    const byId = await cli.sh(`labtasker task delete ${one}`, { input: "y\n" });
    expectCode(byId, 0);
    await ok(cli, `labtasker task ls -f 'created_at < date("10 minutes ago")' -q --limit 10000 | labtasker task delete -y`);
    await ok(cli, "labtasker task ls -s failed -q --limit 10000 | labtasker task delete -y");
    await ok(cli, `labtasker task ls -f 'regex(task_name, "^debug-.*")' -q --limit 10000 | labtasker task delete -y`);
    const left = (await cli.tasks()).map((task) => task.taskId);
    expect(left).toEqual([keep]);
    expect([old1, old2, one, failed, debug].some((id) => left.includes(id!))).toBe(false);
    // The quick reference's form, with nothing left to match: an empty pipe deletes nothing and succeeds.
    await ok(cli, "labtasker task ls -s failed -q | labtasker task delete -y");
    expect(await cli.tasks()).toHaveLength(1);
  });
});

describe("seed (opencode skill)", { timeout: SEED_TIMEOUT }, () => {
  test("setup, submit_job.sh, and status views", async () => {
    await using cli = await cliWithServer();
    rmSync(cli.root, { recursive: true, force: true });
    const init = await cli.run(["init"], { input: `${cli.server.url}\nocq\noc-pw\noc-pw\nn\n` });
    expectCode(init, 0);
    await ok(cli, "labtasker queue create-from-config  # Create queue from config");
    await ok(cli, "labtasker queue get                 # Get current queue info");
    await ok(
      cli,
      `#!/bin/bash
# submit_job.sh - submit all task variations

for arg1 in {0..2}; do
    for arg2 in {3..5}; do
        labtasker task submit --name grid_search --metadata '{"tags": ["experimental"]}' -- --arg1=$arg1 --arg2=$arg2
    done
done`,
    );
    const configured = await cli.run(["queue", "get", "-q"]);
    const { DirectLabtasker } = await import("../../src/broker/direct.js");
    const api = new DirectLabtasker(cli.server.broker, { queueName: "ocq", password: "oc-pw" });
    expect((await api.getQueue()).queueId).toBe(configured.stdout.trim());
    const tasks = (await api.lsTasks({ limit: 100, sort: [["created_at", 1]] })).content;
    expect(tasks.map((task) => task.args)).toEqual([0, 1, 2].flatMap((arg1) => [3, 4, 5].map((arg2) => ({ arg1, arg2 }))));
    expect(tasks.every((task) => task.taskName === "grid_search" && task.metadata.tags?.toString() === "experimental")).toBe(true);
    const pending = await ok(cli, "labtasker task ls -s pending    # View pending tasks");
    expect(ids(pending.stdout).filter((id) => tasks.some((task) => task.taskId === id))).toHaveLength(9);
    for (const status of ["running", "success", "failed"]) {
      const result = await ok(cli, `labtasker task ls -s ${status}`);
      expect(result.stdout).toBe("");
    }
  });

  test("filters with --quiet --no-pager", async () => {
    await using cli = await cliWithServer();
    const [a, b, c, d] = await seed(cli, [
      { name: "grid_search", args: { foo: { bar: 0.5 } }, tags: ["experimental"] },
      { name: "exp-1", args: { foo: { bar: 0.05 } }, tags: ["test"] },
      { name: "exp-2", args: { foo: { bar: 0.2 } }, tags: ["other"] },
      { name: "grid_search", args: { foo: { bar: 0.01 } }, tags: ["experimental", "x"] },
    ]);
    const cases: Array<[string, Array<string | undefined>]> = [
      [`labtasker task ls -f 'args.foo.bar > 0.1' --quiet --no-pager`, [a, c]],
      [`labtasker task ls -f 'task_name == "grid_search"' --quiet --no-pager`, [a, d]],
      [`labtasker task ls -f 'metadata.tags in ["experimental", "test"]' --quiet --no-pager`, [a, b, d]],
      [`labtasker task ls -f 'created_at >= date("3 hours ago")' --quiet --no-pager`, [a, b, c, d]],
      [`labtasker task ls -f 'args.foo.bar > 0.1 and metadata.tags in ["experimental"]' --quiet --no-pager`, [a]],
      [`labtasker task ls -f 'regex(task_name, "^exp-.*")' --quiet --no-pager`, [b, c]],
    ];
    for (const [script, expected] of cases) {
      const result = await ok(cli, script);
      expect({ script, ids: new Set(ids(result.stdout)) }).toEqual({ script, ids: new Set(expected) });
    }
  });

  test("task management, no-more-no-less submits, special characters, patterns 1 and 2", async () => {
    await using cli = await cliWithServer();
    const [id] = await seed(cli, [{ args: { arg1: 0.1, arg2: 3 } }]);
    await ok(cli, `labtasker task update --id ${id} -u 'args.arg1=0.3'`);
    expect((await cli.api.getTask(id!)).args).toEqual({ arg1: 0.3, arg2: 3 });
    await ok(cli, `labtasker task ls -f 'created_at > date("10 minutes ago")' -q | labtasker task delete -y`);
    expect(await cli.tasks()).toEqual([]);

    await ok(cli, `labtasker task submit -- --prompt="hello" --guidance_scale=7.5`);
    await ok(cli, `labtasker task submit -- --prompt="hello"`);
    await ok(cli, `labtasker task submit -- --value=-1 --value="" --value="hello world"`);
    await ok(cli, "for lr in 0.001 0.01 0.1; do\n    labtasker task submit -- --lr=$lr\ndone");
    await ok(
      cli,
      `for model in resnet vit transformer; do
    for dataset in cifar10 imagenet; do
        labtasker task submit --metadata "{\\"tags\\": [\\"$model\\", \\"$dataset\\"]}" -- --model=$model --dataset=$dataset
    done
done`,
    );
    await ok(cli, "labtasker task submit -- --key=value");
    const tasks = await cli.tasks();
    expect(tasks.slice(0, 6).map((task) => task.args)).toEqual([
      { prompt: "hello", guidance_scale: 7.5 },
      { prompt: "hello" },
      { value: "hello world" },
      { lr: 0.001 },
      { lr: 0.01 },
      { lr: 0.1 },
    ]);
    const grid = tasks.slice(6, 12);
    expect(grid.map((task) => [task.args, task.metadata])).toEqual(
      ["resnet", "vit", "transformer"].flatMap((model) => ["cifar10", "imagenet"].map((dataset) => [{ model, dataset }, { tags: [model, dataset] }])),
    );
    expect(tasks[12]!.args).toEqual({ key: "value" });

    // Quick reference: `task update -u 'args.k=v'` with no target updates every task; `task delete` with no ids
    // and nothing piped is a usage error, as in v1.
    await ok(cli, "labtasker task update -u 'args.k=v'");
    expect((await cli.tasks()).every((task) => task.args.k === "v")).toBe(true);
    const bare = await cli.sh("labtasker task delete");
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain("Give the ids");
    const listed = await ok(cli, "labtasker task ls -s pending");
    expect(ids(listed.stdout).filter((listedId) => tasks.some((task) => task.taskId === listedId))).toHaveLength(13);
  });
});
