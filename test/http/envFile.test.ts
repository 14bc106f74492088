import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { envFileArgument, loadEnvFile, parseEnvFile } from "../../src/http/envFile.js";

describe("--env-file (v1's server.env)", () => {
  it("reads KEY=VALUE lines: names case-insensitive, comments, export, quotes", () => {
    const text = ["# v1's server.example.env", "api_port=9400", "export API_HOST = 127.0.0.1", 'DB_MODE="embedded"', "PERIODIC_TASK_INTERVAL=30 # seconds", "SSE_PING_INTERVAL='5'", "not a line", ""].join("\n");
    expect(Object.fromEntries(parseEnvFile(text))).toEqual({
      API_PORT: "9400",
      API_HOST: "127.0.0.1",
      DB_MODE: "embedded",
      PERIODIC_TASK_INTERVAL: "30",
      SSE_PING_INTERVAL: "5",
    });
  });

  it("finds the flag in either form, not after --", () => {
    expect(envFileArgument(["serve", "--env-file", "a.env"])).toBe("a.env");
    expect(envFileArgument(["serve", "--env-file=b.env", "--port", "1"])).toBe("b.env");
    expect(envFileArgument(["serve", "--", "--env-file", "c.env"])).toBeUndefined();
    expect(envFileArgument(["serve"])).toBeUndefined();
  });

  it("leaves variables the environment sets (in any case) alone, as v1 does", () => {
    const dir = mkdtempSync(join(tmpdir(), "labtasker-env-"));
    try {
      const path = join(dir, "server.env");
      writeFileSync(path, "API_PORT=9400\nAPI_HOST=127.0.0.1\n");
      const env: NodeJS.ProcessEnv = { api_port: "9500" };
      loadEnvFile(path, env);
      expect(env).toEqual({ api_port: "9500", API_HOST: "127.0.0.1" });
      expect(() => loadEnvFile(join(dir, "missing.env"), env)).toThrow(/cannot read --env-file .*missing\.env/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
