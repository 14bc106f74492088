/**
 * The task model's extensions from the CLI (docs/tasks.md): `task submit --depends-on/--dedup/--id/--env/
 * --max-timeouts`, the same fields in `--jsonl` lines (refs by key), "N new, M already there", what `task ls` shows
 * and selects, and a two-stage sweep drained by several `labtasker loop` processes.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { cliDirect, cliWithServer, expectCode, ids } from "./helpers.js";
import { loopHarness } from "../runner/support.js";

const TIMEOUT = { timeout: 120_000 };

describe.each([["server", cliWithServer], ["direct", cliDirect]] as const)("task submit's extensions (%s)", (_mode, harness) => {
  test("--depends-on, --env, --max-timeouts; ls shows and selects what a task waits on", TIMEOUT, async () => {
    await using cli = await harness();
    const first = (await cli.run(["task", "submit", "-q", "--", "--stage=1"])).stdout.trim();
    const second = await cli.run(["task", "submit", "-q", "--depends-on", first, "--env", "SEED=7", "--env", "MODE=a=b", "--max-timeouts", "2", "--", "--stage=2"]);
    expectCode(second, 0);
    const secondId = second.stdout.trim();
    expect(await cli.api.getTask(secondId)).toMatchObject({ dependsOn: [first], waiting: true, env: { SEED: "7", MODE: "a=b" }, maxTimeouts: 2 });
    const listed = await cli.run(["task", "ls", "--id", secondId, "--fmt", "jsonl"]);
    expect(listed.stdout).toContain(`"worker_id":null,"depends_on":["${first}"],"waiting":true,"env":{"SEED":"7","MODE":"a=b"},"max_timeouts":2}`);
    const waiting = await cli.run(["task", "ls", "-q", "-f", "waiting == True"]);
    expect(ids(waiting.stdout)).toEqual([secondId]);
    const after = await cli.run(["task", "ls", "-q", "-f", `'${first}' in list(depends_on)`]);
    expect(ids(after.stdout)).toEqual([secondId]);
    const unknown = await cli.run(["task", "submit", "--depends-on", "t_AAAAAAAAAAAA", "--", "--stage=3"]);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain("depends on t_AAAAAAAAAAAA, which is neither a task of the queue");
    const badEnv = await cli.run(["task", "submit", "--env", "NOEQUALS", "--", "--x=1"]);
    expectCode(badEnv, 2);
  });

  test("--dedup and --id: the same task again is found, another definition under an id is refused", TIMEOUT, async () => {
    await using cli = await harness();
    const first = await cli.run(["task", "submit", "--dedup", "--", "--lr=0.1", "--model=a"]);
    expectCode(first, 0);
    const again = await cli.run(["task", "submit", "--dedup", "--", "--model=a", "--lr=0.1"]);
    expect(again.stdout).toBe(first.stdout.replace("Task submitted with ID", "Task already there with ID"));
    const byId = await cli.run(["task", "submit", "-q", "--id", "t_mine-0000001", "--", "--x=1"]);
    expect(byId.stdout).toBe("t_mine-0000001\n");
    expectCode(await cli.run(["task", "submit", "-q", "--id", "t_mine-0000001", "--", "--x=1"]), 0);
    const conflict = await cli.run(["task", "submit", "--id", "t_mine-0000001", "--", "--x=2"]);
    expect(conflict.code).not.toBe(0);
    expect(conflict.stderr).toContain("exists with another definition");
    expect((await cli.api.lsTasks()).content).toHaveLength(2);
  });

  test("--jsonl: refs by key, per-line extensions, 'N new, M already there', and a refusal naming its line", TIMEOUT, async () => {
    await using cli = await harness();
    const lines = [
      { args: { stage: "prep" }, ref: "prep", dedup: true },
      { args: { stage: "train", lr: 0.1 }, ref: "train-0.1", depends_on: ["prep"], dedup: true, env: { SEED: "1" } },
      "",
      { args: { stage: "eval" }, depends_on: ["train-0.1", "prep"], dedup: true, max_timeouts: 1 },
    ].map((line) => (line === "" ? "" : JSON.stringify(line))).join("\n");
    writeFileSync(join(cli.root, "sweep.jsonl"), lines + "\n");
    const run = await cli.run(["task", "submit", "--jsonl", join(cli.root, "sweep.jsonl")]);
    expectCode(run, 0);
    expect(run.stderr).toContain("Submitted 3 tasks: 3 new, 0 already there.");
    const [prep, train, evaluate] = ids(run.stdout);
    expect(await cli.api.getTask(evaluate!)).toMatchObject({ dependsOn: [train, prep], maxTimeouts: 1, waiting: true });
    expect(await cli.api.getTask(train!)).toMatchObject({ dependsOn: [prep], env: { SEED: "1" } });
    const rerun = await cli.run(["task", "submit", "--jsonl", join(cli.root, "sweep.jsonl")]);
    expect(rerun.stderr).toContain("Submitted 3 tasks: 0 new, 3 already there.");
    expect(ids(rerun.stdout)).toEqual([prep, train, evaluate]);
    writeFileSync(join(cli.root, "bad.jsonl"), [JSON.stringify({ args: { a: 1 } }), "", JSON.stringify({ args: { a: 2 }, depends_on: ["t_AAAAAAAAAAAA"] })].join("\n"));
    const bad = await cli.run(["task", "submit", "--jsonl", join(cli.root, "bad.jsonl")]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("bad.jsonl line 3: Task 2 of the submission depends on t_AAAAAAAAAAAA");
    expect((await cli.api.lsTasks()).content).toHaveLength(3);
  });
});

describe("a two-stage sweep drained by several loops", () => {
  test("stage-2 tasks run only after every stage-1 task they depend on succeeded", TIMEOUT, async () => {
    await using h = await loopHarness();
    const stage1 = Array.from({ length: 6 }, (_, i) => ({ args: { stage: 1, i }, ref: `s1-${i}` }));
    // Each stage-2 task depends on two stage-1 tasks; its priority is higher, so a loop would take it first if it could.
    const stage2 = Array.from({ length: 6 }, (_, i) => ({ args: { stage: 2, i }, priority: 50, dependsOn: [`s1-${i}`, `s1-${(i + 1) % 6}`] }));
    const submitted = await h.api.submitTasks([...stage1, ...stage2]);
    const job = join(h.dir, "job.mjs");
    writeFileSync(job, "setTimeout(() => {}, 150);\n");
    const loops = Array.from({ length: 3 }, () => h.start(["loop", "--", process.execPath, job, "%(stage)", "%(i)"]));
    const runs = await Promise.all(loops.map((loop) => loop.done));
    expect(runs.map((run) => (run.code === 0 ? 0 : run.stderr))).toEqual([0, 0, 0]);
    const tasks = new Map((await h.tasks()).map((task) => [task.taskId, task]));
    expect([...tasks.values()].map((task) => task.status)).toEqual(Array(12).fill("success"));
    for (const id of submitted.slice(6)) {
      const task = tasks.get(id)!;
      expect(task.dependsOn).toHaveLength(2);
      for (const dependency of task.dependsOn!) {
        expect(task.startTime!.getTime()).toBeGreaterThanOrEqual(tasks.get(dependency)!.lastModified.getTime());
      }
    }
  });
});
