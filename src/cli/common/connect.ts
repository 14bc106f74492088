/**
 * A {@link Labtasker} for a command: HTTP to a server (ours or labtasker v1's), or direct mode on Redis when
 * `redis_url` / LABTASKER_REDIS_URL / `--redis-url` is set. Commands never speak HTTP or Redis themselves.
 */
import type { Command } from "commander";
import type { Labtasker } from "../../core/api.js";
import type { ClientConfig } from "../../config/clientConfig.js";
import { ConfigError } from "../../config/connect.js";
import { loadCliConfig } from "./config.js";

export interface OpenOptions {
  /**
   * Attempts for requests that are safe to repeat after a network error (HTTP only). A command fails fast when the
   * server is down instead of retrying for a minute the way a long-running worker should.
   * @defaultValue 2
   */
  networkAttempts?: number;
  /** Connect even without queue credentials (for `health`, which needs none). @defaultValue false */
  credentialsOptional?: boolean;
}

/** The error for a configuration without queue credentials, naming the fix. */
export function missingCredentials(config: ClientConfig): ConfigError {
  return new ConfigError(
    config.exists
      ? `No queue configured in ${config.file}: set queue.queue_name and queue.password (\`labtasker config\`), ` +
          "or LABTASKER_QUEUE_NAME and LABTASKER_PASSWORD."
      : `Configuration not initialized (no ${config.file}). Run \`labtasker init\` to initialize configuration, ` +
          "or set LABTASKER_QUEUE_NAME and LABTASKER_PASSWORD.",
  );
}

/** Opens the API as configured. The caller closes it (see {@link withApi}). */
export async function openApi(config: ClientConfig, options: OpenOptions = {}): Promise<Labtasker> {
  let { queueName, password } = config;
  if (!queueName || !password) {
    if (!options.credentialsOptional) throw missingCredentials(config);
    // Placeholders: the only call made without credentials is the unauthenticated health check.
    queueName ||= "-";
    password ||= "-";
  }
  const { connect } = await import("../../config/connect.js");
  return connect({ ...config, queueName, password }, { networkAttempts: options.networkAttempts ?? 2 });
}

/** Loads the configuration of `command`, opens the API, runs `fn` and closes the API whatever happens. */
export async function withApi<T>(
  command: Command,
  fn: (api: Labtasker, config: ClientConfig) => Promise<T>,
  options: OpenOptions = {},
): Promise<T> {
  const config = await loadCliConfig(command);
  const api = await openApi(config, options);
  try {
    return await fn(api, config);
  } finally {
    await api.close();
  }
}
