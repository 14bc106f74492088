/**
 * `labtasker loop --gpus`: a pool of loops, one worker per slot, on a fake nvidia-smi reporting 4 GPUs. Every task runs
 * once, on one GPU, never two at once on a GPU with --per-gpu 1 (at most K with --per-gpu K); a slot's command or loop
 * killed with SIGKILL loses nothing (the task comes back, the slot restarts); SIGINT to the pool reports every task.
 */
import { existsSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseGpuList, selectGpus } from "../../src/cli/loop/pool/gpus.js";
import { slotArgv } from "../../src/cli/loop/pool/argv.js";
import { reportOrphans } from "../../src/cli/loop/pool/pool.js";
import { HttpLabtasker } from "../../src/client/labtasker.js";
import { loadClientConfig } from "../../src/config/clientConfig.js";
import { planSlots } from "../../src/cli/loop/pool/slots.js";
import { parseGpuSamples, sampleToTelemetry, startTelemetry, type GpuSample } from "../../src/cli/loop/pool/telemetry.js";
import type { Labtasker } from "../../src/core/api.js";
import type { JsonObject } from "../../src/json.js";
import { fakeGpuList, fakeGpuUse, fakeNvidiaSmi } from "./fakeGpus.js";
import { loopHarness, waitFor } from "./support.js";

/** Appends `<gpu> <start ns> <end ns> <worker>` for each run, to check who ran what, where and when. */
const RECORD_JOB =
  'start=$(date +%s%N)\nsleep "$1"\necho "$CUDA_VISIBLE_DEVICES $start $(date +%s%N) $LABTASKER_WORKER_ID $LABTASKER_GPU_SLOT" >> "$OUT/$LABTASKER_TASK_ID"\n';

interface Run {
  gpu: string;
  start: number;
  end: number;
  worker: string;
}

function readRuns(out: string, taskId: string): Run[] {
  return readFileSync(join(out, taskId), "utf8")
    .trim()
    .split("\n")
    .map((line) => {
      const [gpu, start, end, worker] = line.split(" ");
      return { gpu: gpu!, start: Number(start) / 1e6, end: Number(end) / 1e6, worker: worker! };
    });
}

/** The most runs on one GPU at any one time. */
function maxOverlap(runs: readonly Run[]): number {
  const edges = runs.flatMap((run) => [[run.start, 1] as const, [run.end, -1] as const]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let most = 0;
  for (const [, delta] of edges) most = Math.max(most, (now += delta));
  return most;
}

describe("the GPU list and the slots", () => {
  it("reads nvidia-smi's CSV strictly and selects all, N or a list", () => {
    const gpus = parseGpuList(fakeGpuList(4));
    expect(gpus).toHaveLength(4);
    expect(gpus[2]).toEqual({ index: 2, uuid: "GPU-00000000-0000-0000-0000-000000000002", name: "NVIDIA A100-SXM4-80GB", memoryTotal: 81920 });
    expect(parseGpuList("0, GPU-ab, Tesla, V100, 32768 MiB\n")[0]!.name).toBe("Tesla, V100");
    expect(() => parseGpuList("index, uuid, name, memory.total [MiB]\n")).toThrow(/Cannot read this line of nvidia-smi's GPU list/);
    expect(() => parseGpuList("0, GPU-ab, A100, [N/A]\n")).toThrow(/Cannot read this line/);
    expect(selectGpus("all", () => gpus)).toHaveLength(4);
    expect(selectGpus("2", () => gpus).map((g) => g.index)).toEqual([0, 1]);
    expect(selectGpus("3,1", () => gpus).map((g) => g.index)).toEqual([3, 1]);
    expect(selectGpus("2,", () => null)).toEqual([{ index: 2, uuid: null, name: null, memoryTotal: null }]);
    expect(() => selectGpus("all", () => null)).toThrow(/nvidia-smi, which is not on the PATH/);
    expect(() => selectGpus("0,7", () => gpus)).toThrow(/no GPU 7/);
    expect(() => selectGpus("5", () => gpus)).toThrow(/lists 4 GPU/);
    expect(() => selectGpus("gpu0", () => gpus)).toThrow(/--gpus takes all/);
  });

  it("names one worker per slot after the host and GPU, with the GPU in its metadata", () => {
    const gpus = parseGpuList(fakeGpuList(2));
    expect(planSlots(gpus, 1, "box").map((s) => s.workerName)).toEqual(["box-gpu0", "box-gpu1"]);
    const slots = planSlots(gpus, 2, "box");
    expect(slots.map((s) => [s.number, s.label, s.workerName])).toEqual([
      [0, "gpu0-s0", "box-gpu0-s0"],
      [1, "gpu0-s1", "box-gpu0-s1"],
      [2, "gpu1-s0", "box-gpu1-s0"],
      [3, "gpu1-s1", "box-gpu1-s1"],
    ]);
    expect(slots[3]!.metadata).toMatchObject({ host: "box", gpu: { index: 1, uuid: gpus[1]!.uuid, name: gpus[1]!.name, memory_total_mib: 81920 } });
  });

  it("gives each slot the loop's command line without the pool's flags", () => {
    expect(slotArgv(["-v", "loop", "--gpus", "all", "--per-gpu=2", "-f", "x", "--", "run", "--gpus", "1"], null)).toEqual(["-v", "loop", "-f", "x", "--", "run", "--gpus", "1"]);
    expect(slotArgv(["loop", "--gpus=0,1"], "python t.py %(x)")).toEqual(["loop", "--command", "python t.py %(x)"]);
    expect(slotArgv(["loop", "--gpus", "all", "--gpu-telemetry", "5", "--", "run"], null)).toEqual(["loop", "--", "run"]);
  });
});

describe("GPU telemetry", () => {
  it("reads nvidia-smi's utilization and memory, [N/A] as null, and refuses anything else", () => {
    expect(parseGpuSamples(fakeGpuUse(2))).toEqual([
      { index: 0, utilizationPct: 5, memoryUsedMib: 1000, memoryTotalMib: 81920 },
      { index: 1, utilizationPct: 15, memoryUsedMib: 2000, memoryTotalMib: 81920 },
    ]);
    expect(parseGpuSamples("3, [N/A], 10, 40960\n")).toEqual([{ index: 3, utilizationPct: null, memoryUsedMib: 10, memoryTotalMib: 40960 }]);
    expect(() => parseGpuSamples("0, GPU-ab, A100, 81920 MiB\n")).toThrow(/cannot read this line of nvidia-smi's answer/);
    expect(sampleToTelemetry({ index: 1, utilizationPct: 15, memoryUsedMib: 2000, memoryTotalMib: 81920 })).toEqual({
      gpu: { index: 1, utilization_pct: 15, memory_used_mib: 2000, memory_total_mib: 81920 },
    });
  });

  it("samples once a round for the whole pool, sends each active slot its GPU, skips a round still running, stops on a failure", async () => {
    const sent: Array<[string, JsonObject]> = [];
    const client = {
      supports: async (extension: string) => extension === "worker-telemetry",
      reportWorkerTelemetry: async (workerId: string, data: JsonObject) => void sent.push([workerId, data]),
    } as unknown as Labtasker;
    let calls = 0;
    let release: (() => void) | undefined;
    const samples: GpuSample[] = parseGpuSamples(fakeGpuUse(2));
    const problems: string[] = [];
    let active = true;
    const stop = startTelemetry({
      client,
      intervalMs: 20,
      slots: [
        { workerId: "w0", gpuIndex: 0, active: () => true },
        { workerId: "w1a", gpuIndex: 1, active: () => true },
        { workerId: "w1b", gpuIndex: 1, active: () => active },
      ],
      onProblem: (message) => problems.push(message),
      sample: async () => {
        calls += 1;
        if (calls === 2) await new Promise<void>((resolve) => (release = resolve)); // a slow nvidia-smi
        if (calls === 3) throw new Error("nvidia-smi failed: driver gone");
        return samples;
      },
    });
    await waitFor(() => release, "the second round to start");
    expect(sent.map(([id, data]) => [id, (data.gpu as JsonObject).index])).toEqual([["w0", 0], ["w1a", 1], ["w1b", 1]]);
    await new Promise((resolve) => setTimeout(resolve, 100)); // five intervals while the round hangs: none started
    expect(calls).toBe(2);
    active = false; // this slot is done: it keeps its last sample
    release!();
    await waitFor(() => problems.length > 0, "the failing round");
    expect(sent.filter(([id]) => id === "w1b")).toHaveLength(1);
    expect(sent).toHaveLength(5);
    expect(problems).toEqual(["GPU telemetry stopped: nvidia-smi failed: driver gone"]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(calls).toBe(3);
    stop();
  });
});

describe("labtasker loop --gpus", () => {
  it("drains a 40-task sweep on 4 GPUs: each task once, on one GPU, one at a time per GPU", { timeout: 90_000 }, async () => {
    await using h = await loopHarness();
    const out = join(h.dir, "out");
    mkdirSync(out);
    writeFileSync(join(h.dir, "job.sh"), RECORD_JOB);
    const ids = await h.api.submitTasks(Array.from({ length: 40 }, (_, i) => ({ args: { i, s: 0.02 + (i % 5) * 0.02 } })));
    const path = fakeNvidiaSmi(h.dir, 4, h.env.PATH);
    const run = await h.run(["loop", "--gpus", "all", "--", "sh", "job.sh", "%(s)", "%(i)"], { env: { PATH: path, OUT: out }, timeoutMs: 80_000 });
    expect({ code: run.code, output: run.stderr }).toMatchObject({ code: 0 });
    const tasks = await h.tasks();
    expect(tasks.map((t) => t.status)).toEqual(ids.map(() => "success"));
    const runs = ids.flatMap((id) => readRuns(out, id));
    expect(runs).toHaveLength(40); // each once
    expect(new Set(runs.map((r) => r.gpu))).toEqual(new Set(["0", "1", "2", "3"]));
    for (const gpu of ["0", "1", "2", "3"]) expect(maxOverlap(runs.filter((r) => r.gpu === gpu))).toBe(1);
    // One worker per GPU, named after the host and the GPU, with the GPU in its metadata.
    const workers = (await h.api.lsWorkers({ limit: 100 })).content;
    expect(workers.map((w) => w.workerName?.replace(/^.*-(gpu\d)$/, "$1")).sort()).toEqual(["gpu0", "gpu1", "gpu2", "gpu3"]);
    for (const run of runs) {
      const worker = workers.find((w) => w.workerId === run.worker)!;
      expect(worker.metadata).toMatchObject({ gpu: { index: Number(run.gpu), name: "NVIDIA A100-SXM4-80GB" } });
    }
    // Plain prefixed lines (stderr is not a terminal).
    expect(run.stderr).toMatch(/^\[gpu[0-3]\] .*Prepared to run task/m);
  });

  it("runs at most K tasks at once on a GPU with --per-gpu K", { timeout: 90_000 }, async () => {
    await using h = await loopHarness();
    const out = join(h.dir, "out");
    mkdirSync(out);
    writeFileSync(join(h.dir, "job.sh"), RECORD_JOB);
    const ids = await h.api.submitTasks(Array.from({ length: 16 }, (_, i) => ({ args: { i, s: 0.15 } })));
    const path = fakeNvidiaSmi(h.dir, 4, h.env.PATH);
    const run = await h.run(["loop", "--gpus", "0,1", "--per-gpu", "2", "--", "sh", "job.sh", "%(s)", "%(i)"], { env: { PATH: path, OUT: out }, timeoutMs: 80_000 });
    expect({ code: run.code, output: run.stderr }).toMatchObject({ code: 0 });
    const runs = ids.flatMap((id) => readRuns(out, id));
    expect(runs).toHaveLength(16);
    expect(new Set(runs.map((r) => r.gpu))).toEqual(new Set(["0", "1"]));
    for (const gpu of ["0", "1"]) expect(maxOverlap(runs.filter((r) => r.gpu === gpu))).toBeLessThanOrEqual(2);
    expect(new Set(runs.map((r) => r.worker)).size).toBe(4);
  });

  it("loses nothing when a slot's command and another slot's loop are killed: both tasks come back, the slot restarts", { timeout: 90_000 }, async () => {
    await using h = await loopHarness();
    const out = join(h.dir, "out");
    mkdirSync(out);
    // Tasks 0 and 1 wait (the first time) until killed; every run leaves `<pid> <loop pid>` behind.
    writeFileSync(
      join(h.dir, "job.sh"),
      'echo "$$ $PPID" > "$OUT/pids.$1"\nif [ "$1" -le 1 ] && [ ! -e "$OUT/again.$1" ]; then touch "$OUT/again.$1"; sleep 60; fi\necho "$1" >> "$OUT/ran"\n',
    );
    const ids = await h.api.submitTasks(Array.from({ length: 12 }, (_, i) => ({ args: { i } })));
    const path = fakeNvidiaSmi(h.dir, 4, h.env.PATH);
    const pool = h.start(["loop", "--gpus", "all", "--", "sh", "job.sh", "%(i)"], { env: { PATH: path, OUT: out } });
    await waitFor(() => existsSync(join(out, "pids.0")) && existsSync(join(out, "pids.1")), "tasks 0 and 1 to start", 30_000);
    const [command] = readFileSync(join(out, "pids.0"), "utf8").trim().split(" ");
    const [, loop] = readFileSync(join(out, "pids.1"), "utf8").trim().split(" ");
    process.kill(Number(command), "SIGKILL"); // the command of task 0
    process.kill(Number(loop), "SIGKILL"); // the loop of the slot running task 1
    const run = await Promise.race([pool.done, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`pool still running:\n${pool.stderr}`)), 60_000))]);
    expect({ code: run.code, output: run.stderr }).toMatchObject({ code: 0 });
    expect(run.stderr).toMatch(/was killed by SIGKILL; restarting it in 1 s/);
    const tasks = await h.tasks();
    expect(tasks.map((t) => t.status)).toEqual(ids.map(() => "success"));
    const ran = readFileSync(join(out, "ran"), "utf8").trim().split("\n").map(Number).sort((a, b) => a - b);
    expect(ran).toEqual(Array.from({ length: 12 }, (_, i) => i)); // each completed once
    const byArg = (i: number) => tasks.find((t) => t.args.i === i)!;
    expect(byArg(0).retries).toBe(1);
    expect(byArg(1).retries).toBe(1);
    // The loop that died left no command behind: task 1's sleeper is gone.
    const sleeper = Number(readFileSync(join(out, "pids.1"), "utf8").split(" ")[0]);
    expect(() => process.kill(sleeper, 0)).toThrow();
  });

  it("reports what a dead slot's worker still runs in the queue, told or not (died before its command started, or after a fetch that claimed the next task)", async () => {
    await using h = await loopHarness();
    const [taskId] = await h.api.submitTasks([{ args: { i: 0 } }, { args: { i: 1 } }, { args: { i: 2 } }]);
    const workerId = await h.api.createWorker({ workerName: "host-gpu0" });
    const other = await h.api.createWorker({ workerName: "host-gpu1" });
    expect((await h.api.fetchTask({ workerId }))!.taskId).toBe(taskId);
    const theOthers = (await h.api.fetchTask({ workerId: other }))!.taskId; // another slot's: left alone
    const events: string[] = [];
    const slot = { label: "gpu0", workerId, task: null, phase: "restarting" as const, lastLine: "", gpu: null };
    // Through the server, as the pool's client asks it (the filter on worker_id travels as extra_filter).
    const config = loadClientConfig({}, h.env);
    const client = new HttpLabtasker({ baseUrl: config.apiBaseUrl, queueName: h.queueName, password: "pw" });
    await reportOrphans(client, slot, null, "was killed by SIGKILL", { event: (_slot, message) => events.push(message) });
    const task = (await h.api.getTask(taskId!));
    expect(task).toMatchObject({ status: "pending", retries: 1, summary: { labtasker_exception: { type: "PoolSlotDied" } } });
    expect((await h.api.getTask(theOthers)).status).toBe("running");
    expect(events).toEqual([`Task ${taskId} reported failed: The loop of pool slot gpu0 was killed by SIGKILL while running this task.`]);
    // Nothing running under the worker: nothing to report.
    await reportOrphans(client, slot, null, "was killed by SIGKILL", { event: (_slot, message) => events.push(message) });
    expect(events).toHaveLength(1);
    // The pool still knows the last task (its report rode on the fetch that claimed the next): the queue says which runs.
    const last = (await h.api.fetchTask({ workerId }))!.taskId;
    await h.api.reportTaskStatus(last, "success", { workerId });
    const next = (await h.api.fetchTask({ workerId }))!.taskId;
    expect(next).not.toBe(last);
    await reportOrphans(client, slot, last, "was killed by SIGKILL", { event: (_slot, message) => events.push(message) });
    expect(events.slice(1)).toEqual([`Task ${next} reported failed: The loop of pool slot gpu0 was killed by SIGKILL while running this task.`]);
    expect((await h.api.getTask(last)).status).toBe("success");
  });

  it("reports the task it was told of when the queue cannot be asked, and asks nothing while stopping", async () => {
    const reported: string[] = [];
    const asked: string[] = [];
    const client = {
      lsTasks: async () => {
        asked.push("ls");
        throw new Error("connection refused");
      },
      reportTaskStatus: async (taskId: string) => void reported.push(taskId),
    } as unknown as Labtasker;
    const events: string[] = [];
    const slot = { label: "gpu1", workerId: "w1", task: null, phase: "restarting" as const, lastLine: "", gpu: null };
    await reportOrphans(client, slot, "t_told", "exited with code 1", { event: (_slot, message) => events.push(message) });
    expect(reported).toEqual(["t_told"]);
    expect(events[0]).toBe("Could not ask the queue which tasks the slot left running (connection refused).");
    await reportOrphans(client, slot, "t_stop", "was killed by SIGKILL", { event: () => undefined }, false);
    expect(asked).toHaveLength(1); // not asked again
    expect(reported).toEqual(["t_told", "t_stop"]);
  });

  it("Ctrl+C (SIGINT to the pool) stops every slot, each reporting its task", { timeout: 60_000 }, async () => {
    await using h = await loopHarness();
    const out = join(h.dir, "out");
    mkdirSync(out);
    writeFileSync(join(h.dir, "job.sh"), 'touch "$OUT/started.$1"\nsleep 60\n');
    const ids = await h.api.submitTasks(Array.from({ length: 6 }, (_, i) => ({ args: { i } })));
    const path = fakeNvidiaSmi(h.dir, 4, h.env.PATH);
    const pool = h.start(["loop", "--gpus", "all", "--", "sh", "job.sh", "%(i)"], { env: { PATH: path, OUT: out } });
    await waitFor(() => readdirSync(out).length === 4, "a task on each of the 4 GPUs", 30_000);
    pool.child.kill("SIGINT");
    const run = await pool.done;
    expect(run.signal).toBe("SIGINT");
    const tasks = await h.tasks();
    const started = tasks.filter((t) => t.retries === 1);
    expect(started).toHaveLength(4);
    for (const task of started) {
      expect(task.status).toBe("pending");
      expect(task.summary).toMatchObject({ labtasker_exception: { type: "KeyboardInterrupt" } });
    }
    expect(tasks.filter((t) => t.status === "pending")).toHaveLength(ids.length);
    expect((await h.api.lsWorkers()).content).toHaveLength(0); // the pool's workers are removed on a stop
  });

  it("--gpu-telemetry: one nvidia-smi call a round for the pool, each worker gets its GPU's use, `worker ls` shows it", { timeout: 60_000 }, async () => {
    await using h = await loopHarness();
    await h.api.submitTasks(Array.from({ length: 4 }, (_, i) => ({ args: { i } })));
    const path = fakeNvidiaSmi(h.dir, 4, h.env.PATH);
    const started = Date.now();
    const run = await h.run(["loop", "--gpus", "all", "--gpu-telemetry", "1", "--", "sleep", "2.5"], { env: { PATH: path }, timeoutMs: 50_000 });
    const seconds = (Date.now() - started) / 1000;
    expect({ code: run.code, output: run.stderr }).toMatchObject({ code: 0 });
    const calls = readFileSync(join(h.dir, "fake-bin", "calls"), "utf8").trim().split("\n");
    const rounds = calls.filter((call) => call.includes("utilization.gpu")).length;
    expect(calls[0]).toContain("--query-gpu=index,uuid,name,memory.total"); // the GPU list, once
    expect(rounds).toBeGreaterThanOrEqual(2); // at once, then every second of the run
    expect(rounds).toBeLessThanOrEqual(Math.ceil(seconds) + 1); // for the pool: not one a slot (4 a second)
    const workers = (await h.api.lsWorkers({ limit: 100 })).content;
    expect(workers).toHaveLength(4);
    for (const worker of workers) {
      const index = (worker.metadata.gpu as JsonObject).index as number;
      expect(worker.telemetry?.data).toEqual({ gpu: { index, utilization_pct: index * 10 + 5, memory_used_mib: (index + 1) * 1000, memory_total_mib: 81920 } });
    }
    const listed = await h.run(["worker", "ls", "--fmt", "jsonl"]);
    const documents = listed.stdout.trim().split("\n").map((line) => JSON.parse(line) as JsonObject);
    expect(documents.map((d) => ((d.telemetry as JsonObject).data as JsonObject).gpu).sort((a, b) => ((a as JsonObject).index as number) - ((b as JsonObject).index as number))).toEqual(
      [0, 1, 2, 3].map((i) => ({ index: i, utilization_pct: i * 10 + 5, memory_used_mib: (i + 1) * 1000, memory_total_mib: 81920 })),
    );
  });

  it("says clearly when --gpus all finds no nvidia-smi", async () => {
    await using h = await loopHarness();
    await h.api.submitTask({ args: { i: 1 } });
    const run = await h.run(["loop", "--gpus", "all", "--", "true"], { env: { PATH: "/usr/bin:/bin" } });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/nvidia-smi, which is not on the PATH/);
  });
});
