import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadClientConfig, saveClientConfig } from "../../src/config/clientConfig.js";
import { ConfigError, connect } from "../../src/config/connect.js";

describe("client configuration", () => {
  const dirs: string[] = [];
  const tempRoot = async () => {
    const dir = await mkdtemp(join(tmpdir(), "labtasker-config-"));
    dirs.push(dir);
    return join(dir, ".labtasker");
  };
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  it("writes v1's client.toml layout and reads it back", async () => {
    const root = await tempRoot();
    const file = saveClientConfig(root, { apiBaseUrl: "http://h:9321/", queueName: "q", password: "p" });
    expect(file).toBe(join(root, "client.toml"));
    const text = await readFile(file, "utf8");
    expect(text).toMatch(/\[endpoint\]\s+api_base_url = "http:\/\/h:9321\/"/);
    expect(text).toMatch(/\[queue\]\s+queue_name = "q"\s+password = "p"/);
    expect(await readFile(join(root, ".gitignore"), "utf8")).toContain("*.toml");
    const config = loadClientConfig({}, { LABTASKER_ROOT: root });
    expect(config).toMatchObject({ exists: true, apiBaseUrl: "http://h:9321/", queueName: "q", password: "p", redisUrl: null, heartbeatInterval: 10 });
  });

  it("reads the seeds' config.toml when client.toml is absent, and keeps unknown keys", async () => {
    const root = await tempRoot();
    await saveClientConfig(root, { apiBaseUrl: "http://x/", queueName: "a", password: "b" });
    await rm(join(root, "client.toml"));
    await writeFile(join(root, "config.toml"), '[queue]\nqueue_name = "seed"\npassword = "pw"\n[cli_plugins]\ndefault = "all"\n');
    const config = loadClientConfig({}, { LABTASKER_ROOT: root });
    expect(config).toMatchObject({ file: join(root, "config.toml"), queueName: "seed", raw: { cli_plugins: { default: "all" } } });
  });

  it("says which setting is wrong instead of replacing an invalid heartbeat_interval with the default", async () => {
    const root = await tempRoot();
    saveClientConfig(root, { apiBaseUrl: "http://h/", queueName: "q", password: "p" });
    for (const bad of ["0", "-1", '"often"']) {
      await writeFile(join(root, "client.toml"), `[queue]\nqueue_name = "q"\npassword = "p"\n[task]\nheartbeat_interval = ${bad}\n`);
      expect(() => loadClientConfig({}, { LABTASKER_ROOT: root })).toThrow(/task\.heartbeat_interval in .*client\.toml must be a positive number of seconds/);
    }
  });

  it("lets flags beat the environment, and the environment beat the file", async () => {
    const root = await tempRoot();
    saveClientConfig(root, { apiBaseUrl: "http://file/", queueName: "file-q", password: "file-p" });
    const env = { LABTASKER_ROOT: root, LABTASKER_QUEUE_NAME: "env-q", LABTASKER_REDIS_URL: "redis://env:6379" };
    expect(loadClientConfig({}, env)).toMatchObject({ queueName: "env-q", password: "file-p", redisUrl: "redis://env:6379", apiBaseUrl: "http://file/", keyPrefix: "labtasker" });
    expect(loadClientConfig({}, { ...env, LABTASKER_KEY_PREFIX: "lab2" }).keyPrefix).toBe("lab2");
    expect(loadClientConfig({ queueName: "flag-q" }, env).queueName).toBe("flag-q");
  });

  it("names the fix when no queue is configured", async () => {
    const root = await tempRoot();
    const config = loadClientConfig({}, { LABTASKER_ROOT: root });
    expect(config.exists).toBe(false);
    await expect(connect(config)).rejects.toBeInstanceOf(ConfigError);
    await expect(connect(config)).rejects.toThrow(/labtasker init/);
  });
});
