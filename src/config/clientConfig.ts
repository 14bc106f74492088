/**
 * The client's configuration, as labtasker v1 keeps it: `$LABTASKER_ROOT/client.toml` (LABTASKER_ROOT defaults to
 * `./.labtasker`), with v1's keys. `config.toml` (the name the seeds use) is read when `client.toml` is absent.
 * One extension: `redis_url` (or LABTASKER_REDIS_URL) selects direct mode, talking to Redis with no server.
 *
 * Precedence for every setting: explicit option (a CLI flag) > environment variable > file > default.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parse as parseToml, stringify as stringifyToml } from "smol-toml";
import { HEARTBEAT_INTERVAL_SECONDS } from "../core/defaults.js";
import { isJsonObject } from "../json.js";

export interface ClientConfig {
  /** The directory holding the config file and run logs. */
  root: string;
  /** The config file read, or the one `init` writes, when none exists yet. */
  file: string;
  /** Whether `file` exists. */
  exists: boolean;
  apiBaseUrl: string;
  queueName: string | null;
  password: string | null;
  /** Direct mode: talk to this Redis instead of a server. */
  redisUrl: string | null;
  /** Direct mode: the prefix of every Redis key (the server's `--key-prefix`). */
  keyPrefix: string;
  /** Seconds between heartbeats of a running task. */
  heartbeatInterval: number;
  displayServerNotificationsLevel: "low" | "medium" | "high" | "none";
  /** Everything else in the file, kept so a rewrite loses nothing (v1's model allows extra keys). */
  raw: Record<string, unknown>;
}

/** Overrides from flags; they win over the environment and the file. */
export type ConfigOverrides = Partial<Pick<ClientConfig, "apiBaseUrl" | "queueName" | "password" | "redisUrl" | "keyPrefix" | "heartbeatInterval">>;

export const CONFIG_DEFAULTS = {
  apiBaseUrl: "http://localhost:9321/",
  /** v1's template value (its model's default is 30). */
  heartbeatInterval: HEARTBEAT_INTERVAL_SECONDS,
  displayServerNotificationsLevel: "medium",
  keyPrefix: "labtasker",
} as const;

/** The environment variables the client reads, in one place. */
export const CONFIG_ENV = {
  root: "LABTASKER_ROOT",
  apiBaseUrl: "LABTASKER_API_BASE_URL",
  queueName: "LABTASKER_QUEUE_NAME",
  password: "LABTASKER_PASSWORD",
  redisUrl: "LABTASKER_REDIS_URL",
  keyPrefix: "LABTASKER_KEY_PREFIX",
} as const;

/** `$LABTASKER_ROOT`, or `./.labtasker`, as an absolute path. */
export function labtaskerRoot(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env[CONFIG_ENV.root] || ".labtasker");
}

/** Sets `value` at a dotted path (`queue.password`) of a TOML document, creating the tables on the way. */
function setPath(document: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split(".");
  let node = document;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    node = isJsonObject(next) ? next : (node[key] = {});
  }
  node[keys.at(-1)!] = value;
}

/** Writes a file whole or not at all: a crash mid-write leaves the old file, never half of the new one. */
function writeFileAtomic(file: string, text: string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, file);
}

function table(raw: Record<string, unknown>, key: string): Record<string, unknown> {
  const value = raw[key];
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function text(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

export function loadClientConfig(overrides: ConfigOverrides = {}, env: NodeJS.ProcessEnv = process.env): ClientConfig {
  const root = labtaskerRoot(env);
  const clientFile = join(root, "client.toml");
  const seedsFile = join(root, "config.toml");
  const file = existsSync(clientFile) || !existsSync(seedsFile) ? clientFile : seedsFile;
  const exists = existsSync(file);
  const raw = exists ? (parseToml(readFileSync(file, "utf8")) as Record<string, unknown>) : {};
  const endpoint = table(raw, "endpoint");
  const queue = table(raw, "queue");
  const task = table(raw, "task");
  const interval = overrides.heartbeatInterval ?? Number(task.heartbeat_interval ?? CONFIG_DEFAULTS.heartbeatInterval);
  if (!(Number.isFinite(interval) && interval > 0)) {
    // Said, not replaced by the default: a loop would otherwise heart-beat at another rate than the file says.
    throw new RangeError(`task.heartbeat_interval in ${file} must be a positive number of seconds (got ${JSON.stringify(task.heartbeat_interval)})`);
  }
  return {
    root,
    file,
    exists,
    apiBaseUrl: overrides.apiBaseUrl ?? text(env[CONFIG_ENV.apiBaseUrl]) ?? text(endpoint.api_base_url) ?? CONFIG_DEFAULTS.apiBaseUrl,
    queueName: overrides.queueName ?? text(env[CONFIG_ENV.queueName]) ?? text(queue.queue_name),
    password: overrides.password ?? text(env[CONFIG_ENV.password]) ?? text(queue.password),
    redisUrl: overrides.redisUrl ?? text(env[CONFIG_ENV.redisUrl]) ?? text(raw.redis_url),
    keyPrefix: overrides.keyPrefix ?? text(env[CONFIG_ENV.keyPrefix]) ?? text(raw.key_prefix) ?? CONFIG_DEFAULTS.keyPrefix,
    heartbeatInterval: interval,
    displayServerNotificationsLevel: (text(raw.display_server_notifications_level) ?? CONFIG_DEFAULTS.displayServerNotificationsLevel) as ClientConfig["displayServerNotificationsLevel"],
    raw,
  };
}

export interface NewConfig {
  apiBaseUrl: string;
  queueName: string;
  password: string;
  redisUrl?: string | null;
  heartbeatInterval?: number;
}

/**
 * Writes `client.toml` in v1's layout (plus `redis_url` for direct mode), creating the root with v1's `.gitignore`
 * (the file holds a password) and `logs/`. Keys already in the file that this does not set are kept.
 */
export function saveClientConfig(root: string, config: NewConfig): string {
  mkdirSync(join(root, "logs"), { recursive: true });
  const gitignore = join(root, ".gitignore");
  if (!existsSync(gitignore)) writeFileSync(gitignore, "*.toml\n.last-version-check\nlogs\n");
  const file = join(root, "client.toml");
  const document = existsSync(file) ? (parseToml(readFileSync(file, "utf8")) as Record<string, unknown>) : {};
  document.display_server_notifications_level ??= CONFIG_DEFAULTS.displayServerNotificationsLevel;
  document.enable_traceback_filter ??= false;
  document.version_check ??= false;
  setPath(document, "endpoint.api_base_url", config.apiBaseUrl);
  setPath(document, "queue.queue_name", config.queueName);
  setPath(document, "queue.password", config.password);
  setPath(document, "task.heartbeat_interval", config.heartbeatInterval ?? CONFIG_DEFAULTS.heartbeatInterval);
  if (config.redisUrl) document.redis_url = config.redisUrl;
  else delete document.redis_url;
  writeFileAtomic(file, stringifyToml(document));
  return file;
}
