/** `labtasker` alone, `--version`, `init`, `config` and `health`. */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import type { Labtasker } from "../../core/api.js";
import { AuthError, QueueExistsError } from "../../core/errors.js";
import type { ClientConfig, CONFIG_ENV } from "../../config/clientConfig.js";
import { ConfigError } from "../../config/connect.js";
import { configEnv, configLocation, globalOptions, loadCliConfig } from "../common/config.js";
import { openApi } from "../common/connect.js";
import { isUnreachable } from "../../core/transient.js";
import { AbortedError, CliError, EXIT, UsageError } from "../common/errors.js";
import { maskRedisUrl } from "../../store/maskUrl.js";
import { Prompter, editFile, resolveEditor } from "../common/input.js";
import { prettyJson } from "../common/output.js";
import { colorEnabled, note, palette } from "../common/terminal.js";

/** `labtasker` with no command prints its help (stdout, exit 0, as v1); `--version` prints the version. */
export async function root(command: Command): Promise<void> {
  if (command.opts<{ version?: boolean }>().version) {
    const manifest = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string };
    process.stdout.write(`Labtasker Version: ${manifest.version} (labtasker-redis, labtasker v1.0.1 protocol)\n`);
    return;
  }
  if (command.args.length > 0) {
    command.error(`error: unknown command '${command.args[0]}'`, { exitCode: EXIT.USAGE, code: "commander.unknownCommand" });
  }
  command.help();
}

/** v1's QueueConfig rules. */
const QUEUE_NAME = /^[a-zA-Z0-9_-]+$/;

function queueNameProblem(name: string): string | undefined {
  if (name.length < 1 || name.length > 100 || !QUEUE_NAME.test(name)) {
    return `queue name must be 1..100 characters of letters, digits, _ and - (got '${name}')`;
  }
  return undefined;
}

function passwordProblem(password: string): string | undefined {
  return password.length < 1 || password.length > 100 ? "password must be 1..100 characters" : undefined;
}

function urlProblem(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? undefined : `server URL must start with http:// or https:// (got '${url}')`;
  } catch {
    return `server URL must be a URL such as http://localhost:9321 (got '${url}')`;
  }
}

function redisUrlProblem(url: string): string | undefined {
  return /^(rediss?|unix|redis\+unix|rediss?\+sentinel|rediss?\+cluster):\/\//.test(url)
    ? undefined
    : `Redis URL must start with redis://, rediss://, unix://, redis+sentinel:// or redis+cluster:// (got '${url}')`;
}

interface InitOptions {
  apiBaseUrl?: string;
  queueName?: string;
  password?: string;
  redisUrl?: string;
  createQueue?: boolean;
  yes?: boolean;
}

/** A value from flags or environment, else asked for (until valid), else a usage error naming the flag. */
async function obtain(
  prompter: () => Prompter | null,
  given: string | undefined,
  flag: string,
  question: string,
  problem: (value: string) => string | undefined,
  options: { defaultValue?: string; hidden?: boolean; confirmHidden?: boolean; useDefault?: boolean } = {},
): Promise<string> {
  if (given !== undefined) {
    const issue = problem(given);
    if (issue) throw new UsageError(`${flag}: ${issue}`);
    return given;
  }
  if (options.useDefault && options.defaultValue !== undefined) return options.defaultValue;
  const ask = prompter();
  for (;;) {
    const answer = ask ? await ask.ask(question, { defaultValue: options.defaultValue, hidden: options.hidden }) : null;
    if (answer === null) throw new UsageError(`${flag} is required (no input to prompt from)`);
    const issue = problem(answer);
    if (issue) {
      note(`Error: ${issue}`);
      continue;
    }
    if (options.confirmHidden && ask) {
      const again = await ask.ask("(confirm) Input the password again", { hidden: true });
      if (again !== answer) {
        note("The passwords do not match. Please try again.");
        continue;
      }
    }
    return answer;
  }
}

/** `init`: writes $LABTASKER_ROOT/client.toml, checking the server and creating the queue on the way (as v1). */
export async function init(command: Command): Promise<void> {
  const local = command.opts<InitOptions>();
  const globals = globalOptions(command);
  const env = configEnv(globals);
  const { labtaskerRoot, saveClientConfig, CONFIG_ENV, CONFIG_DEFAULTS } = await import("../../config/clientConfig.js");
  const root = labtaskerRoot(env);
  if (existsSync(join(root, "client.toml")) || existsSync(join(root, "config.toml"))) {
    throw new CliError(
      `A configuration already exists in ${root}. Edit it with \`labtasker config\`, or delete it and run ` +
        `\`labtasker init\` again (deleting ${root} also deletes the run logs in it).`,
    );
  }
  let prompter: Prompter | null | undefined;
  const getPrompter = () => (prompter ??= new Prompter());
  type Setting = "apiBaseUrl" | "queueName" | "password" | "redisUrl";
  const pick = (key: Setting) => (local[key] as string | undefined) ?? globals[key] ?? (env[CONFIG_ENV[key]] || undefined);
  const keyPrefix = globals.keyPrefix ?? (env[CONFIG_ENV.keyPrefix] || CONFIG_DEFAULTS.keyPrefix);
  try {
    const redisUrl = pick("redisUrl");
    if (redisUrl !== undefined && redisUrlProblem(redisUrl)) throw new UsageError(`--redis-url: ${redisUrlProblem(redisUrl)}`);
    let apiBaseUrl = await obtain(getPrompter, pick("apiBaseUrl"), "--api-base-url", "URL of your Labtasker server", urlProblem, {
      defaultValue: "http://localhost:9321",
      useDefault: local.yes === true || redisUrl !== undefined,
    });

    let verified = false;
    for (;;) {
      verified = await healthy({ apiBaseUrl, redisUrl: redisUrl ?? null, keyPrefix });
      if (verified) break;
      const where = redisUrl ? `Redis at ${maskRedisUrl(redisUrl)}` : `the server at ${apiBaseUrl}`;
      if (local.yes || pick("apiBaseUrl") !== undefined || redisUrl !== undefined) {
        note(`Warning: cannot reach ${where}; writing the configuration anyway (the queue is not checked or created).`);
        break;
      }
      const choice = await getPrompter().ask(`Cannot reach ${where}. [e]dit the URL, [p]roceed anyway, or [a]bort?`, { defaultValue: "e" });
      if (choice === null || choice.startsWith("a")) throw new AbortedError();
      if (choice.startsWith("p")) break;
      apiBaseUrl = await obtain(getPrompter, undefined, "--api-base-url", "URL of your Labtasker server", urlProblem, { defaultValue: apiBaseUrl });
    }

    let queueName: string;
    let password: string;
    for (;;) {
      queueName = await obtain(getPrompter, pick("queueName"), "--queue-name", "Queue name (like a user or project name)", queueNameProblem);
      password = await obtain(getPrompter, pick("password"), "--password", "Password of the queue", passwordProblem, { hidden: true, confirmHidden: true });
      if (!verified) break;
      const outcome = await ensureQueue({ apiBaseUrl, redisUrl: redisUrl ?? null, keyPrefix, queueName, password }, local, getPrompter);
      if (outcome !== "retry") break;
      if (pick("queueName") !== undefined) throw new CliError(`Queue '${queueName}' already exists with another password: choose another --queue-name.`);
    }

    const file = saveClientConfig(root, { apiBaseUrl, queueName, password, redisUrl: redisUrl ?? null });
    note(`Configuration initialized successfully at ${file}.`);
  } finally {
    prompter?.close();
  }
}

async function probe(config: Partial<ClientConfig>, fn: (api: Labtasker) => Promise<void>): Promise<void> {
  const api = await openApi(
    { apiBaseUrl: "", queueName: null, password: null, redisUrl: null, keyPrefix: "labtasker", ...config } as ClientConfig,
    { networkAttempts: 1, credentialsOptional: true },
  );
  try {
    await fn(api);
  } finally {
    await api.close();
  }
}

async function healthy(where: Partial<ClientConfig>): Promise<boolean> {
  let ok = false;
  try {
    await probe(where, async (api) => {
      ok = (await api.health()).status === "healthy";
    });
  } catch (error) {
    if (!isUnreachable(error)) throw error;
  }
  return ok;
}

/** Checks the queue's credentials; offers to create it when they fail. "retry" asks for another name. */
async function ensureQueue(
  where: Partial<ClientConfig> & { queueName: string; password: string },
  local: InitOptions,
  getPrompter: () => Prompter,
): Promise<"ok" | "retry"> {
  const { queueName, password } = where;
  let outcome: "ok" | "retry" = "ok";
  await probe(where, async (api) => {
    try {
      await api.getQueue();
      return;
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
    }
    const create = local.createQueue ?? (local.yes ? true : await getPrompter().confirm(`Queue '${queueName}' was not found (or the password is wrong). Would you like to create this queue?`, true));
    if (!create) return;
    try {
      const queueId = await api.createQueue({ queueName, password });
      note(`Queue '${queueName}' created with ID: ${queueId}`);
    } catch (error) {
      if (!(error instanceof QueueExistsError)) throw error;
      note(`Queue '${queueName}' already exists (and the password does not match). Please try another name.`);
      outcome = "retry";
    }
  });
  return outcome;
}

/** `health`: the server's (or Redis's) health as JSON; exit 255 when unreachable (as v1), 1 when unhealthy. */
export async function health(command: Command): Promise<void> {
  const config = await loadCliConfig(command);
  const globals = globalOptions(command);
  const { CONFIG_ENV } = await import("../../config/clientConfig.js");
  const explicit = config.exists || globals.apiBaseUrl || globals.redisUrl || process.env[CONFIG_ENV.apiBaseUrl] || process.env[CONFIG_ENV.redisUrl];
  if (!explicit) {
    throw new ConfigError(`Configuration not initialized (no ${config.file}). Run \`labtasker init\` to initialize configuration.`);
  }
  const api = await openApi(config, { credentialsOptional: true, networkAttempts: 1 });
  let status;
  try {
    status = await api.health();
  } catch (error) {
    if (isUnreachable(error)) throw new CliError(`Server connection is not healthy. Detail: ${(error as Error).message}`, EXIT.CONFIG);
    throw error;
  } finally {
    await api.close();
  }
  process.stdout.write(`${prettyJson(status, palette(colorEnabled(process.stdout)))}\n`);
  if (status.status !== "healthy") process.exitCode = EXIT.FAILURE;
}

/** v1's ClientConfig rules, as the problems of a parsed config file (empty when valid). */
export function configProblems(doc: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const table = (key: string): Record<string, unknown> | undefined => {
    const value = doc[key];
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  };
  const direct = typeof doc.redis_url === "string" && doc.redis_url !== "";
  const endpoint = table("endpoint");
  if (typeof endpoint?.api_base_url === "string") {
    const issue = urlProblem(endpoint.api_base_url);
    if (issue) problems.push(`endpoint.api_base_url: ${issue}`);
  } else if (!direct) {
    problems.push("endpoint.api_base_url is required (a URL such as http://localhost:9321/), unless redis_url is set");
  }
  const queue = table("queue");
  if (typeof queue?.queue_name !== "string") problems.push("queue.queue_name is required");
  else if (queueNameProblem(queue.queue_name)) problems.push(`queue.queue_name: ${queueNameProblem(queue.queue_name)}`);
  if (typeof queue?.password !== "string") problems.push("queue.password is required");
  else if (passwordProblem(queue.password)) problems.push(`queue.password: ${passwordProblem(queue.password)}`);
  if (doc.redis_url !== undefined && doc.redis_url !== "" && (typeof doc.redis_url !== "string" || redisUrlProblem(doc.redis_url))) {
    problems.push(`redis_url: ${typeof doc.redis_url === "string" ? redisUrlProblem(doc.redis_url) : "must be a string"}`);
  }
  const level = doc.display_server_notifications_level;
  if (level !== undefined && !["low", "medium", "high", "none"].includes(level as string)) {
    problems.push("display_server_notifications_level must be one of low, medium, high, none");
  }
  const interval = table("task")?.heartbeat_interval;
  if (interval !== undefined && !(typeof interval === "number" && interval > 0)) problems.push("task.heartbeat_interval must be a number > 0");
  return problems;
}

interface ConfigOptions {
  editor?: string;
  show?: boolean;
  set?: string[];
}

/** `config`: edit the file in an editor (checked before saving), `--show` the effective settings, or `--set k=v`. */
export async function config(command: Command): Promise<void> {
  const options = command.opts<ConfigOptions>();
  if (options.show) {
    const { CONFIG_ENV } = await import("../../config/clientConfig.js");
    return showConfig(command, await loadCliConfig(command), CONFIG_ENV);
  }
  const location = await configLocation(command);
  const { parse, stringify } = await import("smol-toml");
  const sets = options.set ?? [];
  if (sets.length > 0) {
    if (!location.exists) throw new ConfigError(`Configuration not initialized (no ${location.file}). Run \`labtasker init\` first.`);
    const doc = parse(readFileSync(location.file, "utf8")) as Record<string, unknown>;
    for (const item of sets) {
      const match = /^([A-Za-z0-9_.-]+)=(.*)$/s.exec(item);
      if (!match) throw new UsageError(`--set takes key=value, e.g. queue.queue_name=q1 (got '${item}')`);
      setPath(doc, match[1]!, tomlValue(match[2]!, parse));
    }
    const problems = configProblems(doc);
    if (problems.length > 0) throw new UsageError(`Not saved: ${problems.join("; ")}`);
    writeFileSync(location.file, stringify(doc));
    note(`Configuration updated: ${location.file}`);
    return;
  }

  if (!location.exists) {
    const prompter = new Prompter();
    try {
      if (!(await prompter.confirm(`No configuration at ${location.file}. Create one from the default template?`, false))) throw new AbortedError();
    } finally {
      prompter.close();
    }
    const { saveClientConfig } = await import("../../config/clientConfig.js");
    saveClientConfig(location.root, { apiBaseUrl: "http://localhost:9321/", queueName: "test-queue", password: "test-password" });
  }
  const file = existsSync(location.file) ? location.file : join(location.root, "client.toml");
  const directory = mkdtempSync(join(tmpdir(), "labtasker-config-"));
  const temp = join(directory, "client.toml");
  try {
    writeFileSync(temp, readFileSync(file));
    const editor = resolveEditor(options.editor);
    for (;;) {
      editFile(temp, editor);
      const text = readFileSync(temp, "utf8");
      let problems: string[];
      try {
        problems = configProblems(parse(text) as Record<string, unknown>);
      } catch (error) {
        problems = [`not valid TOML: ${(error as Error).message.split("\n")[0]}`];
      }
      if (problems.length === 0) {
        writeFileSync(file, text);
        note("Configuration updated successfully.");
        return;
      }
      note(`Error: Invalid configuration file.\n  ${problems.join("\n  ")}`);
      const prompter = new Prompter();
      try {
        if (!(await prompter.confirm("Would you like to continue editing?", true))) throw new AbortedError("Aborted: the configuration was not changed.");
      } finally {
        prompter.close();
      }
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

/** A `--set` value: a TOML value when it parses as one (`5`, `true`, `"x"`, `[1, 2]`), else the text. */
function tomlValue(text: string, parse: (toml: string) => Record<string, unknown>): unknown {
  try {
    return parse(`value = ${text}`).value;
  } catch {
    return text;
  }
}

function setPath(doc: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split(".");
  let current = doc;
  for (const part of parts.slice(0, -1)) {
    const next = current[part];
    if (next === undefined) current = current[part] = {};
    else if (next !== null && typeof next === "object" && !Array.isArray(next)) current = next as Record<string, unknown>;
    else throw new UsageError(`--set ${path}: ${part} is not a table`);
  }
  current[parts[parts.length - 1]!] = value;
}

/** `config --show`: each setting, its value and where it comes from (flag, environment, file or default). */
function showConfig(command: Command, config: ClientConfig, ENV: typeof CONFIG_ENV): void {
  const globals = globalOptions(command);
  const raw = config.raw;
  const table = (key: string) => (raw[key] ?? {}) as Record<string, unknown>;
  const rows: Array<[string, string, string]> = [];
  const source = (flag: string | undefined, envName: string, fileValue: unknown): string => {
    if (flag !== undefined) return "flag";
    if (process.env[envName]) return `env ${envName}`;
    if (fileValue !== undefined && fileValue !== "") return "file";
    return "default";
  };
  const show = (value: string | number | null) => (value === null ? "-" : String(value));
  rows.push(["config file", config.file, config.exists ? "exists" : "missing"]);
  rows.push(["mode", config.redisUrl ? "direct (Redis)" : "server (HTTP)", ""]);
  rows.push(["api_base_url", config.apiBaseUrl, source(globals.apiBaseUrl, ENV.apiBaseUrl, table("endpoint").api_base_url)]);
  rows.push(["queue_name", show(config.queueName), source(globals.queueName, ENV.queueName, table("queue").queue_name)]);
  rows.push(["password", config.password ? "******" : "-", source(globals.password, ENV.password, table("queue").password)]);
  rows.push(["redis_url", config.redisUrl ? maskRedisUrl(config.redisUrl) : "-", source(globals.redisUrl, ENV.redisUrl, raw.redis_url)]);
  rows.push(["key_prefix", config.keyPrefix, source(globals.keyPrefix, ENV.keyPrefix, raw.key_prefix)]);
  rows.push(["heartbeat_interval", String(config.heartbeatInterval), table("task").heartbeat_interval === undefined ? "default" : "file"]);
  const width = Math.max(...rows.map(([key]) => key.length)) + 2;
  const valueWidth = Math.max(...rows.map(([, value]) => value.length)) + 2;
  process.stdout.write(rows.map(([key, value, from]) => `${key.padEnd(width)}${value.padEnd(valueWidth)}${from}`.trimEnd()).join("\n") + "\n");
}
