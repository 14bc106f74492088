/**
 * The benchmark harness: `npm run bench [-- [name ...] [--reps N] [--skip-1m] [--aof] [--markdown] [--json FILE]]`.
 *
 * Starts one redis-server (the product's embedded settings, AOF off unless --aof), runs every `bench/*.bench.ts`
 * module whose file name contains one of the given names (all when none is given) one after another, and prints one
 * table. Each module exports `run(options): Promise<BenchResult[]>` (bench/lib/types.ts); every figure is the median
 * of N repetitions (--reps, or BENCH_REPS, default 5). Progress goes to stderr, the table to stdout.
 */
import { readdir, writeFile } from "node:fs/promises";
import { availableParallelism, cpus } from "node:os";
import { basename, dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { startRedis } from "./lib/redis.js";
import { formatMarkdown, formatTable } from "./lib/table.js";
import type { BenchModule, BenchResult } from "./lib/types.js";

const USAGE = "usage: npm run bench -- [name ...] [--reps N] [--skip-1m] [--aof] [--markdown] [--json FILE]";

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      reps: { type: "string", short: "n" },
      "skip-1m": { type: "boolean", default: false },
      aof: { type: "boolean", default: false },
      markdown: { type: "boolean", default: false },
      json: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const repetitions = Number(values.reps ?? process.env.BENCH_REPS ?? 5);
  if (!Number.isInteger(repetitions) || repetitions < 1) throw new RangeError(`--reps must be a positive integer\n${USAGE}`);
  const skipLarge = values["skip-1m"] || process.env.BENCH_SKIP_1M === "1";

  const benchDir = dirname(fileURLToPath(import.meta.url));
  const files = (await readdir(benchDir)).filter((file) => file.endsWith(".bench.ts")).sort();
  const selected = positionals.length === 0 ? files : files.filter((file) => positionals.some((name) => file.includes(name)));
  if (selected.length === 0) throw new Error(`no bench/*.bench.ts matches ${positionals.join(", ")} (have: ${files.join(", ")})`);

  const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);
  const redis = await startRedis({ aof: values.aof });
  const machine = `${availableParallelism()} CPUs (${cpus()[0]?.model.trim() ?? "unknown"}), Node ${process.version}, Redis ${redis.version}`;
  log(`${machine}; AOF ${redis.aof ? "on" : "off"}; hash-max-listpack-value ${redis.hashMaxListpackValue}; N=${repetitions}`);

  const results: BenchResult[] = [];
  let failed = false;
  const started = Date.now();
  try {
    for (const file of selected) {
      const name = basename(file, ".bench.ts");
      log(`running ${name}`);
      const moduleStart = Date.now();
      try {
        const module = (await import(pathToFileURL(join(benchDir, file)).href)) as Partial<BenchModule>;
        if (typeof module.run !== "function") throw new Error(`${file} exports no run()`);
        const rows = await module.run({ redisUrl: redis.url, repetitions, skipLarge, log: (message) => log(`${name}: ${message}`) });
        results.push(...rows);
        log(`${name} done in ${((Date.now() - moduleStart) / 1000).toFixed(1)} s`);
      } catch (error) {
        failed = true;
        log(`${name} FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      }
    }
  } finally {
    await redis.stop();
  }

  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  console.log(`\n${machine}; AOF ${redis.aof ? "on" : "off"}; medians of N=${repetitions}; ${seconds} s\n`);
  console.log(values.markdown ? formatMarkdown(results) : formatTable(results));
  if (values.json) {
    await writeFile(values.json, JSON.stringify({ machine, repetitions, aof: redis.aof, results }, null, 2) + "\n");
    log(`wrote ${values.json}`);
  }
  return failed ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  },
);
