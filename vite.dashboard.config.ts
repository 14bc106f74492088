/**
 * Bundles the web dashboard (src/dashboard/, Preact) into dist/dashboard: one page, one script, one stylesheet,
 * served by `labtasker-server` at `/` and `/dashboard/assets/` (src/http/dashboard/assets.ts). Nothing is loaded from
 * elsewhere at run time.
 */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const root = fileURLToPath(new URL("./src/dashboard", import.meta.url));

export default defineConfig({
  root,
  base: "/dashboard/",
  publicDir: false,
  logLevel: "warn",
  // Always the production build, also when a test runner has set NODE_ENV=test (which would bundle JSX's debug runtime).
  mode: "production",
  esbuild: { jsx: "automatic", jsxImportSource: "preact", jsxDev: false },
  build: {
    outDir: fileURLToPath(new URL("./dist/dashboard", import.meta.url)),
    emptyOutDir: true,
    target: "es2022",
    // One script: the page is small, and a single request keeps the first render fast.
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
});
