/**
 * The way labtasker is used on a GPU box: one `labtasker loop` per GPU, each in its own tmux pane, with
 * CUDA_VISIBLE_DEVICES set in the pane before the loop. Two panes drain one grid; every task must run exactly once,
 * in the environment of the pane that fetched it, and (stdout being the pane's terminal) under a pseudo-terminal.
 * A pane is also where the failure prompts are answered: the keys typed there pick the choices.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLI, loopHarness, waitFor } from "../runner/support.js";

const hasTmux = spawnSync("tmux", ["-V"]).status === 0;

/** A tmux server of its own (socket per test), whose panes' shells start with `env`. */
function tmuxServer(env: NodeJS.ProcessEnv, extra: NodeJS.ProcessEnv = {}) {
  const socket = `lt-loop-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const tmux = (...args: string[]) => {
    const result = spawnSync("tmux", ["-L", socket, "-f", "/dev/null", ...args], { env: { ...env, ...extra }, encoding: "utf8" });
    if (result.status !== 0) throw new Error(`tmux ${args.join(" ")} failed: ${result.stderr}`);
    return result.stdout;
  };
  const type = (pane: string, line: string) => {
    tmux("send-keys", "-t", pane, "-l", line);
    tmux("send-keys", "-t", pane, "Enter");
  };
  return { tmux, type, kill: () => void spawnSync("tmux", ["-L", socket, "kill-server"]) };
}

describe.skipIf(!hasTmux)("labtasker loop in tmux panes", () => {
  it("drains one grid from two panes with different CUDA_VISIBLE_DEVICES, each task once, on its pane's GPU", { timeout: 60_000 }, async () => {
    await using h = await loopHarness();
    const out = join(h.dir, "out");
    mkdirSync(out);
    // Appends one line per run, so a task run twice would show two lines in its file.
    writeFileSync(
      join(h.dir, "job.sh"),
      'if [ -t 1 ]; then t=tty; else t=notty; fi\n' +
        'printf "%s %s %s %s\\n" "$CUDA_VISIBLE_DEVICES" "$LABTASKER_WORKER_ID" "$t" "$1-$2" >> "$OUT/$LABTASKER_TASK_ID"\nsleep 0.25\n',
    );
    const grid: string[] = [];
    for (const lr of [0.1, 0.01, 0.001, 0.0001]) for (const seed of [0, 1, 2, 3]) grid.push(await h.api.submitTask({ args: { lr, seed } }));

    const { tmux, type, kill } = tmuxServer(h.env, { OUT: out });
    try {
      tmux("new-session", "-d", "-s", "grid", "-x", "160", "-y", "40", "/bin/sh");
      tmux("split-window", "-h", "-t", "grid", "/bin/sh");
      const panes = tmux("list-panes", "-t", "grid", "-F", "#{pane_id}").trim().split("\n");
      expect(panes).toHaveLength(2);
      panes.forEach((pane, gpu) => {
        type(pane, `cd ${h.dir} && CUDA_VISIBLE_DEVICES=${gpu} ${process.execPath} ${CLI} loop -- sh job.sh '%(lr)' '%(seed)'; echo $? > pane${gpu}.exit`);
      });
      await waitFor(() => existsSync(join(h.dir, "pane0.exit")) && existsSync(join(h.dir, "pane1.exit")), "both loops to end", 45_000, 100);
    } finally {
      kill();
    }

    expect([0, 1].map((gpu) => readFileSync(join(h.dir, `pane${gpu}.exit`), "utf8").trim())).toEqual(["0", "0"]);
    const tasks = await h.tasks();
    expect(tasks.map((t) => t.status)).toEqual(grid.map(() => "success"));
    expect(readdirSync(out).sort()).toEqual([...grid].sort());
    const gpuOfWorker = new Map<string, Set<string>>();
    for (const taskId of grid) {
      const lines = readFileSync(join(out, taskId), "utf8").trim().split("\n");
      expect(lines, `task ${taskId} ran more than once`).toHaveLength(1);
      const [gpu, worker, tty, args] = lines[0]!.split(" ");
      const task = tasks.find((t) => t.taskId === taskId)!;
      expect(args).toBe(`${String(task.args.lr)}-${String(task.args.seed)}`);
      expect(tty).toBe("tty"); // the pane is a terminal, so the command ran under a pseudo-terminal
      gpuOfWorker.set(worker!, (gpuOfWorker.get(worker!) ?? new Set()).add(gpu!));
    }
    // Two workers (one per pane), each running only on its own pane's GPU, and both panes did work.
    expect(gpuOfWorker.size).toBe(2);
    expect([...gpuOfWorker.values()].map((gpus) => [...gpus])).toEqual(expect.arrayContaining([["0"], ["1"]]));
  });

  it("asks Report/Ignore and Continue/Exit on the pane's terminal after a failure, and takes the keys pressed", { timeout: 60_000 }, async () => {
    await using h = await loopHarness();
    const taskId = await h.api.submitTask({ args: { x: 1 } });
    await h.api.fetchTask();
    await h.api.reportTaskStatus(taskId, "failed"); // an earlier failure: retries 1
    const { tmux, type, kill } = tmuxServer(h.env);
    try {
      tmux("new-session", "-d", "-s", "ask", "-x", "200", "-y", "40", "/bin/sh");
      type("ask", `cd ${h.dir} && ${process.execPath} ${CLI} loop -c 'echo failing %(x); exit 4'; echo $? > loop.exit`);
      const screen = () => tmux("capture-pane", "-p", "-t", "ask");
      await waitFor(() => screen().includes("You have 10 seconds to make a choice"), "the Report/Ignore prompt");
      expect(screen()).toContain("TIMER: ");
      tmux("send-keys", "-t", "ask", "Down", "Enter"); // Ignore (both keys may arrive in one read)
      await waitFor(() => screen().includes("continue processing other tasks or exit"), "the Continue/Exit prompt");
      tmux("send-keys", "-t", "ask", "C-c"); // Exit
      await waitFor(() => existsSync(join(h.dir, "loop.exit")), "the loop to end");
      expect(screen()).toContain(`Task ${taskId} reset to PENDING by user request.`);
    } finally {
      kill();
    }
    expect(readFileSync(join(h.dir, "loop.exit"), "utf8").trim()).toBe("0");
    // run.log has the run and the outcome, not the prompt redrawing itself every second.
    const log = readFileSync(join(h.runDirs()[0]!, "run.log"), "utf8");
    expect(log).toContain("failing 1");
    expect(log).toContain(`Task ${taskId} reset to PENDING by user request.`);
    expect(log).not.toContain("TIMER:");
    // Ignored: pending again with the retries it had; Exit removed the worker the loop had created.
    expect(await h.api.getTask(taskId)).toMatchObject({ status: "pending", retries: 1, workerId: null });
    expect((await h.api.lsWorkers()).content).toHaveLength(0);
  });
});
