/**
 * Where the time of one store operation goes: `npx tsx bench/profile-store.ts`. Not a benchmark module (the harness
 * runs only *.bench.ts); it backs the diagnoses in docs/benchmarks.md.
 *
 * For each operation, run sequentially (one in flight) on a fresh server, it prints per operation: wall time,
 * commands the client sent (= round trips, since each operation is awaited), CPU time of this Node process, CPU time
 * of redis-server (INFO cpu), the time Redis spent inside scripts (INFO commandstats, FCALL/EVALSHA usec), and the
 * commands run inside those scripts.
 */
import { cpuUsage } from "node:process";
import { Redis } from "ioredis";
import { decodeTask } from "../src/store/codecs.js";
import { newTaskRecord } from "../src/broker/taskInput.js";
import { ARG_KEYS, bullQueue, bullWorker, flushAll, labtaskerQueue, sweepJob, sweepTask } from "./lib/fixtures.js";
import { commandStats, commandStatsDelta, countCommands, info, startRedis, type CommandStat } from "./lib/redis.js";
import { nowMs, pool, settle } from "./lib/timing.js";
import { percentile } from "./lib/stats.js";

const N = Number(process.env.PROFILE_OPS ?? 2_000);
const IN_FLIGHT = 50;
/** Pending-queue sizes at which to time a fetch inside Redis (SLOWLOG), e.g. PROFILE_SIZES=1000,100000,1000000. */
const SIZES = (process.env.PROFILE_SIZES ?? "1000,100000").split(",").filter(Boolean).map(Number);

interface Probe {
  label: string;
  /** Operations done in the timed part. */
  ops: number;
  /** Clients whose commands are counted. */
  clients: Redis[];
  timed: () => Promise<void>;
}

async function redisCpuMs(admin: Redis): Promise<number> {
  const cpu = await info(admin, "cpu");
  return (Number(cpu.get("used_cpu_user")) + Number(cpu.get("used_cpu_sys"))) * 1000;
}

async function measure(admin: Redis, probe: Probe): Promise<void> {
  const counters = probe.clients.map((client) => countCommands(client));
  await settle();
  await admin.config("RESETSTAT");
  const before = await commandStats(admin);
  const redisBefore = await redisCpuMs(admin);
  counters.forEach((counter) => counter.reset());
  const cpuBefore = cpuUsage();
  const start = nowMs();
  await probe.timed();
  const wall = nowMs() - start;
  const cpu = cpuUsage(cpuBefore);
  const commands = counters.reduce((sum, counter) => sum + counter.commands, 0);
  const redisCpu = (await redisCpuMs(admin)) - redisBefore;
  const delta = commandStatsDelta(before, await commandStats(admin));
  delta.delete("config");
  delta.delete("info");
  const per = (value: number) => (value / probe.ops).toFixed(1);
  const scripts = ["evalsha", "eval", "evalsha_ro", "fcall"].reduce((sum, name) => sum + (delta.get(name)?.usec ?? 0), 0);
  const inner = [...delta.entries()]
    .filter(([name]) => !name.startsWith("eval"))
    .sort((a, b) => b[1].calls - a[1].calls)
    .map(([name, stat]: [string, CommandStat]) => `${name} ${(stat.calls / probe.ops).toFixed(2)}`)
    .join(", ");
  console.log(
    `${probe.label.padEnd(40)} wall ${per(wall * 1000).padStart(6)} us/op | client cmds ${(commands / probe.ops).toFixed(2)}/op` +
      ` | node cpu ${per(cpu.user + cpu.system).padStart(6)} us/op | redis cpu ${per(redisCpu * 1000).padStart(6)} us/op` +
      ` | in scripts ${per(scripts).padStart(6)} us/op\n    commands in Redis per op: ${inner}`,
  );
}

/**
 * Time inside Redis of each fetch (5 required fields) with `size` pending tasks, from SLOWLOG with a threshold of
 * 0 µs (every command is logged with its duration), against the wall time the client sees.
 */
async function fetchAtSize(url: string, admin: Redis, size: number): Promise<void> {
  await flushAll(url);
  await using ours = await labtaskerQueue(url);
  for (let start = 0; start < size; start += 10_000) {
    await ours.api.submitTasks(Array.from({ length: Math.min(10_000, size - start) }, (_, i) => sweepTask(start + i)));
  }
  const samples = 500;
  for (let i = 0; i < 100; i++) {
    await ours.api.fetchTask({ requiredFields: [...ARG_KEYS] });
    await ours.api.submitTask(sweepTask(size + i));
  }
  const wall: number[] = [];
  const inRedis: number[] = [];
  await admin.config("SET", "slowlog-max-len", "128");
  await admin.config("SET", "slowlog-log-slower-than", "0");
  try {
    for (let i = 0; i < samples; i++) {
      await admin.slowlog("RESET");
      const start = nowMs();
      await ours.api.fetchTask({ requiredFields: [...ARG_KEYS] });
      wall.push(nowMs() - start);
      const entries = (await admin.slowlog("GET", 128)) as Array<[number, number, number, string[]]>;
      const fetch = entries.find((entry) => /^(eval|fcall)/i.test(entry[3][0] ?? ""));
      if (fetch) inRedis.push(fetch[2] / 1000);
      await ours.api.submitTask(sweepTask(2 * size + i));
    }
  } finally {
    await admin.config("SET", "slowlog-log-slower-than", "10000");
  }
  const show = (values: number[]) => `p50 ${percentile(values, 50).toFixed(3)} ms, p99 ${percentile(values, 99).toFixed(3)} ms`;
  console.log(`fetch with ${size.toLocaleString("en-US")} pending: wall ${show(wall)}; inside Redis (SLOWLOG) ${show(inRedis)}`);
}

async function main(): Promise<void> {
  await using server = await startRedis();
  const url = server.url;
  const admin = new Redis(url);
  const tasks = Array.from({ length: 20_000 }, (_, i) => sweepTask(i));
  const jobs = Array.from({ length: 20_000 }, (_, i) => sweepJob(i));
  try {
    console.log(`Redis ${server.version}, ${N} operations each, one in flight\n`);

    for (let warm = 0; warm < 2; warm++) {
      const label = warm === 0 ? " (warm-up)" : "";
      await flushAll(url);
      {
        await using ours = await labtaskerQueue(url);
        await ours.api.submitTask(tasks[0]!);
        await measure(admin, { label: `ours submitTask${label}`, ops: N, clients: [ours.redis], timed: async () => {
          for (let i = 0; i < N; i++) await ours.api.submitTask(tasks[i]!);
        } });
        await measure(admin, { label: `ours submitTask, ${IN_FLIGHT} in flight${label}`, ops: N, clients: [ours.redis], timed: () =>
          pool(N, IN_FLIGHT, (i) => ours.api.submitTask(tasks[i]!)),
        });
        await measure(admin, { label: `ours fetchTask (no required fields)${label}`, ops: N, clients: [ours.redis], timed: async () => {
          for (let i = 0; i < N; i++) await ours.api.fetchTask();
        } });
        await measure(admin, { label: `ours fetch + report, 8 loops${label}`, ops: N, clients: [ours.redis], timed: () =>
          pool(N, 8, async () => {
            const task = await ours.api.fetchTask();
            await ours.api.reportTaskStatus(task!.taskId, "success");
          }),
        });
      }
      await flushAll(url);
      {
        await using ours = await labtaskerQueue(url);
        await ours.api.submitTasks(tasks.slice(0, N));
        const fetched: string[] = [];
        await measure(admin, { label: `ours fetchTask (5 required fields)${label}`, ops: N, clients: [ours.redis], timed: async () => {
          for (let i = 0; i < N; i++) fetched.push((await ours.api.fetchTask({ requiredFields: [...ARG_KEYS] }))!.taskId);
        } });
        await measure(admin, { label: `ours reportTaskStatus success${label}`, ops: N, clients: [ours.redis], timed: async () => {
          for (const taskId of fetched) await ours.api.reportTaskStatus(taskId, "success");
        } });
      }
      await flushAll(url);
      {
        await using bull = await bullQueue(url);
        await bull.queue.add(jobs[0]!.name, jobs[0]!.data, jobs[0]!.opts);
        const client = (await bull.queue.client) as unknown as Redis;
        await measure(admin, { label: `BullMQ queue.add${label}`, ops: N, clients: [client], timed: async () => {
          for (let i = 0; i < N; i++) await bull.queue.add(jobs[i]!.name, jobs[i]!.data, jobs[i]!.opts);
        } });
        await measure(admin, { label: `BullMQ queue.add, ${IN_FLIGHT} in flight${label}`, ops: N, clients: [client], timed: () =>
          pool(N, IN_FLIGHT, (i) => bull.queue.add(jobs[i]!.name, jobs[i]!.data, jobs[i]!.opts)),
        });
        for (const concurrency of [1, 8]) {
          const { worker, completed } = await bullWorker(url, concurrency);
          const workerClient = (await worker.client) as unknown as Redis;
          // Only the worker's command connection is counted; its blocking connection (BZPOPMIN on the marker)
          // waits only when the queue runs dry.
          // The first worker may finish a job or two more than asked before it closes: the second stops short.
          const done = concurrency === 1 ? N + 1 : N - 10;
          await measure(admin, { label: `BullMQ Worker job (concurrency ${concurrency})${label}`, ops: done, clients: [workerClient], timed: async () => {
            const running = worker.run();
            await completed(done);
            await worker.close();
            await running;
          } });
        }
      }
      await flushAll(url);
      {
        await using ours = await labtaskerQueue(url);
        await ours.api.submitTask(tasks[0]!);
        await measure(admin, { label: `ours submitTasks x20,000${label}`, ops: 20_000, clients: [ours.redis], timed: async () => {
          await ours.api.submitTasks(tasks);
        } });
      }
      await flushAll(url);
      {
        await using bull = await bullQueue(url);
        await bull.queue.add(jobs[0]!.name, jobs[0]!.data, jobs[0]!.opts);
        const client = (await bull.queue.client) as unknown as Redis;
        await measure(admin, { label: `BullMQ addBulk x20,000${label}`, ops: 20_000, clients: [client], timed: async () => {
          await bull.queue.addBulk(jobs);
        } });
      }
      console.log("");
    }

    for (const size of SIZES) await fetchAtSize(url, admin, size);

    // Node-only costs, no Redis: building a submitted record, decoding a fetched task.
    const records = 100_000;
    let start = nowMs();
    for (let i = 0; i < records; i++) newTaskRecord(tasks[i % tasks.length]!);
    console.log(`node only: newTaskRecord (validate, unflatten, stringify, uuid, sha1)  ${(((nowMs() - start) * 1000) / records).toFixed(2)} us/task`);
    await flushAll(url);
    {
      await using ours = await labtaskerQueue(url);
      const [taskId] = await ours.api.submitTasks([tasks[0]!]);
      const hash = await ours.broker.store.readTask((await ours.broker.queues.authenticate("sweep", "bench-password")), taskId!);
      start = nowMs();
      for (let i = 0; i < records; i++) decodeTask("q", taskId!, hash!);
      console.log(`node only: decodeTask (lossless-json parse of args/metadata/summary/cmd)  ${(((nowMs() - start) * 1000) / records).toFixed(2)} us/task`);
      start = nowMs();
      for (let i = 0; i < records; i++) JSON.stringify(jobs[i % jobs.length]!.data);
      console.log(`node only: JSON.stringify of the same args (what BullMQ does)  ${(((nowMs() - start) * 1000) / records).toFixed(2)} us/task`);
    }
  } finally {
    admin.disconnect();
  }
}

await main();
