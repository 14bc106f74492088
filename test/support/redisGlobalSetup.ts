import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { startEmbeddedRedis } from "../../src/store/embeddedRedis.js";

declare module "vitest" {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

/**
 * Starts one real redis-server on a free port with a temporary data dir for the whole run.
 * Tests stay isolated by giving every test its own key prefix (see `test/support/redis.ts`).
 * Set LABTASKER_TEST_KEEP=1 to keep the data dir for inspection after a failure.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dataDir = await mkdtemp(join(tmpdir(), "labtasker-test-redis-"));
  const redis = await startEmbeddedRedis({ dataDir });
  project.provide("redisUrl", redis.url);
  return async () => {
    await redis.stop();
    if (!process.env.LABTASKER_TEST_KEEP) await rm(dataDir, { recursive: true, force: true });
  };
}
