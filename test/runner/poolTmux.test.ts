/**
 * The pool's live view in a real terminal (a tmux pane): one line per slot under the queue's counts, redrawn in place
 * (one copy on screen, never wider than the pane, also after the pane is resized), and Ctrl+C typed in the pane stops
 * every slot, each reporting its task.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fakeNvidiaSmi } from "./fakeGpus.js";
import { CLI, loopHarness, waitFor } from "./support.js";

const hasTmux = spawnSync("tmux", ["-V"]).status === 0;

describe.skipIf(!hasTmux)("labtasker loop --gpus in a tmux pane", () => {
  it("draws the live view, redraws it after a resize, and stops cleanly on Ctrl+C", { timeout: 60_000 }, async () => {
    await using h = await loopHarness();
    const out = join(h.dir, "out");
    mkdirSync(out);
    writeFileSync(join(h.dir, "job.sh"), 'touch "$OUT/started.$1"\ni=0\nwhile [ $i -lt 300 ]; do i=$((i+1)); echo "step $i of task $1"; sleep 0.1; done\n');
    await h.api.submitTasks(Array.from({ length: 6 }, (_, i) => ({ args: { i } })));
    const path = fakeNvidiaSmi(h.dir, 4, h.env.PATH);
    const socket = `lt-pool-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    const tmux = (...args: string[]) => {
      const result = spawnSync("tmux", ["-L", socket, "-f", "/dev/null", ...args], { env: { ...h.env, PATH: path, OUT: out }, encoding: "utf8" });
      if (result.status !== 0) throw new Error(`tmux ${args.join(" ")} failed: ${result.stderr}`);
      return result.stdout;
    };
    const screen = () => tmux("capture-pane", "-p", "-t", "pool");
    try {
      tmux("new-session", "-d", "-s", "pool", "-x", "150", "-y", "30", "/bin/sh");
      tmux("send-keys", "-t", "pool", "-l", `cd ${h.dir} && ${process.execPath} ${CLI} loop --gpus all -- sh job.sh '%(i)'`);
      tmux("send-keys", "-t", "pool", "Enter");
      await waitFor(() => readdirSync(out).length === 4, "a task on each GPU", 30_000);
      const slotLine = (gpu: number) => new RegExp(`^gpu${gpu} {2}[A-Za-z0-9_-]{8} {2}\\d\\d:\\d\\d {2}i=\\d {2}│ step \\d+ of task \\d`, "m");
      // Each slot's task and last line, and the counts (asked every 2 s) once all four run.
      const shows = (text: string) => [0, 1, 2, 3].every((gpu) => slotLine(gpu).test(text)) && /pending 2 · running 4/.test(text);
      await waitFor(() => shows(screen()), "the view to show every slot and the counts", 15_000, 200);
      const view = screen();
      expect(view.match(/labtasker pool: 4 slots/g)).toHaveLength(1);

      tmux("resize-window", "-t", "pool", "-x", "60", "-y", "30");
      await new Promise((r) => setTimeout(r, 800));
      const narrow = screen();
      expect(narrow.match(/labtasker pool: 4 slots/g)).toHaveLength(1);
      for (const line of narrow.split("\n")) expect([...line].length).toBeLessThanOrEqual(60);
      expect(narrow).toMatch(/^gpu2 {2}[A-Za-z0-9_-]{8}/m);

      tmux("send-keys", "-t", "pool", "C-c");
      // The shell drops the rest of a command line whose command Ctrl+C killed: its status is asked for afterwards.
      await waitFor(() => /gpu3 {2}done\n+# $/.test(screen().trimEnd() + " "), "the pool to end", 20_000).catch((error: Error) => {
        throw new Error(`${error.message}; the pane shows:\n${screen()}`);
      });
      tmux("send-keys", "-t", "pool", "-l", "echo $? > pool.exit");
      tmux("send-keys", "-t", "pool", "Enter");
      await waitFor(() => existsSync(join(h.dir, "pool.exit")), "the exit status");
      expect(screen()).toContain("Received SIGINT: stopping every slot");
    } finally {
      spawnSync("tmux", ["-L", socket, "kill-server"]);
    }
    expect(readFileSync(join(h.dir, "pool.exit"), "utf8").trim()).toBe("130");
    const reported = (await h.tasks()).filter((t) => t.retries === 1);
    expect(reported).toHaveLength(4);
    for (const task of reported) expect(task).toMatchObject({ status: "pending", summary: { labtasker_exception: { type: "KeyboardInterrupt" } } });
  });
});
