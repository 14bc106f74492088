/**
 * The examples of examples/ as a user runs them (`npx tsx examples/...`), configured by the LABTASKER_* variables
 * alone, over both transports: the submit script fills the queue, two workers drain it in parallel, the results
 * script ranks what they recorded.
 */
import { describe, expect, it } from "vitest";
import { TRANSPORTS, TSX, envFor, sdkQueue, startNode } from "./support.js";

const TIMEOUT = 60_000;

describe.each(TRANSPORTS)("examples/ over %s", (transport) => {
  it("grid-submit.ts, two grid-worker.ts in parallel, then grid-results.ts", { timeout: TIMEOUT }, async () => {
    await using q = await sdkQueue(transport);
    const env = { ...envFor(q), EPOCH_MS: "20" };
    // The example creates the queue itself when missing (existOk); here it exists already.
    const submit = await startNode([TSX, "examples/grid-submit.ts"], { env }).done;
    expect({ code: submit.code, stderr: submit.stderr }).toEqual({ code: 0, stderr: "" });
    const ids = submit.stdout.trim().split("\n");
    expect(ids).toHaveLength(6);
    // One diverging task, which the worker cancels, and one the worker's filter leaves alone.
    const [diverging, untagged] = await q.setup.submitTasks([
      { taskName: "grid_search", args: { lr: 10, model: "vit" }, metadata: { tags: ["v1"] } },
      { taskName: "grid_search", args: { lr: 0.5, model: "vit" }, metadata: { tags: ["v2"] } },
    ]);

    const workers = await Promise.all([0, 1].map((gpu) => startNode([TSX, "examples/grid-worker.ts"], { env: { ...env, CUDA_VISIBLE_DEVICES: String(gpu) } }).done));
    for (const worker of workers) {
      expect(worker.code).toBe(0);
      expect(worker.stdout).toMatch(/loop ended \(done\): \d+ succeeded, 0 failed, [01] cancelled/);
      expect(worker.stderr).toContain("are all done.");
    }
    const runs = workers.map((worker) => worker.stdout.match(/^training /gm)?.length ?? 0);
    expect(runs.reduce((a, b) => a + b)).toBe(7);

    const tasks = await Promise.all(ids.map((id) => q.setup.getTask(id)));
    for (const task of tasks) {
      expect(task.status).toBe("success");
      expect(Object.keys(task.summary).sort()).toEqual(["acc", "loss"]);
    }
    expect(await q.setup.getTask(diverging!)).toMatchObject({ status: "cancelled", summary: { reason: "loss is NaN" } });
    expect((await q.setup.getTask(untagged!)).status).toBe("pending");

    const results = await startNode([TSX, "examples/grid-results.ts"], { env }).done;
    expect({ code: results.code, stderr: results.stderr }).toEqual({ code: 0, stderr: "" });
    const accs = [...results.stdout.matchAll(/│\s*(0\.\d+)\s*│\s*$/gm)].map((match) => Number(match[1]));
    const expected = tasks.map((task) => Number(task.summary.acc)).sort((a, b) => b - a);
    expect(accs).toEqual(expected);
  });
});
