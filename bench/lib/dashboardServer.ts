/**
 * What the dashboard's benchmarks share: Redis (the harness's, or one of their own), a broker and the HTTP app on a
 * free port with the built dashboard, and headless Chromium; disposing of it ends all of them.
 */
import { existsSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { Redis } from "ioredis";
import type { Browser } from "playwright-core";
import { Broker } from "../../src/broker/broker.js";
import { createApp } from "../../src/http/app.js";
import { defaultAssetsDir } from "../../src/http/dashboard/assets.js";
import { launchChromium } from "../../test/support/chromium.js";
import { flushAll } from "./fixtures.js";
import { startRedis } from "./redis.js";

export interface DashboardServer extends AsyncDisposable {
  broker: Broker;
  url: string;
  /** The Redis the broker uses (for INFO). */
  redisUrl: string;
  browser: Browser;
}

export async function startDashboardServer(redisUrlGiven: string | undefined, keyPrefix: string): Promise<DashboardServer> {
  if (!existsSync(join(defaultAssetsDir(), "index.html"))) throw new Error("dist/dashboard is missing: run `npm run build` first");
  const own = redisUrlGiven ? undefined : await startRedis();
  const redisUrl = redisUrlGiven ?? own!.url;
  await flushAll(redisUrl);
  const redis = new Redis(redisUrl);
  const broker = new Broker({ redis, keyPrefix });
  const { app, openStreams } = createApp({ broker });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await launchChromium();
  return {
    broker,
    url,
    redisUrl,
    browser,
    async [Symbol.asyncDispose]() {
      await browser.close();
      for (const stream of openStreams) stream.end();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await broker.close();
      redis.disconnect();
      await own?.[Symbol.asyncDispose]();
    },
  };
}
