import { Cluster } from "ioredis";
import type { RedisConnection } from "./connection.js";
import { LIBRARY, SCRIPTS, type ScriptName } from "./scripts.generated.js";

/** A script's reply: its status code first (see scriptCodes.ts), then its data. */
export type ScriptReply = [number, ...Array<string | number>];
/** The same with bulk strings as Buffers. */
export type BinaryScriptReply = [number, ...Array<Buffer | number>];

type ScriptCaller = (...keysAndArgs: Array<string | number>) => Promise<unknown>;

/**
 * Runs the Lua scripts of lua/ by name.
 *
 * On Redis 7 and later they run as functions of one library (FCALL), loaded on first use and again whenever Redis
 * answers that a function is missing (a new or flushed server, a failover to a replica without it); the includes
 * are then defined once per load instead of once per call, which takes 20-25% off each call's time in Redis.
 * On older Redis the same scripts run with EVALSHA, registered with ioredis `defineCommand`, which falls back to
 * EVAL when the server answers NOSCRIPT. Scripts are never sent inside MULTI, where neither fallback could work.
 */
export class ScriptRunner {
  /** ioredis's EVALSHA commands by script name, and by name + "Buffer" for their binary-reply form. */
  private readonly callers = new Map<string, ScriptCaller>();
  /** Whether to use Redis Functions: the server has them and allows FUNCTION LOAD; learnt from the first call. */
  private functions: boolean;
  private loading: Promise<void> | undefined;

  /** @param options.functions use Redis Functions when the server has them (@defaultValue true) */
  constructor(
    private readonly redis: RedisConnection,
    options: { functions?: boolean } = {},
  ) {
    this.functions = options.functions ?? true;
    for (const [name, script] of Object.entries(SCRIPTS) as Array<[ScriptName, (typeof SCRIPTS)[ScriptName]]>) {
      // No fixed numberOfKeys: each call says how many keys it passes, as FCALL does (some scripts take more keys
      // than their fixed ones).
      redis.defineCommand(name, { lua: script.lua });
      for (const command of [name, `${name}Buffer`]) {
        const caller = (redis as unknown as Record<string, ScriptCaller>)[command];
        if (!caller) throw new Error(`script ${command} was not registered`);
        this.callers.set(command, caller.bind(redis));
      }
    }
  }

  /**
   * Runs a script; `keys` must hold exactly the script's fixed keys, followed by further keys only where the script
   * declares them (`KEYS[n..]` in its header). Bulk replies come back as strings.
   */
  run(name: ScriptName, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<ScriptReply> {
    return this.invoke(name, keys, args, false) as Promise<ScriptReply>;
  }

  /** As {@link run}, with bulk replies as Buffers: for scripts that return binary (a packed task). */
  runBinary(name: ScriptName, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<BinaryScriptReply> {
    return this.invoke(name, keys, args, true) as Promise<BinaryScriptReply>;
  }

  private async invoke(name: ScriptName, keys: readonly string[], args: ReadonlyArray<string | number>, binary: boolean): Promise<unknown> {
    const script = SCRIPTS[name];
    if (script.moreKeys ? keys.length < script.numberOfKeys : keys.length !== script.numberOfKeys) {
      throw new Error(`script ${name} takes ${script.numberOfKeys}${script.moreKeys ? " or more" : ""} keys (got ${keys.length})`);
    }
    if (this.functions) {
      const call = () =>
        binary
          ? this.redis.callBuffer("FCALL", script.functionName, keys.length, ...keys, ...args)
          : this.redis.call("FCALL", script.functionName, keys.length, ...keys, ...args);
      try {
        return await call();
      } catch (error) {
        const message = (error as Error).message;
        if (/Function not found/i.test(message)) {
          try {
            await this.loadLibrary();
            return await call();
          } catch (loadError) {
            // A managed Redis may refuse FUNCTION LOAD to this user (NOPERM): scripts still run with EVALSHA.
            if (!/NOPERM|unknown command/i.test((loadError as Error).message)) throw loadError;
            this.functions = false;
          }
        } else if (/unknown command/i.test(message)) {
          this.functions = false; // Redis before 7
        } else {
          throw error;
        }
      }
    }
    return this.callers.get(binary ? `${name}Buffer` : name)!(keys.length, ...keys, ...args);
  }

  /** Loads the library on every master (one node, or each master of a Cluster); concurrent callers share one load. */
  private loadLibrary(): Promise<void> {
    this.loading ??= (async () => {
      const nodes = this.redis instanceof Cluster ? this.redis.nodes("master") : [this.redis];
      await Promise.all(
        nodes.map(async (node) => {
          try {
            await node.call("FUNCTION", "LOAD", LIBRARY.code);
          } catch (error) {
            // Another process loaded the same library (same code, same name) first.
            if (!/already exists/i.test((error as Error).message)) throw error;
          }
        }),
      );
    })().finally(() => (this.loading = undefined));
    return this.loading;
  }
}
