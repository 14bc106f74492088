/**
 * Behaviour on a terminal, under a pseudo-terminal from util-linux `script`: colours (none with NO_COLOR, TERM=dumb or
 * --no-ansi; FORCE_COLOR colours a pipe too), the pager (only on a terminal, never with -q or --no-pager), the progress bars of bulk submit, update and delete, and the
 * interactive "View result?" of `task update`.
 */
import { execFileSync, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { CLI, cliWithServer, execute, expectCode, type CliHarness, type RunResult } from "./helpers.js";

function hasScript(): boolean {
  try {
    execFileSync("script", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Runs a shell command line in a pseudo-terminal. */
function inTerminal(cli: CliHarness, command: string, options: { env?: Record<string, string> } = {}) {
  return execute("script", ["-qfec", command, "/dev/null"], { cwd: cli.dir, env: { ...cli.env, TERM: "xterm", ...options.env }, input: "" });
}

/** Like {@link inTerminal}, typing `answer` once `prompt` shows (typed earlier, it could be read before the prompt). */
function answering(cli: CliHarness, command: string, prompt: string, answer: string, env: Record<string, string>) {
  return new Promise<RunResult>((resolve, reject) => {
    const child = spawn("script", ["-qfec", command, "/dev/null"], { cwd: cli.dir, env: { ...cli.env, TERM: "xterm", ...env }, stdio: ["pipe", "pipe", "inherit"] });
    let stdout = "";
    let answered = false;
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      if (!answered && stdout.includes(prompt)) {
        answered = true;
        child.stdin.end(answer);
      }
    });
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr: "" });
    });
  });
}

const ESC = "\u001b[";
const lt = `"${process.execPath}" "${CLI}"`;

describe.skipIf(!hasScript())("on a terminal", { timeout: 120_000 }, () => {
  test("colours on a terminal; none with NO_COLOR, --no-ansi, or a pipe", async () => {
    await using cli = await cliWithServer();
    await cli.api.submitTasks([{ args: { a: 1 } }]);
    const colored = await inTerminal(cli, `${lt} task ls --no-pager`);
    expectCode(colored, 0);
    expect(colored.stdout).toContain(`${ESC}1;34mtask_id${ESC}0m`);
    const noColor = await inTerminal(cli, `${lt} task ls --no-pager`, { env: { NO_COLOR: "1" } });
    expect(noColor.stdout).toContain("task_id");
    expect(noColor.stdout).not.toContain(ESC);
    const noAnsi = await inTerminal(cli, `${lt} task ls --no-pager --no-ansi --fmt jsonl`);
    expect(noAnsi.stdout).not.toContain(ESC);
    const piped = await inTerminal(cli, `${lt} task ls --no-pager | cat`);
    expect(piped.stdout).not.toContain(ESC);
  });

  test("TERM=dumb: no colour on a terminal, unless FORCE_COLOR asks for it", async () => {
    await using cli = await cliWithServer();
    await cli.api.submitTasks([{ args: { a: 1 } }]);
    const dumb = await inTerminal(cli, `${lt} task ls --no-pager`, { env: { TERM: "dumb" } });
    expectCode(dumb, 0);
    expect(dumb.stdout).toContain("task_id");
    expect(dumb.stdout).not.toContain(ESC);
    const forced = await inTerminal(cli, `${lt} task ls --no-pager`, { env: { TERM: "dumb", FORCE_COLOR: "1" } });
    expect(forced.stdout).toContain(`${ESC}1;34mtask_id${ESC}0m`);
    const forcedOff = await inTerminal(cli, `${lt} task ls --no-pager`, { env: { FORCE_COLOR: "0" } });
    expect(forcedOff.stdout).toContain("task_id");
    expect(forcedOff.stdout).not.toContain(ESC);
  });

  test("the pager runs on a terminal only, and never with -q or --no-pager", async () => {
    await using cli = await cliWithServer();
    await cli.api.submitTasks([{ args: { a: 1 } }]);
    const pager = { PAGER: "sed 's/^/PAGED: /'" };
    const paged = await inTerminal(cli, `${lt} task ls`, { env: pager });
    expect(paged.stdout).toMatch(/PAGED: .*task_id/);
    const direct = await inTerminal(cli, `${lt} task ls --no-pager`, { env: pager });
    expect(direct.stdout).not.toContain("PAGED");
    const quiet = await inTerminal(cli, `${lt} task ls -q`, { env: pager });
    expect(quiet.stdout).not.toContain("PAGED");
    const workers = await inTerminal(cli, `${lt} worker create -q >/dev/null && ${lt} worker ls`, { env: pager });
    expect(workers.stdout).toMatch(/PAGED: .*worker_id/);
  });

  test("bulk submit draws a progress bar on a terminal's stderr", async () => {
    await using cli = await cliWithServer();
    writeFileSync(join(cli.dir, "sweep.jsonl"), Array.from({ length: 2500 }, (_, i) => JSON.stringify({ args: { i } })).join("\n"));
    const result = await inTerminal(cli, `${lt} task submit --jsonl - < sweep.jsonl >/dev/null`);
    expectCode(result, 0);
    expect(result.stdout).toContain("Submitting [##########");
    expect(result.stdout).toContain("2500/2500 (100%)");
    expect(await cli.tasks()).toHaveLength(2500);
  });

  test("bulk update and delete draw a progress bar on a terminal's stderr", async () => {
    await using cli = await cliWithServer();
    await cli.api.submitTasks(Array.from({ length: 2500 }, (_, i) => ({ args: { i } })));
    const update = await inTerminal(cli, `${lt} task update -s pending -u priority=5 -q`);
    expectCode(update, 0);
    expect(update.stdout).toContain("Updating [##########");
    expect(update.stdout).toContain("2500/2500 (100%)");
    const remove = await inTerminal(cli, `${lt} task ls -q | ${lt} task delete -y`);
    expectCode(remove, 0);
    expect(remove.stdout).toContain("Deleting [##########");
    expect(remove.stdout).toMatch(/2500\/2500 \(100%\)\r?\nDeleted 2500 tasks\./);
    expect(await cli.tasks()).toEqual([]);
  });

  test("task update asks to view the result, and shows it with # Modified on the changed fields", async () => {
    await using cli = await cliWithServer();
    const [id] = await cli.api.submitTasks([{ args: { lr: 0.1 } }]);
    const result = await answering(cli, `${lt} task update --id ${id} -u 'args.lr=0.2'`, "View result? [y/N]", "y\n", { PAGER: "cat" });
    expectCode(result, 0);
    expect(result.stdout).toContain("Total 1 tasks updated. View result? [y/N]");
    // On a terminal the key is coloured: `args` may be followed by the reset sequence before the colon.
    expect(result.stdout.replaceAll(`${ESC}0m`, "")).toMatch(/args:\s+# Modified/);
    expect((await cli.api.getTask(id!)).args).toEqual({ lr: 0.2 });
  });
});

describe("colour on a pipe", { timeout: 60_000 }, () => {
  test("FORCE_COLOR=1 colours a pipe, and wins over NO_COLOR as in Node; NO_COLOR=1, FORCE_COLOR=0 and --no-ansi do not", async () => {
    await using cli = await cliWithServer();
    await cli.api.submitTasks([{ args: { a: 1 } }]);
    const ls = (env: Record<string, string>, ...flags: string[]) => cli.run(["task", "ls", "--no-pager", ...flags], { env });
    const forced = await ls({ FORCE_COLOR: "1" });
    expectCode(forced, 0);
    expect(forced.stdout).toContain(`${ESC}1;34mtask_id${ESC}0m`);
    expect((await ls({ FORCE_COLOR: "1", NO_COLOR: "1" })).stdout).toContain(`${ESC}1;34mtask_id${ESC}0m`);
    for (const result of [await ls({}), await ls({ NO_COLOR: "1" }), await ls({ FORCE_COLOR: "0" }), await ls({ FORCE_COLOR: "1" }, "--no-ansi")]) {
      expectCode(result, 0);
      expect(result.stdout).toContain("task_id");
      expect(result.stdout).not.toContain(ESC);
    }
  });
});
