/**
 * The default client behind the module-level functions (`submitTask(...)`, `lsTasks(...)`, ...), which mirror
 * labtasker's Python module API (`labtasker.submit_task(...)`): scripts call them without passing a client around.
 * It is connected on first use from the configuration (client.toml and the LABTASKER_* variables, as the CLI and the
 * Python client read them), or as set with {@link configure}. Inside a `loop()` handler, and inside
 * {@link withClient}, they use that loop's (that call's) client instead, so a handler written with module-level
 * calls reports to the queue its loop fetches from.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { Labtasker } from "../core/api.js";
import { LabtaskerClient, asClient } from "./client.js";
import { connect, type ConnectOptions } from "./connect.js";

const scoped = new AsyncLocalStorage<LabtaskerClient>();
/** What {@link configure} set: a client to use, or options to connect with on first use. */
let target: LabtaskerClient | ConnectOptions = {};
/** The client connected from `target` options, once asked for. */
let opened: Promise<LabtaskerClient> | null = null;

/**
 * Sets what the module-level functions use: a client (or any {@link Labtasker}), used as it is and never closed
 * here; or {@link ConnectOptions}, connected on first use (settings not given still come from the configuration).
 * Without a call, the configuration alone is used. A client this module connected earlier is closed.
 */
export function configure(client: Labtasker | ConnectOptions = {}): void {
  const previous = opened;
  opened = null;
  target = isLabtasker(client) ? asClient(client) : { ...client };
  void previous?.then((old) => old.close()).catch(() => undefined);
}

function isLabtasker(value: unknown): value is Labtasker {
  return value !== null && typeof value === "object" && typeof (value as Labtasker).fetchTask === "function" && typeof (value as Labtasker).submitTask === "function";
}

/**
 * The client the module-level functions use here: the enclosing `loop()` handler's or {@link withClient}'s, else
 * the one {@link configure} set, else one connected from the configuration (on first call).
 * @throws ConfigError when none is set and the configuration names no queue.
 */
export async function defaultClient(): Promise<LabtaskerClient> {
  const inScope = scoped.getStore();
  if (inScope) return inScope;
  if (target instanceof LabtaskerClient) return target;
  opened ??= connect(target).catch((error: unknown) => {
    opened = null; // a fixed configuration (or environment) is picked up by the next call
    throw error;
  });
  return opened;
}

/** Runs `fn` with the module-level functions bound to `client` (for everything `fn` awaits, too). */
export function withClient<T>(client: Labtasker, fn: () => T): T {
  return scoped.run(asClient(client), fn);
}

/**
 * Closes the client the module-level functions connected from the configuration (one set with {@link configure} is
 * the caller's to close). Not needed to let a script end: idle clients hold nothing open.
 */
export async function closeDefaultClient(): Promise<void> {
  const previous = opened;
  opened = null;
  await (await previous?.catch(() => null))?.close();
}
