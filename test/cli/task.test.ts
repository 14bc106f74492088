/** `task submit | ls | update | delete | count` end to end: the real binary against a real server. */
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { cliWithServer, expectCode, ids, settle } from "./helpers.js";

const TIMEOUT = { timeout: 120_000 };

describe("task submit", TIMEOUT, () => {
  test("typed args, every flag, floats kept on the wire, -q prints only the id", async () => {
    await using cli = await cliWithServer();
    const result = await cli.run([
      "task", "submit", "--name", "run_1", "--metadata", "{'tags': ['v1']}", "--cmd", "python train.py", "--priority", "20",
      "--max-retries", "5", "--heartbeat-timeout", "30", "--task-timeout", "600", "-q", "--", "--lr=3.0", "--bs", "32", "--opt.beta", "0.9",
    ]);
    expectCode(result, 0);
    expect(result.stdout).toMatch(/^t_[A-Za-z0-9_-]{12}\n$/);
    const task = await cli.api.getTask(result.stdout.trim());
    expect(task).toMatchObject({ taskName: "run_1", metadata: { tags: ["v1"] }, cmd: "python train.py", priority: 20, maxRetries: 5, heartbeatTimeout: 30, taskTimeout: 600 });
    const listed = await cli.run(["task", "ls", "--id", task.taskId, "--fmt", "jsonl"]);
    expect(listed.stdout).toContain('"args":{"lr":3.0,"bs":32,"opt":{"beta":0.9}}');
    const plain = await cli.run(["task", "submit", "--", "--x=1"]);
    expect(plain.stdout).toMatch(/^Task submitted with ID: t_[A-Za-z0-9_-]{12}\n$/);
  });

  test("negative values after a key are kept; what v1 drops silently fails with exit 2 and submits nothing", async () => {
    await using cli = await cliWithServer();
    const ok = await cli.run(["task", "submit", "-q", "--", "--lr", "-0.1", "--n", "-1"]);
    expectCode(ok, 0);
    expect((await cli.api.getTask(ok.stdout.trim())).args).toEqual({ lr: -0.1, n: -1 });
    for (const args of [["--use-amp"], ["-abc"], ["stray"], ["--a=1", "--a.b=2"]]) {
      const result = await cli.run(["task", "submit", "--", ...args]);
      expectCode(result, 2);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
      expect(result.stderr).toMatch(/^Error: /);
    }
    const both = await cli.run(["task", "submit", "--args", "{'a': 1}", "--", "--b=2"]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("only specify one of the [ARGS] or `--args`");
    const none = await cli.run(["task", "submit"]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("A task needs arguments or a command");
    const badDict = await cli.run(["task", "submit", "--metadata", '{"a": true}', "--", "--x=1"]);
    expect(badDict.code).toBe(2);
    expect(badDict.stderr).toContain("--metadata must be a Python dict literal");
    const badInt = await cli.run(["task", "submit", "--priority", "high", "--", "--x=1"]);
    expect(badInt.code).toBe(2);
    expect(await cli.tasks()).toHaveLength(1);
  });

  test("--jsonl -: a 10,000-task sweep in one command, ids in order, flags as defaults", async () => {
    await using cli = await cliWithServer();
    const lines = Array.from({ length: 10_000 }, (_, i) => JSON.stringify(i === 0 ? { args: { i }, priority: 99, task_name: "first" } : { args: { i, lr: 0.5 } }));
    lines[1] = '{"args": {"i": 1, "lr": 3.0}}';
    const result = await cli.run(["task", "submit", "--jsonl", "-", "--name", "sweep", "--metadata", "{'sweep': 7}"], { input: `${lines.join("\n")}\n` });
    expectCode(result, 0);
    const submitted = result.stdout.trim().split("\n");
    expect(submitted).toHaveLength(10_000);
    expect(result.stderr).toContain("Submitted 10000 tasks.");
    const first = await cli.api.getTask(submitted[0]!);
    expect(first).toMatchObject({ taskName: "first", priority: 99, metadata: { sweep: 7 }, args: { i: 0 } });
    expect(await cli.api.getTask(submitted[9_999]!)).toMatchObject({ taskName: "sweep", priority: 10, args: { i: 9_999, lr: 0.5 } });
    const second = await cli.run(["task", "ls", "--id", submitted[1]!, "--fmt", "jsonl"]);
    expect(second.stdout).toContain('"args":{"i":1,"lr":3.0}');
    const count = await cli.run(["task", "count", "--fmt", "json"]);
    expect(JSON.parse(count.stdout)).toEqual({ pending: 10_000, running: 0, success: 0, failed: 0, cancelled: 0 });
  });

  test("--jsonl FILE: a bad line fails the whole submit before anything is sent", async () => {
    await using cli = await cliWithServer();
    const file = join(cli.dir, "tasks.jsonl");
    writeFileSync(file, '{"args": {"a": 1}}\n{"lr": 0.1}\n');
    const unknown = await cli.run(["task", "submit", "--jsonl", file]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(`${file} line 2: unknown field lr`);
    writeFileSync(file, '{"args": {"a": 1}}\n{"args": \n');
    const broken = await cli.run(["task", "submit", "--jsonl", file]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain("line 2: not JSON");
    expect(await cli.tasks()).toHaveLength(0);
    writeFileSync(file, '{"args": {"a": 1}}\n\n{"cmd": "echo hi"}\n');
    const good = await cli.run(["task", "submit", "--jsonl", file, "-q"]);
    expectCode(good, 0);
    expect(ids(good.stdout)).toHaveLength(2);
  });
});

describe("task ls", TIMEOUT, () => {
  test("--limit is a page size: every task is listed, --limit 10000 included; --offset skips", async () => {
    await using cli = await cliWithServer();
    const submitted = await cli.api.submitTasks(Array.from({ length: 7 }, (_, i) => ({ args: { i }, priority: 100 - i })));
    const paged = await cli.run(["task", "ls", "-q", "--limit", "2"]);
    expect(paged.stdout.trim().split("\n")).toEqual(submitted);
    const big = await cli.run(["task", "ls", "-q", "--limit", "10000"]);
    expectCode(big, 0);
    expect(big.stdout.trim().split("\n")).toHaveLength(7);
    const offset = await cli.run(["task", "ls", "-q", "--limit", "3", "--offset", "5"]);
    expect(offset.stdout.trim().split("\n")).toEqual(submitted.slice(5));
    const sorted = await cli.run(["task", "ls", "-q", "-S", "priority:asc", "-S", "created_at:asc"]);
    expect(sorted.stdout.trim().split("\n")).toEqual([...submitted].reverse());
  });

  test("--fmt jsonl is one JSON object per line for jq; --fmt json is one array; yaml is v1's", async () => {
    await using cli = await cliWithServer();
    await cli.api.submitTasks([{ args: { a: 1 } }, { args: { b: "x" }, taskName: "n1" }]);
    const jsonl = await cli.run(["task", "ls", "--fmt", "jsonl"]);
    const lines = jsonl.stdout.trim().split("\n");
    expect(lines).toHaveLength(2);
    const first = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(Object.keys(first)).toEqual([
      "task_id", "queue_id", "status", "task_name", "created_at", "start_time", "last_heartbeat", "last_modified", "heartbeat_timeout",
      "task_timeout", "max_retries", "retries", "priority", "metadata", "args", "cmd", "summary", "worker_id",
    ]);
    expect(first.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?$/);
    const jq = await cli.sh("labtasker task ls --fmt jsonl | jq -r 'select(.task_name == \"n1\") | .args.b'");
    expect(jq.stdout).toBe("x\n");
    const json = await cli.run(["task", "ls", "--fmt", "json"]);
    expect((JSON.parse(json.stdout) as unknown[]).length).toBe(2);
    const empty = await cli.run(["task", "ls", "--fmt", "json", "-s", "failed"]);
    expect(empty.stdout).toBe("[]\n");
    const yaml = await cli.run(["task", "ls"]);
    expect(yaml.stdout).toMatch(/^- task_id: t_[A-Za-z0-9_-]{12}\n {2}queue_id: /);
    expect(yaml.stdout).toMatch(/ {2}created_at: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
    // Not a terminal: no colours, no pager, whatever the flags say.
    expect(yaml.stdout).not.toContain("\u001b[");
    const forced = await cli.run(["task", "ls", "--ansi", "--pager"], { env: { PAGER: "false" } });
    expect(forced.stdout).toBe(yaml.stdout);
  });

  test("-v prints the parsed filter on stderr; -q with -v, bad filters and bad sorts are usage errors", async () => {
    await using cli = await cliWithServer();
    await cli.api.submitTasks([{ args: { lr: 0.1 } }]);
    const verbose = await cli.run(["task", "ls", "-v", "-f", "args.lr > 0.01", "--fmt", "jsonl"]);
    expect(verbose.stderr).toContain('Parsed filter: {\n    "args.lr": {\n        "$gt": 0.01\n    }\n}');
    expect(verbose.stdout.trim().split("\n")).toHaveLength(1);
    const both = await cli.run(["task", "ls", "-q", "-v"]);
    expect(both.code).toBe(2);
    const filter = await cli.run(["task", "ls", "-f", "args.lr != 1"]);
    expect(filter.code).toBe(2);
    expect(filter.stderr).toContain("^  <-- Error here (Column: 1)");
    expect(filter.stderr).toContain("'!=' operator is not supported");
    const sort = await cli.run(["task", "ls", "-S", "priority:up"]);
    expect(sort.code).toBe(2);
    expect(sort.stderr).toContain("Invalid order: up");
    const dict = await cli.run(["task", "ls", "-q", "-f", "{'args.lr': {'$gt': 0.05}}"]);
    expectCode(dict, 0);
    expect(ids(dict.stdout)).toHaveLength(1);
  });

  test("--piped-in lists the ids read from stdin, and refuses other filters", async () => {
    await using cli = await cliWithServer();
    const [a, b, c] = await cli.api.submitTasks([{ args: { i: 1 } }, { args: { i: 2 } }, { args: { i: 3 } }]);
    const one = await cli.run(["task", "ls", "--piped-in", "-q"], { input: `${b}\n` });
    expect(one.stdout).toBe(`${b}\n`);
    const two = await cli.run(["task", "ls", "--piped-in", "--fmt", "jsonl"], { input: `${a}\n\n${c}\n` });
    expect(ids(two.stdout).filter((id) => id === a || id === c)).toHaveLength(2);
    expect(two.stdout).not.toContain(b);
    const mixed = await cli.run(["task", "ls", "--piped-in", "-s", "pending"], { input: `${a}\n` });
    expect(mixed.code).toBe(2);
  });
});

describe("task update", TIMEOUT, () => {
  test("positional `-- k=v`, replace vs merge, dashes, read-only warnings, and -u with positional refused", async () => {
    await using cli = await cliWithServer();
    const [id] = await cli.api.submitTasks([{ args: { lr: 0.1, model: "resnet", arg_foo: 0 }, metadata: { a: 1, b: 2 } }]);
    const result = await cli.run(["task", "update", "--id", id!, "--", "args.lr=0.2", "metadata={'c': 3}", "args.arg-foo=[1, 2]", "task_name=renamed", "worker_id=w"]);
    expectCode(result, 0);
    expect(result.stderr).toContain("Warning: Field 'worker_id' is readonly.");
    expect(result.stderr).toContain("Total 1 tasks updated.");
    expect(await cli.api.getTask(id!)).toMatchObject({ args: { lr: 0.2, model: "resnet", arg_foo: [1, 2] }, metadata: { c: 3 }, taskName: "renamed" });
    const both = await cli.run(["task", "update", "--id", id!, "-u", "priority=1", "--", "priority=2"]);
    expect(both.code).toBe(2);
    const unknown = await cli.run(["task", "update", "--id", id!, "-u", "lr=1", "-q"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("'lr' is not a task field");
    const invalid = await cli.run(["task", "update", "--id", id!, "-u", "status=done", "-q"]);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(/^Error: Invalid value: status: /);
  });

  test("every match is updated: 1,500 pending tasks by status, and 1,200 ids piped in (no cap at 1,000)", async () => {
    await using cli = await cliWithServer();
    const submitted = await cli.api.submitTasks(Array.from({ length: 1500 }, (_, i) => ({ args: { i } })));
    const byStatus = await cli.run(["task", "update", "-s", "pending", "-u", "priority=5", "-q"]);
    expectCode(byStatus, 0);
    expect((await cli.tasks()).every((task) => task.priority === 5)).toBe(true);
    const piped = await cli.sh("labtasker task ls -q -S created_at:asc | head -n 1200 | labtasker task update -u 'metadata.batch=1' -q");
    expectCode(piped, 0);
    const tasks = await cli.tasks();
    expect(tasks.filter((task) => task.metadata.batch === 1)).toHaveLength(1200);
    expect(tasks).toHaveLength(submitted.length);
  });

  test("--reset-pending alone re-queues failed tasks; an empty pipe updates nothing (v1 would update every task)", async () => {
    await using cli = await cliWithServer();
    const [failed, pending] = await cli.api.submitTasks([{ args: { i: 1 } }, { args: { i: 2 } }]);
    await settle(cli.api, failed!, "failed");
    const reset = await cli.run(["task", "update", "-s", "failed", "--reset-pending", "-q"]);
    expectCode(reset, 0);
    expect(await cli.api.getTask(failed!)).toMatchObject({ status: "pending", retries: 0 });
    const empty = await cli.run(["task", "update", "-u", "priority=1"], { input: "" });
    expect(empty.code).toBe(0);
    expect(empty.stderr).toContain("nothing to update");
    expect((await cli.api.getTask(pending!)).priority).toBe(10);
    const quietEditor = await cli.run(["task", "update", "--id", pending!, "-q"]);
    expect(quietEditor.code).toBe(2);
    expect(quietEditor.stderr).toContain("You must specify --update when using --quiet.");
  });

  test("editor mode: edited fields are replaced, read-only edits warned about, a broken file can be fixed or abandoned", async () => {
    await using cli = await cliWithServer();
    const [a, b] = await cli.api.submitTasks([{ args: { lr: 0.1, keep: 1 }, priority: 1 }, { args: { lr: 0.2 } }]);
    const editor = join(cli.dir, "edit.sh");
    // Changes the first task's lr and priority (and tries a read-only field); leaves the second alone.
    writeFileSync(editor, `#!/bin/sh\nsed -i -e '0,/lr: 0.1$/s//lr: 0.5/' -e 's/^  priority: 1$/  priority: 7/' -e 's/^  worker_id: null /  worker_id: someone /' "$1"\n`);
    chmodSync(editor, 0o755);
    const result = await cli.run(["task", "update", "-f", "args.lr < 1", "--editor", editor]);
    expectCode(result, 0);
    expect(result.stderr).toContain("Warning: Field 'worker_id' is readonly.");
    expect(await cli.api.getTask(a!)).toMatchObject({ args: { lr: 0.5, keep: 1 }, priority: 7, workerId: null });
    expect(await cli.api.getTask(b!)).toMatchObject({ args: { lr: 0.2 }, priority: 10 });

    const breaker = join(cli.dir, "break.sh");
    writeFileSync(breaker, `#!/bin/sh\nprintf '%s\\n' '- task_id: x' >> "$1"\n`);
    chmodSync(breaker, 0o755);
    const abandoned = await cli.run(["task", "update", "--id", b!, "--editor", breaker], { input: "n\n" });
    expect(abandoned.code).toBe(1);
    expect(abandoned.stderr).toContain("Number of tasks in the file should match");
    expect((await cli.api.getTask(b!)).args).toEqual({ lr: 0.2 });

    // VISUAL is used when --editor is not given, as v1's get_editor.
    const fixer = join(cli.dir, "fix.sh");
    writeFileSync(fixer, `#!/bin/sh\nsed -i 's/^  priority: 10$/  priority: 3/' "$1"\n`);
    chmodSync(fixer, 0o755);
    const visual = await cli.run(["task", "update", "--id", b!], { env: { VISUAL: fixer } });
    expectCode(visual, 0);
    expect((await cli.api.getTask(b!)).priority).toBe(3);
  });
});

describe("task delete and count", TIMEOUT, () => {
  test("delete: several ids, a missing one reported (no error) while the others go, piped ids need -y without a terminal", async () => {
    await using cli = await cliWithServer();
    const [a, b, c] = await cli.api.submitTasks([{ args: { i: 1 } }, { args: { i: 2 } }, { args: { i: 3 } }]);
    const result = await cli.run(["task", "delete", "-y", a!, "00000000-0000-0000-0000-000000000000", b!]);
    expectCode(result, 0);
    expect(result.stderr).toBe(`Task ${a} deleted.\nTask 00000000-0000-0000-0000-000000000000 not found.\nTask ${b} deleted.\n`);
    const declined = await cli.run(["task", "delete", c!], { input: "n\n" });
    expect(declined.code).toBe(1);
    expect(declined.stderr).toContain("Aborted.");
    const piped = await cli.run(["task", "delete"], { input: `${c}\n` });
    expect(piped.code).toBe(2);
    expect(piped.stderr).toContain("add -y");
    expect((await cli.tasks()).map((task) => task.taskId)).toEqual([c]);
  });

  test("count per status, as the task-count plugin prints it, with -f, --limit and --fmt json", async () => {
    await using cli = await cliWithServer();
    const submitted = await cli.api.submitTasks(Array.from({ length: 6 }, (_, i) => ({ args: { i } })));
    await settle(cli.api, submitted[0]!, "success");
    await settle(cli.api, submitted[1]!, "failed");
    await settle(cli.api, submitted[2]!, "running");
    const text = await cli.run(["task", "count"]);
    expectCode(text, 0);
    expect(text.stdout).toBe("🟡 Pending: 3\n🔵 Running: 1\n🟢 Success: 1\n🔴 Failed: 1\n⚪ Cancelled: 0\n");
    const filtered = await cli.run(["task", "count", "-f", "args.i >= 4", "--fmt", "json"]);
    expect(JSON.parse(filtered.stdout)).toEqual({ pending: 2, running: 0, success: 0, failed: 0, cancelled: 0 });
    const capped = await cli.run(["task", "count", "--limit", "2"]);
    expect(capped.stdout.split("\n")[0]).toBe("🟡 Pending: >= 2");
  });
});
