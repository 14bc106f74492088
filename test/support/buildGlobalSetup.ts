import { execFileSync } from "node:child_process";
import { join } from "node:path";

/**
 * Builds dist/ once per test run (Lua scripts, then tsc, then the dashboard's bundle), so tests that spawn the real
 * `labtasker` and `labtasker-server` binaries, or open the dashboard in a browser, never run stale code.
 */
export default function setup(): void {
  const root = join(import.meta.dirname, "../..");
  execFileSync(process.execPath, [join(root, "node_modules/tsx/dist/cli.mjs"), "scripts/build-lua.ts"], { cwd: root, stdio: "inherit" });
  execFileSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"], { cwd: root, stdio: "inherit" });
  execFileSync(process.execPath, [join(root, "node_modules/vite/bin/vite.js"), "build", "-c", "vite.dashboard.config.ts"], { cwd: root, stdio: "inherit" });
}
