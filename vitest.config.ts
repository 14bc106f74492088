import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/faults/**", "test/compat/**", "node_modules/**"],
    globalSetup: ["test/support/buildGlobalSetup.ts", "test/support/redisGlobalSetup.ts"],
    // Fails a test (or a file) that leaves a connection, Redis client, server, child process or interval open.
    setupFiles: ["test/support/leakCheck.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Test files share one redis-server; isolation comes from a key prefix per test (see test/support).
    fileParallelism: true,
  },
});
