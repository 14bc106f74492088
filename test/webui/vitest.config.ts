import { defineConfig } from "vitest/config";

/**
 * The official web UI (labtasker-webui 0.6.0) in headless Chromium against a server (test/webui/README.md). Its file
 * ends in `.e2e.ts`, so the main suite (`vitest run`) leaves it alone: it needs test/webui/.venv and chromium. With
 * WEBUI_SERVER=ours (the default) dist/ is built first, as the suite starts the real `labtasker-server`.
 */
const ours = (process.env.WEBUI_SERVER ?? "ours") === "ours";

export default defineConfig({
  test: {
    include: ["test/webui/**/*.e2e.ts"],
    exclude: ["test/webui/.venv/**", "node_modules/**"],
    globalSetup: ours ? ["test/support/buildGlobalSetup.ts"] : [],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ["default"],
  },
});
