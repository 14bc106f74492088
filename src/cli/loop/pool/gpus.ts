/**
 * Which GPUs a pool runs on (`--gpus all|N|0,2,3`), from `nvidia-smi --query-gpu=index,uuid,name,memory.total
 * --format=csv,noheader`. Its lines are read strictly (`0, GPU-<uuid>, <name>, 81920 MiB`): anything else is an
 * error quoting the line, rather than a pool on GPUs that do not exist.
 */
import { spawnSync } from "node:child_process";
import { UsageError } from "../../common/errors.js";

export interface Gpu {
  /** What CUDA_VISIBLE_DEVICES names it by. */
  index: number;
  /** null when nvidia-smi was not asked (a list or a count given without it). */
  uuid: string | null;
  name: string | null;
  /** MiB. */
  memoryTotal: number | null;
}

export const GPU_QUERY = ["--query-gpu=index,uuid,name,memory.total", "--format=csv,noheader"];

/** The GPUs `nvidia-smi` lists, or null when there is no nvidia-smi to run. */
export function queryGpus(): Gpu[] | null {
  const result = spawnSync("nvidia-smi", GPU_QUERY, { encoding: "utf8", timeout: 20_000 });
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT") return null;
  if (result.error || result.status !== 0) {
    throw new UsageError(`nvidia-smi ${GPU_QUERY.join(" ")} failed: ${result.error?.message ?? (result.stderr.trim() || result.stdout.trim() || `exit code ${result.status}`)}`);
  }
  return parseGpuList(result.stdout);
}

/** Parses nvidia-smi's CSV lines (no header): index, uuid, name (may hold commas), memory.total in MiB. */
export function parseGpuList(text: string): Gpu[] {
  const gpus: Gpu[] = [];
  for (const line of text.split("\n").map((l) => l.trim()).filter((l) => l !== "")) {
    const fields = line.split(", ");
    const [index, uuid] = fields;
    const memory = fields[fields.length - 1];
    const name = fields.slice(2, -1).join(", ");
    if (fields.length < 4 || !/^\d+$/.test(index!) || !/^(GPU|MIG)-[0-9A-Za-z/-]+$/.test(uuid!) || name === "" || !/^\d+ MiB$/.test(memory!)) {
      throw new UsageError(`Cannot read this line of nvidia-smi's GPU list (expected "index, uuid, name, memory.total MiB"): ${JSON.stringify(line)}`);
    }
    gpus.push({ index: Number(index), uuid: uuid!, name, memoryTotal: Number.parseInt(memory!, 10) });
  }
  return gpus;
}

/** The GPUs `--gpus` names: `all`, a count N (the first N), or a list of indexes (`0,2,3`; one alone as `2,`). */
export function selectGpus(spec: string, listed: () => Gpu[] | null): Gpu[] {
  const text = spec.trim();
  if (text === "all") {
    const gpus = listed();
    if (gpus === null) throw new UsageError("--gpus all reads the GPUs from nvidia-smi, which is not on the PATH: name them instead (--gpus 0,1).");
    if (gpus.length === 0) throw new UsageError("--gpus all: nvidia-smi lists no GPU.");
    return gpus;
  }
  if (/^\d+$/.test(text)) {
    const count = Number(text);
    if (count < 1) throw new UsageError("--gpus N needs N >= 1.");
    const gpus = listed();
    if (gpus === null) return Array.from({ length: count }, (_, index) => ({ index, uuid: null, name: null, memoryTotal: null }));
    if (count > gpus.length) throw new UsageError(`--gpus ${count}: nvidia-smi lists ${gpus.length} GPU(s).`);
    return gpus.slice(0, count);
  }
  if (/^\d+(,\d+)*,?$/.test(text)) {
    const indexes = [...new Set(text.split(",").filter((part) => part !== "").map(Number))];
    const gpus = listed();
    return indexes.map((index) => {
      if (gpus === null) return { index, uuid: null, name: null, memoryTotal: null };
      const gpu = gpus.find((g) => g.index === index);
      if (!gpu) throw new UsageError(`--gpus: nvidia-smi lists no GPU ${index} (it lists ${gpus.map((g) => g.index).join(", ") || "none"}).`);
      return gpu;
    });
  }
  throw new UsageError(`--gpus takes all, a count N, or a list of GPU indexes such as 0,2,3 (got ${JSON.stringify(spec)}).`);
}
