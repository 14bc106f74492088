/**
 * Each run's output, sent by `labtasker loop` to the server as it is written and read back with `labtasker task logs`:
 * bytes kept as written (binary, colours, CRLF), colours stripped when stdout is not a terminal, a 50 MB chatty job
 * truncated to the task's last 1 MiB with a mark (the loop's memory bounded), `-f` following a run to its end, a retried
 * task's attempts apart, and the log gone with its task.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loopHarness, waitFor } from "./support.js";

describe("run output on the server", () => {
  it("round-trips binary bytes, ANSI colour and CRLF; `task logs` strips escapes off a terminal and keeps them with colour on", { timeout: 60_000 }, async () => {
    await using h = await loopHarness();
    const taskId = await h.api.submitTask({ args: { x: 1 } });
    writeFileSync(join(h.dir, "job.sh"), "printf '\\033[31mred\\033[0m\\r\\nbinary:\\001\\002\\377\\376\\n'\n");
    const run = await h.run(["loop", "--", "sh", "job.sh", "%(x)"]);
    expect({ code: run.code, output: run.stderr }).toMatchObject({ code: 0 });
    const log = await h.api.readTaskLog(taskId);
    const bytes = Buffer.from(log.data);
    expect(bytes.includes(Buffer.from("\u001b[31mred\u001b[0m\r\nbinary:\u0001\u0002\xff\xfe\n", "latin1"))).toBe(true);
    expect(bytes.toString("utf8")).toContain(`Prepared to run task ${taskId}`); // the loop's own lines, as in run.log
    expect(log).toMatchObject({ attempt: 1, attempts: 1, offset: 0, ended: true });

    const plain = await h.run(["task", "logs", taskId]);
    expect({ code: plain.code, output: plain.stderr }).toMatchObject({ code: 0 });
    expect(plain.stdout).toContain("red\nbinary:");
    expect(plain.stdout).not.toContain("\u001b[");
    const coloured = await h.run(["task", "logs", taskId], { env: { FORCE_COLOR: "1" } });
    expect(coloured.stdout).toContain("\u001b[31mred\u001b[0m\r\n");
  });

  it("keeps the last 1 MiB of a 50 MB chatty job, with a truncated mark, the loop's memory bounded", { timeout: 90_000 }, async () => {
    await using h = await loopHarness();
    const taskId = await h.api.submitTask({ args: { x: 1 } });
    // 50 MB of numbered lines, then a last line to find at the end.
    writeFileSync(join(h.dir, "job.sh"), "seq 1 9000000 | head -c 50000000\necho; echo THE-END\n");
    // A heap this small fails the loop if it held the output anywhere.
    const run = await h.run(["loop", "--", "sh", "job.sh", "%(x)"], { env: { NODE_OPTIONS: "--max-old-space-size=48" }, timeoutMs: 80_000 });
    expect({ code: run.code, output: run.stderr.slice(-2000) }).toMatchObject({ code: 0 });
    expect((await h.api.getTask(taskId)).status).toBe("success");
    const log = await h.api.readTaskLog(taskId);
    expect(log.data.length).toBeLessThanOrEqual(1024 * 1024);
    expect(log.offset).toBeGreaterThan(48_900_000); // 50 MB and the loop's lines, less the last MiB
    expect(Buffer.from(log.data).toString()).toContain("THE-END");
    const shown = await h.run(["task", "logs", taskId]);
    expect(shown.stderr).toMatch(/\[\.\.\. \d+ earlier bytes dropped: a task keeps the last 1 MiB of its output \.\.\.\]/);
    expect(shown.stdout).toContain("THE-END");
  });

  it("`task logs -f` follows a running task to its end", { timeout: 60_000 }, async () => {
    await using h = await loopHarness();
    const taskId = await h.api.submitTask({ args: { x: 1 } });
    writeFileSync(join(h.dir, "job.sh"), "for i in 1 2 3 4 5; do echo line-$i; sleep 0.4; done\n");
    const loop = h.start(["loop", "--", "sh", "job.sh", "%(x)"]);
    await waitFor(async () => (await h.api.getTask(taskId)).status === "running", "the task to start");
    const follow = await h.run(["task", "logs", taskId, "-f"], { timeoutMs: 30_000 });
    expect({ code: follow.code, output: follow.stderr }).toMatchObject({ code: 0 });
    expect(follow.stdout.match(/line-\d/g)).toEqual(["line-1", "line-2", "line-3", "line-4", "line-5"]);
    expect(follow.stdout).toContain(`Task ${taskId} ended.`); // followed to the run's end, past the report
    expect((await loop.done).code).toBe(0);
  });

  it("keeps a retried task's attempts apart, and removes the log with the task", { timeout: 60_000 }, async () => {
    await using h = await loopHarness();
    const taskId = await h.api.submitTask({ args: { x: 1 } });
    writeFileSync(join(h.dir, "job.sh"), 'if [ -e first-done ]; then echo second-run; else touch first-done; echo first-run; exit 3; fi\n');
    const run = await h.run(["loop", "--", "sh", "job.sh", "%(x)"]);
    expect({ code: run.code, output: run.stderr }).toMatchObject({ code: 0 });
    const first = await h.run(["task", "logs", taskId, "--attempt", "1"]);
    expect(first.stdout).toContain("first-run");
    expect(first.stdout).not.toContain("second-run");
    const last = await h.run(["task", "logs", taskId]);
    expect(last.stdout).toContain("second-run");
    expect(last.stderr).toContain("(attempt 2 of 2; --attempt N shows another)");
    expect((await h.run(["task", "delete", taskId, "-y"])).code).toBe(0);
    const gone = await h.run(["task", "logs", taskId]);
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toMatch(/not found/i);
    const { store } = h.broker;
    const queueId = (await h.api.getQueue()).queueId;
    expect(await store.redis.keys(`${store.keys.root(queueId)}task-log*${taskId}*`)).toEqual([]);
  });

  it("runs the same in direct mode, and --no-upload-logs keeps output in run.log only", { timeout: 60_000 }, async () => {
    await using h = await loopHarness({ mode: "direct" });
    const [a, b] = await h.api.submitTasks([{ args: { x: 1 } }, { args: { x: 2 } }]);
    const one = await h.run(["loop", "-f", "args.x == 1", "--", "echo", "direct-%(x)"]);
    expect({ code: one.code, output: one.stderr }).toMatchObject({ code: 0 });
    expect((await h.run(["task", "logs", a!])).stdout).toContain("direct-1");
    const two = await h.run(["loop", "--no-upload-logs", "--", "echo", "local-%(x)"]);
    expect({ code: two.code, output: two.stderr }).toMatchObject({ code: 0 });
    expect((await h.api.readTaskLog(b!)).attempts).toBe(0);
    expect((await h.run(["task", "logs", b!])).stderr).toContain(`Task ${b!} has no log yet.`);
  });
});
