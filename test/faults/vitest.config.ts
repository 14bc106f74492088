import { defineConfig } from "vitest/config";

/**
 * The fault suite (docs/reliability.md): real redis-server, servers and loops, killed and restarted. Scenarios run
 * one at a time (each uses both cores); `dist/` is built first, as the scenarios spawn the real binaries.
 */
export default defineConfig({
  test: {
    include: ["test/faults/**/*.test.ts"],
    exclude: ["test/faults/.venv/**", "node_modules/**"],
    globalSetup: ["test/support/buildGlobalSetup.ts"],
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 120_000,
    reporters: ["default"],
  },
});
