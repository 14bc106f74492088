/**
 * The SDK's {@link LabtaskerClient} for a command, over HTTP to a server (ours or labtasker v1's), or direct mode on
 * Redis when `redis_url` / LABTASKER_REDIS_URL / `--redis-url` is set: the same `openTransport` and client as the
 * SDK's `connect()`, so paging, batching and bulk deletes exist once. Commands never speak HTTP or Redis themselves.
 * The client's modules load with the first command that connects, not with `--help`.
 */
import type { Command } from "commander";
import type { ClientConfig } from "../../config/clientConfig.js";
import { ConfigError } from "../../config/connect.js";
import type { LabtaskerClient } from "../../sdk/client.js";
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

/** Opens the client as configured. The caller closes it (see {@link withApi}). */
export async function openApi(config: ClientConfig, options: OpenOptions = {}): Promise<LabtaskerClient> {
  let { queueName, password } = config;
  if (!queueName || !password) {
    if (!options.credentialsOptional) throw missingCredentials(config);
    // Placeholders: the only call made without credentials is the unauthenticated health check.
    queueName ||= "-";
    password ||= "-";
  }
  const [{ openTransport }, { clientOver }] = await Promise.all([import("../../config/connect.js"), import("../../sdk/client.js")]);
  const transport = await openTransport({ ...config, queueName, password }, { networkAttempts: options.networkAttempts ?? 2 });
  // The commands compile and check their filters first (caret, -v), and close the client when they end; `loop`
  // runs its runtime on the transport itself, as the SDK's loop() does.
  return clientOver(transport, {
    queueName,
    password,
    root: config.root,
    heartbeatInterval: config.heartbeatInterval,
    checkFilters: false,
    releaseWhenIdle: false,
  });
}

/** Loads the configuration of `command`, opens the client, runs `fn` and closes the client whatever happens. */
export async function withApi<T>(
  command: Command,
  fn: (api: LabtaskerClient, config: ClientConfig) => Promise<T>,
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
