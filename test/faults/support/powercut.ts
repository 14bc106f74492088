/**
 * A redis-server whose unsynced AOF writes die with it, as in an operating-system crash or power cut (see
 * powercut.c): `binary` for src/store/embeddedRedis.ts. Needs a C compiler; null when there is none.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export function canBuildPowercut(): boolean {
  try {
    execFileSync("cc", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Builds the shim into `dir` and returns a redis-server wrapper that preloads it. */
export function powercutRedisBinary(dir: string): string {
  const library = join(dir, "powercut.so");
  execFileSync("cc", ["-shared", "-fPIC", "-O2", "-o", library, join(import.meta.dirname, "powercut.c"), "-ldl", "-lpthread"], { stdio: "inherit" });
  const wrapper = join(dir, "redis-server-powercut");
  writeFileSync(wrapper, `#!/bin/sh\nLD_PRELOAD=${library} exec "\${LABTASKER_REDIS_SERVER:-redis-server}" "$@"\n`);
  chmodSync(wrapper, 0o755);
  return wrapper;
}
