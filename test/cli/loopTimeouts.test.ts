/**
 * `labtasker loop` and resumable tasks, end to end with the real CLI: the deadline's SIGTERM `--grace` seconds before
 * it with LABTASKER_DEADLINE in the command's environment, SIGKILL at it, exit code 124 as a timeout, a task that
 * times out twice and succeeds on its third run from the checkpoint in its run directory, and the task's `env`.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loopHarness } from "../runner/support.js";

/**
 * A resumable job: counts its attempts in a checkpoint in its run directory, records each start (with the deadline
 * it was given) and each SIGTERM, and finishes only on its third attempt; before that it works until stopped.
 */
const RESUMABLE_JOB = `
ck="$LABTASKER_LOG_DIR/checkpoint"
n=$(cat "$ck" 2>/dev/null || echo 0); n=$((n + 1)); echo "$n" > "$ck"
echo "start $n $LABTASKER_DEADLINE $(date +%s)" >> "$OUT/attempts.txt"
[ "$n" -ge 3 ] && exit 0
trap 'echo "term $n $(date +%s)" >> "$OUT/attempts.txt"; exit 0' TERM
while :; do sleep 0.1; done
`;

describe.each(["direct", "server"] as const)("labtasker loop: deadlines and resumable tasks (%s)", (mode) => {
  it("times a task out twice at its grace and runs it a third time from its checkpoint in the same run directory", async () => {
    await using h = await loopHarness({ mode });
    writeFileSync(join(h.dir, "job.sh"), RESUMABLE_JOB);
    const taskId = await h.api.submitTask({ args: { n: 1 }, taskTimeout: 3, maxTimeouts: 2, maxRetries: 1 });
    const started = Date.now();
    const run = await h.run(["loop", "--grace", "1", "--", "sh", join(h.dir, "job.sh")], { env: { OUT: h.dir } });
    expect(run).toMatchObject({ code: 0 });
    expect(Date.now() - started).toBeGreaterThan(4_000); // two runs of 2 s each (3 s less the grace)

    const lines = readFileSync(join(h.dir, "attempts.txt"), "utf8").trim().split("\n").map((line) => line.split(" "));
    expect(lines.map((line) => `${line[0]} ${line[1]}`)).toEqual(["start 1", "term 1", "start 2", "term 2", "start 3"]);
    for (const start of [0, 2]) {
      const deadline = Number(lines[start]![2]);
      const begun = Number(lines[start]![3]);
      expect(deadline - begun).toBeGreaterThanOrEqual(2);
      expect(deadline - begun).toBeLessThanOrEqual(3);
      // SIGTERM came about one second (the grace) before the deadline.
      expect(deadline - Number(lines[start + 1]![2])).toBeGreaterThanOrEqual(0);
      expect(deadline - Number(lines[start + 1]![2])).toBeLessThanOrEqual(2);
    }
    expect(run.stderr).toContain(`Task ${taskId} timed out`);

    const task = await h.api.getTask(taskId);
    expect(task).toMatchObject({ status: "success", retries: 0, timeouts: 2 });
    const dirs = h.runDirs();
    expect(dirs).toHaveLength(1);
    expect(readFileSync(join(dirs[0]!, "checkpoint"), "utf8").trim()).toBe("3");
    expect(readFileSync(join(dirs[0]!, "status.json"), "utf8")).toContain("success");
    const worker = (await h.api.lsWorkers()).content[0]!;
    expect(worker.retries).toBe(0);
  });
});

describe("labtasker loop: deadlines", () => {
  it("kills a command that ignores the SIGTERM at the deadline; with no timeouts left the run is a charged failure", async () => {
    await using h = await loopHarness();
    const taskId = await h.api.submitTask({ args: { n: 1 }, taskTimeout: 2, maxRetries: 1 });
    const started = Date.now();
    const run = await h.run(["loop", "--grace", "1", "-c", "trap '' TERM; while :; do sleep 0.1; done"]);
    const took = Date.now() - started;
    expect(run).toMatchObject({ code: 0 });
    expect(took).toBeGreaterThan(1_900);
    expect(took).toBeLessThan(10_000);
    const task = await h.api.getTask(taskId);
    expect(task).toMatchObject({ status: "failed", retries: 1 });
    expect(task.summary).toMatchObject({ labtasker_exception: { type: "TimeoutError" } });
    expect(run.stderr).toContain(`Task ${taskId} timed out`);
  });

  it("reports exit code 124 as a timeout: resumed while timeouts remain, in the same run directory", async () => {
    await using h = await loopHarness();
    const taskId = await h.api.submitTask({ args: { n: 1 }, maxTimeouts: 1 });
    const run = await h.run(["loop", "-c", 'if [ -f "$LABTASKER_LOG_DIR/once" ]; then exit 0; fi; touch "$LABTASKER_LOG_DIR/once"; exit 124']);
    expect(run).toMatchObject({ code: 0 });
    expect(await h.api.getTask(taskId)).toMatchObject({ status: "success", retries: 0, timeouts: 1 });
    expect(h.runDirs()).toHaveLength(1);
  });

  it("sets the task's env for the command; the loop's CUDA_VISIBLE_DEVICES and LABTASKER_* variables win", async () => {
    await using h = await loopHarness();
    const taskId = await h.api.submitTask({
      args: { n: 1 },
      env: { MY_SETTING: "from-task", CUDA_VISIBLE_DEVICES: "7", LABTASKER_TASK_ID: "t_notthisone0", LABTASKER_DEADLINE: "1" },
    });
    const run = await h.run(["loop", "-c", 'echo "$MY_SETTING|$CUDA_VISIBLE_DEVICES|$LABTASKER_TASK_ID|${LABTASKER_DEADLINE-unset}" > "$OUT/env.txt"'], {
      env: { OUT: h.dir, MY_SETTING: "from-loop", CUDA_VISIBLE_DEVICES: "3" },
    });
    expect(run).toMatchObject({ code: 0 });
    expect(readFileSync(join(h.dir, "env.txt"), "utf8").trim()).toBe(`from-task|3|${taskId}|unset`);
    expect(run.stderr).toContain("CUDA_VISIBLE_DEVICES, LABTASKER_TASK_ID, LABTASKER_DEADLINE");
  });

  it("refuses a negative --grace with exit 2", async () => {
    await using h = await loopHarness();
    const run = await h.run(["loop", "--grace", "-1", "-c", "true"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--grace");
  });
});
