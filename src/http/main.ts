#!/usr/bin/env node
/**
 * `labtasker-server`: serves labtasker v1's REST protocol (/api/v1) and v2's (/api/v2, labtasker 2.8.0) from Redis.
 * Options come from flags, then environment variables (v1's names where v1 has one), then `--env-file`, then defaults.
 */
import { readFileSync } from "node:fs";
import { Command, InvalidArgumentError, Option } from "commander";
import { envFileArgument, loadEnvFile } from "./envFile.js";
import { maskRedisUrl } from "../store/connection.js";
import { STOP_BOUND_MS, serve, type RunningServer } from "./server.js";
import { SWEEP_INTERVAL_SECONDS } from "../core/defaults.js";

const { version } = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };

function positiveNumber(value: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) throw new InvalidArgumentError(`must be a positive number (got ${value})`);
  return number;
}

function port(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0 || number > 65535) throw new InvalidArgumentError(`must be a port number 0..65535 (got ${value})`);
  return number;
}

/** v1's `--db-mode`, case-insensitive as v1 reads it. */
function dbMode(value: string): "embedded" | "external" {
  const mode = value.toLowerCase();
  if (mode !== "embedded" && mode !== "external") throw new InvalidArgumentError(`must be embedded or external (got ${value})`);
  return mode;
}

/** A repeatable option whose environment variable holds a comma-separated list. */
function hostList(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(",").map((host) => host.trim()).filter(Boolean)];
}

interface ServeFlags {
  host: string;
  port: number;
  redisUrl?: string;
  dataDir: string;
  dbPath?: string;
  dbMode?: "embedded" | "external";
  keyPrefix: string;
  sweepInterval: number;
  pingInterval: number;
  allowEviction?: boolean;
  notifyAllowHost?: string[];
  notifyKeyFile?: string;
  dashboard: boolean;
  token?: string;
  v2LeaseSeconds?: number;
}

/**
 * Where the data lives, from our flags and v1's: `--db-mode external` is the Redis of `--redis-url` (v1's external
 * mode is MongoDB, which has no equivalent here), `--db-path` names the embedded store's directory.
 */
function storage(flags: ServeFlags): { redisUrl?: string; dataDir: string } {
  if (flags.dbMode === "external" && !flags.redisUrl) {
    throw new Error("--db-mode external needs --redis-url (or REDIS_URL): the data is kept in that Redis");
  }
  if (flags.dbMode === "embedded" && flags.redisUrl) {
    throw new Error("--db-mode embedded conflicts with --redis-url: drop one of them");
  }
  return { redisUrl: flags.redisUrl, dataDir: flags.dbPath ?? flags.dataDir };
}

const envFile = envFileArgument(process.argv.slice(2));
if (envFile !== undefined) {
  try {
    loadEnvFile(envFile);
  } catch (error) {
    console.error(`labtasker-server: ${(error as Error).message}`);
    process.exit(2);
  }
}

const program = new Command("labtasker-server")
  .description("labtasker's server (v1 and v2 protocols), backed by Redis")
  .version(version);

program
  .command("serve")
  .description("Serve the API. Without --redis-url, starts an embedded redis-server (AOF on) under --data-dir.")
  .addOption(new Option("--host <host>", "interface to listen on").env("API_HOST").default("0.0.0.0"))
  .addOption(new Option("--port <port>", "port to listen on").env("API_PORT").default(9321).argParser(port))
  .addOption(new Option("--redis-url <url>", "existing Redis: redis://, rediss://, unix://, redis+sentinel://, redis+cluster://").env("REDIS_URL"))
  .addOption(new Option("--data-dir <dir>", "data directory of the embedded redis-server").env("LABTASKER_DATA_DIR").default("labtasker-data"))
  .addOption(new Option("--db-mode <mode>", "v1's flag: embedded (a redis-server under --data-dir) or external (the Redis of --redis-url)").env("DB_MODE").argParser(dbMode))
  .addOption(new Option("--db-path <path>", "v1's flag: the embedded store's location, here the data directory (as --data-dir)"))
  .addOption(new Option("--env-file <path>", "read settings from a file of KEY=VALUE lines, as v1 does (environment variables win)"))
  .addOption(new Option("--key-prefix <prefix>", "prefix of every Redis key").env("LABTASKER_KEY_PREFIX").default("labtasker"))
  .addOption(new Option("--sweep-interval <seconds>", "seconds between timeout sweeps").env("PERIODIC_TASK_INTERVAL").default(SWEEP_INTERVAL_SECONDS).argParser(positiveNumber))
  .addOption(new Option("--ping-interval <seconds>", "seconds between SSE pings").env("SSE_PING_INTERVAL").default(15).argParser(positiveNumber))
  .addOption(new Option("--allow-eviction", "start even when Redis's maxmemory-policy (allkeys-*) can evict tasks").env("LABTASKER_ALLOW_EVICTION"))
  .addOption(
    new Option("--notify-allow-host <host>", "a host (or *.domain, address, CIDR range) notification rules may POST to; repeatable (default: none)")
      .env("LABTASKER_NOTIFY_ALLOW_HOSTS")
      .argParser(hostList),
  )
  .addOption(new Option("--no-dashboard", "serve the API alone, without the web dashboard at / (docs/dashboard.md)").env("LABTASKER_NO_DASHBOARD"))
  .addOption(new Option("--notify-key-file <path>", "key that opens notification rules' secrets, created when missing; share it between replicas (default: <data-dir>/notify-key.pem)").env("LABTASKER_NOTIFY_KEY_FILE"))
  .addOption(new Option("--token <token>", "v2's bearer token for /api/v2 (v1 keeps queue passwords); required for /api/v2 on a non-loopback --host").env("LABTASKER_SERVER_TOKEN"))
  .addOption(new Option("--v2-lease-seconds <seconds>", "lease of a v2 claim, renewed by each heartbeat (v2's: 300)").env("LABTASKER_V2_LEASE_SECONDS").argParser(positiveNumber))
  .addHelpText("after", "\nPrecedence: flag > environment variable > --env-file > default.")
  .action(async (options: ServeFlags) => {
    const log = (message: string) => console.error(`[${new Date().toISOString()}] ${message}`);
    const { redisUrl, dataDir } = storage(options);
    // Signals are taken from the start: a server still waiting for its Redis stops as promptly as a running one.
    const started: { server?: RunningServer } = {};
    let signals = 0;
    const shutdown = (signal: string) => {
      if (++signals > 1) process.exit(130); // a second Ctrl-C stops at once
      const { server } = started;
      if (!server) {
        log(`${signal}: stopping before the server started`);
        process.exit(1);
      }
      log(`${signal}: finishing in-flight requests, then stopping (at most ${STOP_BOUND_MS / 1000} s)`);
      // The stop is bounded inside; this is the last resort should something still hang.
      setTimeout(() => {
        log(`Stop not clean: still stopping after ${STOP_BOUND_MS / 1000} s, exiting anyway`);
        process.exit(1);
      }, STOP_BOUND_MS + 2000).unref();
      server.close().then(
        (report) => {
          if (report.clean) {
            log("Stopped");
            process.exit(0);
          }
          log(`Stop not clean: ${report.problems.join("; ")}`);
          process.exit(1);
        },
        (error: unknown) => {
          log(`Stop not clean: ${(error as Error).message}`);
          process.exit(1);
        },
      );
    };
    process.on("SIGINT", () => shutdown("SIGINT"));
    process.on("SIGTERM", () => shutdown("SIGTERM"));
    const server = await serve({
      host: options.host,
      port: options.port,
      redisUrl,
      dataDir,
      keyPrefix: options.keyPrefix,
      sweepIntervalSeconds: options.sweepInterval,
      pingIntervalSeconds: options.pingInterval,
      allowEviction: options.allowEviction,
      notify: { allowHosts: options.notifyAllowHost, keyFile: options.notifyKeyFile },
      dashboard: options.dashboard,
      token: options.token ?? null,
      v2LeaseSeconds: options.v2LeaseSeconds,
      version,
      log,
    });
    started.server = server;
    const v2 = !server.v2Enabled ? "v2 disabled: no token on a non-loopback address" : options.token ? "v2 with a token" : "v2 without a token";
    log(`labtasker-server ${version} listening on ${server.url} (Redis: ${redisUrl ? maskRedisUrl(server.redisUrl) : "embedded"}; API v1, ${v2})`);
    if (options.dashboard) log(`Dashboard: open ${server.url}/ in a browser and sign in with a queue's name and password`);
  });

program.parseAsync().catch((error: unknown) => {
  console.error(`labtasker-server: ${(error as Error).message}`);
  process.exit(1);
});
