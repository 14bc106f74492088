/**
 * A fake `nvidia-smi` for the pool tests: a script first on the PATH that answers the pool's GPU query with `count`
 * GPUs, in nvidia-smi's CSV format (`--format=csv,noheader`), and its telemetry query with each GPU's use
 * ({@link fakeGpuUse}), logs each call's arguments to `fake-bin/calls`, and fails on anything else.
 */
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The lines nvidia-smi prints for `count` GPUs of 80 GB. */
export function fakeGpuList(count: number): string {
  return Array.from({ length: count }, (_, i) => `${i}, GPU-00000000-0000-0000-0000-00000000000${i}, NVIDIA A100-SXM4-80GB, 81920 MiB\n`).join("");
}

/** What the fake says of GPU i's use: i * 10 + 5 %, (i + 1) * 1000 MiB used of 81920. */
export function fakeGpuUse(count: number): string {
  return Array.from({ length: count }, (_, i) => `${i}, ${i * 10 + 5}, ${(i + 1) * 1000}, 81920\n`).join("");
}

/** Writes the fake into `dir`/fake-bin; returns the PATH that finds it first. */
export function fakeNvidiaSmi(dir: string, count: number, path = process.env.PATH ?? ""): string {
  const bin = join(dir, "fake-bin");
  mkdirSync(bin, { recursive: true });
  const file = join(bin, "nvidia-smi");
  writeFileSync(
    file,
    `#!/bin/sh
echo "$*" >> "${join(bin, "calls")}"
if [ "$*" = "--query-gpu=index,utilization.gpu,memory.used,memory.total --format=csv,noheader,nounits" ]; then
  printf '%s' '${fakeGpuUse(count)}'
  exit 0
fi
if [ "$*" = "--query-gpu=index,uuid,name,memory.total --format=csv,noheader" ]; then
  printf '%s' '${fakeGpuList(count)}'
  exit 0
fi
echo "fake nvidia-smi: unexpected arguments: $*" >&2
exit 6
`,
  );
  chmodSync(file, 0o755);
  return `${bin}:${path}`;
}
