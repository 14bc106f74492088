/**
 * `task update` and `task delete` over 20,000 tasks, killed (SIGKILL) half-way: every task is either wholly changed
 * or untouched, the indexes agree with the tasks, and running the same command again finishes the job. Over our HTTP
 * server and in direct mode (where the killed process itself was talking to Redis).
 */
import { spawn } from "node:child_process";
import { describe, expect, test } from "vitest";
import type { Broker } from "../../src/broker/broker.js";
import { taskIdOfMember } from "../../src/store/store.js";
import { CLI, cliDirect, cliWithServer, expectCode, type CliHarness } from "./helpers.js";

const TIMEOUT = { timeout: 300_000 };
const TASKS = 20_000;

type Harness = CliHarness & ({ server: { broker: Broker } } | { test: { broker: Broker } });

const HARNESSES: Array<[string, () => Promise<Harness>]> = [
  ["our server", cliWithServer],
  ["direct mode", cliDirect],
];

function brokerOf(cli: Harness): Broker {
  return "server" in cli ? cli.server.broker : cli.test.broker;
}

/**
 * Starts `labtasker <args>`, waits until `progressed()` says its writes have begun, kills it (SIGKILL), and waits
 * for the writes it had sent to settle (a request in flight still completes on the server).
 */
async function killMidway(cli: CliHarness, args: string[], input: string, progressed: () => Promise<number>): Promise<number> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: cli.dir, env: cli.env, stdio: ["pipe", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  child.stdin.end(input);
  let ended = false;
  void exited.then(() => (ended = true));
  const deadline = Date.now() + 120_000;
  while ((await progressed()) === 0) {
    if (ended) throw new Error(`the command ended before it wrote anything: ${stderr}`);
    if (Date.now() > deadline) throw new Error("no progress within 120 s");
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  child.kill("SIGKILL");
  await exited;
  for (let last = -1, now = await progressed(); now !== last; ) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    [last, now] = [now, await progressed()];
  }
  return progressed();
}

describe.each(HARNESSES)("bulk changes killed half-way, over %s", (_name, open) => {
  test("task update: each task has both fields changed or neither; the same command again finishes it", TIMEOUT, async () => {
    await using cli = await open();
    const ids = await cli.api.submitTasks(Array.from({ length: TASKS }, (_, i) => ({ args: { i } })));
    const { queueId } = await cli.api.getQueue();
    const { store } = brokerOf(cli);
    // One pending index (every task's args are {i}: one signature); its score is -priority: the tasks at priority 5
    // are those updated so far.
    const [pending] = await store.statusIndexKeys(queueId, "pending");
    const updated = () => store.redis.zcount(pending!, -5, -5);
    const command = ["task", "update", "-s", "pending", "-u", "priority=5", "-u", "metadata.batch=1", "-q"];

    const done = await killMidway(cli, command, "", updated);
    expect(done).toBeGreaterThan(0);
    expect(done).toBeLessThan(TASKS);
    const tasks = await cli.tasks();
    expect(tasks).toHaveLength(TASKS);
    const halfDone = tasks.filter((task) => (task.priority === 5) !== (task.metadata.batch === 1));
    expect(halfDone).toEqual([]);
    expect(tasks.filter((task) => task.priority === 5)).toHaveLength(done);

    const again = await cli.run(command, { timeoutMs: 240_000 });
    expectCode(again, 0);
    expect(again.stderr).toBe(""); // no progress on a pipe, and nothing else with -q
    expect(await updated()).toBe(TASKS);
    expect((await cli.api.getTask(ids[TASKS - 1]!)).metadata).toEqual({ batch: 1 });
  });

  test("task delete: each task is gone or intact with its indexes; ls, count and fetch agree; again finishes it", TIMEOUT, async () => {
    await using cli = await open();
    const ids = await cli.api.submitTasks(Array.from({ length: TASKS }, (_, i) => ({ args: { i } })));
    const { queueId } = await cli.api.getQueue();
    const { store } = brokerOf(cli);
    const [pending] = await store.statusIndexKeys(queueId, "pending"); // one signature: every task's args are {i}
    const deleted = async () => TASKS - (await store.redis.zcard(pending!));
    const input = `${ids.join("\n")}\n`;

    const done = await killMidway(cli, ["task", "delete", "-y"], input, deleted);
    expect(done).toBeGreaterThan(0);
    expect(done).toBeLessThan(TASKS);
    const stored = await store.readTasks(queueId, ids);
    const left = ids.filter((_, i) => stored[i] !== null);
    expect(left).toHaveLength(TASKS - done);
    // Intact: each task left is as submitted, and every index holds exactly the tasks left.
    expect(stored.every((hash, i) => hash === null || hash.args === `{"i":${i}}`)).toBe(true);
    const members = (await store.rangeIndex(pending!, 0, -1)).map(taskIdOfMember);
    expect(members.sort()).toEqual([...left].sort());
    const [signature] = await store.redis.smembers(store.keys.signatures(queueId));
    expect(await store.redis.zcard(store.keys.signature(queueId, signature!))).toBe(left.length);
    const listed = await cli.run(["task", "ls", "-q"]);
    expect(listed.stdout.trim().split("\n").sort()).toEqual([...left].sort());
    const count = await cli.run(["task", "count", "--fmt", "json"]);
    expect(JSON.parse(count.stdout)).toMatchObject({ pending: left.length });
    expect(left).toContain((await cli.api.fetchTask())?.taskId);

    const again = await cli.run(["task", "delete", "-y"], { input, timeoutMs: 240_000 });
    expectCode(again, 0);
    expect(again.stderr).toMatch(new RegExp(`^Deleted ${left.length} tasks\\.\\n${done} ids named no task \\(deleted before\\?\\): t_[A-Za-z0-9_-]{12}(, t_[A-Za-z0-9_-]{12}){9}, and ${done - 10} more\\.\\n$`));
    expect(await cli.tasks()).toEqual([]);
    expect(await store.redis.exists(pending!, store.keys.status(queueId, "running"))).toBe(0);
  });
});
