/**
 * The client configuration as every command sees it: `src/config`'s loader (file, environment, defaults) with the
 * global flags of `labtasker` on top, so the precedence is flag > environment > file > default everywhere.
 * `src/config` is imported on first use, not at startup, so `--help` does not pay for reading TOML.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import type { ClientConfig, ConfigOverrides } from "../../config/clientConfig.js";

/** The global flags (`labtasker [global flags] <command>`), as commander stores them on the root command. */
export interface GlobalOptions {
  root?: string;
  apiBaseUrl?: string;
  queueName?: string;
  password?: string;
  redisUrl?: string;
  keyPrefix?: string;
}

/**
 * The global flags of the root of `command`. Read from the root only: a subcommand's own option of the same name
 * (`queue create --queue-name`) is a different setting and must not leak into the configuration.
 */
export function globalOptions(command: Command): GlobalOptions {
  let root = command;
  while (root.parent) root = root.parent;
  return root.opts<GlobalOptions>();
}

/** The environment `src/config` should read: the process's, with `--root` as LABTASKER_ROOT. */
export function configEnv(options: GlobalOptions): NodeJS.ProcessEnv {
  return options.root ? { ...process.env, LABTASKER_ROOT: options.root } : process.env;
}

/** The flags that override configuration values. */
export function configOverrides(options: GlobalOptions): ConfigOverrides {
  const overrides: ConfigOverrides = {};
  if (options.apiBaseUrl) overrides.apiBaseUrl = options.apiBaseUrl;
  if (options.queueName) overrides.queueName = options.queueName;
  if (options.password) overrides.password = options.password;
  if (options.redisUrl) overrides.redisUrl = options.redisUrl;
  if (options.keyPrefix) overrides.keyPrefix = options.keyPrefix;
  return overrides;
}

/** Where the configuration of `command` lives, without reading it (`labtasker config` must open a broken file). */
export async function configLocation(command: Command): Promise<{ root: string; file: string; exists: boolean }> {
  const { labtaskerRoot } = await import("../../config/clientConfig.js");
  const root = labtaskerRoot(configEnv(globalOptions(command)));
  const client = join(root, "client.toml");
  const seeds = join(root, "config.toml");
  // As src/config reads it: client.toml, else config.toml (the name the seeds use).
  const file = existsSync(client) || !existsSync(seeds) ? client : seeds;
  return { root, file, exists: existsSync(file) };
}

/** The effective configuration for `command`: flag > environment > file > default. A file that does not parse is a ConfigError. */
export async function loadCliConfig(command: Command): Promise<ClientConfig> {
  const options = globalOptions(command);
  const [{ loadClientConfig }, { ConfigError }] = await Promise.all([import("../../config/clientConfig.js"), import("../../config/connect.js")]);
  try {
    return loadClientConfig(configOverrides(options), configEnv(options));
  } catch (error) {
    const { file } = await configLocation(command);
    throw new ConfigError(`Cannot read ${file}: ${(error as Error).message.split("\n")[0]}. Fix it with \`labtasker config\`.`);
  }
}
