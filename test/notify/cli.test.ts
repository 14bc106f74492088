/**
 * `labtasker queue notify add | ls | rm | test`, the real binary against `labtasker-server serve` with a local
 * receiver, and in direct mode.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { saveClientConfig } from "../../src/config/clientConfig.js";
import { CLI, execute } from "../cli/helpers.js";
import { redisUrl } from "../support/redis.js";
import { Receiver, serverCluster } from "./support.js";

describe("labtasker queue notify", () => {
  it("adds, lists, tests and removes rules; refuses a bad filter with a caret under its column", async () => {
    await using cluster = await serverCluster();
    await using receiver = await Receiver.start();
    const server = await cluster.start();
    const api = await cluster.queue(server);
    const { queueName } = await api.getQueue();
    const root = mkdtempSync(join(tmpdir(), "labtasker-notify-cli-"));
    saveClientConfig(root, { apiBaseUrl: server.url, queueName, password: "pw" });
    const env = { ...process.env, LABTASKER_ROOT: root, LABTASKER_REDIS_URL: undefined, NO_COLOR: "1" };
    const run = (...args: string[]) => execute(process.execPath, [CLI, "queue", "notify", ...args], { env });
    try {
      const bad = await run("add", "--on", 'status == "failed" or (', "--url", receiver.url);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain("^  <-- Error here (Column: 23)");

      const added = await run("add", "--on", 'status == "failed"', "--url", receiver.url, "--format", "slack", "--digest", "1m", "-q");
      expect(added.code).toBe(0);
      const [ruleId, secret] = added.stdout.trim().split("\n");
      expect(secret).toMatch(/^whsec_/);

      const listed = await run("ls", "--fmt", "json");
      expect(JSON.parse(listed.stdout)).toMatchObject([{ rule_id: ruleId, on: 'status == "failed"', url: receiver.url, format: "slack", digest_seconds: 60 }]);
      expect(listed.stdout).not.toContain(secret);

      const tested = await run("test", ruleId!);
      expect(tested.code).toBe(0);
      expect(tested.stderr).toMatch(/: delivered \(HTTP 200\)/);
      expect(receiver.accepted).toHaveLength(1);
      const deliveries = await run("ls", "--deliveries", "--fmt", "jsonl");
      expect(JSON.parse(deliveries.stdout.trim())).toMatchObject({ delivery_id: tested.stdout.trim(), rule_id: ruleId, kind: "test", outcome: "delivered", http_status: 200 });

      receiver.mode = "error";
      const failing = await run("test", ruleId!, "--wait", "5");
      expect(failing.code).toBe(1);
      expect(failing.stderr).toMatch(/: retrying \(HTTP 500\): the receiver answered 500/);

      expect((await run("rm", ruleId!)).code).toBe(0);
      const empty = await run("ls");
      expect(empty.stdout).toBe("");
      expect(empty.stderr).toContain("No notification rule.");
      const missing = await run("rm", ruleId!);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain(`Notification rule '${ruleId}' not found`);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("says in direct mode that messages go when a server runs", async () => {
    await using cluster = await serverCluster();
    const server = await cluster.start(); // publishes the notification key
    const api = await cluster.queue(server);
    const { queueName } = await api.getQueue();
    const root = mkdtempSync(join(tmpdir(), "labtasker-notify-cli-"));
    saveClientConfig(root, { apiBaseUrl: "http://127.0.0.1:1/", redisUrl: redisUrl(), queueName, password: "pw" });
    const env = { ...process.env, LABTASKER_ROOT: root, LABTASKER_KEY_PREFIX: cluster.prefix, NO_COLOR: "1" };
    try {
      const added = await execute(process.execPath, [CLI, "queue", "notify", "add", "--on", "worker-crashed", "--url", "https://hooks.example.org/x"], { env });
      expect(added.code).toBe(0);
      expect(added.stdout).toMatch(/^rule_id: \S+\nsecret: whsec_\S+\n$/);
      expect(added.stderr).toContain("Direct mode: the rule is stored in Redis; its messages go when a labtasker-server runs on this Redis");
      expect(await api.lsNotifyRules()).toMatchObject([{ on: "worker-crashed", url: "https://hooks.example.org/x" }]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
