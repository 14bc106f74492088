/**
 * Where the bytes of a pending task go: `npx tsx bench/memory-breakdown.ts`. Not a benchmark module (the harness
 * runs only *.bench.ts); it backs the memory section of docs/benchmarks.md.
 *
 * Fills a queue with 100,000 tasks of the store benchmark (bench/lib/fixtures.ts) at the embedded server's
 * `hash-max-listpack-value` (512) and at Redis's default (64), then prints the `used_memory` delta per task and each
 * key's `MEMORY USAGE` (every element counted) per task; the same for 100,000 BullMQ prioritized jobs, whose job
 * hashes are summed over a sample of 200. The per-key figures leave out what `used_memory` counts besides the keys
 * (the keyspace's own entries and buckets, the allocator's rounding of the biggest allocations).
 */
import { Redis } from "ioredis";
import { bullQueue, flushAll, labtaskerQueue, sweepJob, sweepTask } from "./lib/fixtures.js";
import { startRedis, usedMemory } from "./lib/redis.js";

const TASKS = 100_000;
const CHUNK = 5_000;
const SAMPLE = 200;

/** A key's name with its queue and its id left out, so keys of one kind add up. */
function kind(key: string): string {
  return key.replace(/\{[^}]*\}/, "{q}").replace(/(pending-by-args|worker|worker-tasks):.*/, "$1:<id>").replace(/:\d+$/, ":<job id>");
}

async function perKey(admin: Redis, pattern: string): Promise<Map<string, number>> {
  const bytes = new Map<string, { total: number; count: number }>();
  for (const key of await admin.keys(pattern)) {
    const name = kind(key);
    const entry = bytes.get(name) ?? { total: 0, count: 0 };
    // Job hashes are many and alike: a sample of them, scaled up.
    if (name.endsWith("<job id>") && entry.count >= SAMPLE) {
      entry.count++;
      bytes.set(name, entry);
      continue;
    }
    entry.total += Number(await admin.memory("USAGE", key, "SAMPLES", "0"));
    entry.count++;
    bytes.set(name, entry);
  }
  return new Map([...bytes].map(([name, { total, count }]) => [name, (name.endsWith("<job id>") ? (total / Math.min(count, SAMPLE)) * count : total) / TASKS]));
}

/** How long the stored tasks are, from a sample: jemalloc keeps a value of up to 125 bytes in 128. */
async function taskSizes(admin: Redis, tasksKey: string): Promise<string> {
  // Buffers: a task id is stored as its 16 bytes.
  const fields = (await admin.callBuffer("HRANDFIELD", tasksKey, String(SAMPLE * 5))) as Buffer[];
  const sizes = await Promise.all(fields.map((field) => admin.hstrlen(tasksKey, field)));
  const within = sizes.filter((size) => size <= 125).length;
  return `stored tasks ${Math.min(...sizes)} to ${Math.max(...sizes)} B, ${((100 * within) / sizes.length).toFixed(0)}% within 125`;
}

function print(label: string, perTask: number, keys: Map<string, number>): void {
  console.log(`${label}: ${perTask.toFixed(0)} B a task`);
  for (const [name, bytes] of [...keys].sort((a, b) => b[1] - a[1])) if (bytes >= 0.5) console.log(`  ${bytes.toFixed(1).padStart(7)}  ${name}`);
}

await using server = await startRedis();
const admin = new Redis(server.url);
try {
  for (const setting of [512, 64]) {
    await flushAll(server.url);
    await admin.config("SET", "hash-max-listpack-value", String(setting));
    {
      await using queue = await labtaskerQueue(server.url);
      await queue.api.submitTask(sweepTask(TASKS)); // the queue's keys exist before the delta
      const before = await usedMemory(admin);
      for (let start = 0; start < TASKS; start += CHUNK) await queue.api.submitTasks(Array.from({ length: CHUNK }, (_, i) => sweepTask(start + i)));
      print(`ours, hash-max-listpack-value ${setting}`, ((await usedMemory(admin)) - before) / TASKS, await perKey(admin, "bench:*"));
      console.log(`  ${await taskSizes(admin, queue.broker.store.keys.tasks((await queue.api.getQueue()).queueId))}`);
    }
    await flushAll(server.url);
    {
      await using queue = await bullQueue(server.url);
      const first = sweepJob(TASKS);
      await queue.queue.add(first.name, first.data, first.opts);
      const before = await usedMemory(admin);
      for (let start = 0; start < TASKS; start += CHUNK) await queue.queue.addBulk(Array.from({ length: CHUNK }, (_, i) => sweepJob(start + i)));
      print(`BullMQ, hash-max-listpack-value ${setting}`, ((await usedMemory(admin)) - before) / TASKS, await perKey(admin, "bull:*"));
    }
  }
} finally {
  admin.disconnect();
}
