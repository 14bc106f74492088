import { Cluster, Command } from "ioredis";
import type { RedisConnection } from "./connection.js";
import { LIBRARY, SCRIPTS, type ScriptName } from "./scripts.generated.js";

/** A script's reply: its status code first (see scriptCodes.ts), then its data. */
export type ScriptReply = [number, ...Array<string | number>];
/** The same with bulk strings as Buffers. */
export type BinaryScriptReply = [number, ...Array<Buffer | number>];

/** A script's argument: text, a number (sent as its decimal text) or bytes (sent as they are). */
export type ScriptArgument = string | number | Buffer;

type ScriptCaller = (...keysAndArgs: ScriptArgument[]) => Promise<unknown>;

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
  /**
   * Whether an FCALL may go out as a Command built here (see {@link fcall}): not when the connection changes
   * commands on their way (a key prefix of ioredis's own, auto-pipelining) or records each caller's stack, which
   * `call` does and a Command built here would skip.
   */
  private readonly sendsCommands: boolean;

  /** @param options.functions use Redis Functions when the server has them (@defaultValue true) */
  constructor(
    private readonly redis: RedisConnection,
    options: { functions?: boolean } = {},
  ) {
    this.functions = options.functions ?? true;
    const { keyPrefix, enableAutoPipelining, showFriendlyErrorStack } = redis.options;
    this.sendsCommands = !keyPrefix && !enableAutoPipelining && !showFriendlyErrorStack;
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
  run(name: ScriptName, keys: readonly string[], args: ReadonlyArray<ScriptArgument>): Promise<ScriptReply> {
    return this.invoke(name, keys, args, false) as Promise<ScriptReply>;
  }

  /** As {@link run}, with bulk replies as Buffers: for scripts that return binary (a packed task). */
  runBinary(name: ScriptName, keys: readonly string[], args: ReadonlyArray<ScriptArgument>): Promise<BinaryScriptReply> {
    return this.invoke(name, keys, args, true) as Promise<BinaryScriptReply>;
  }

  private async invoke(name: ScriptName, keys: readonly string[], args: ReadonlyArray<ScriptArgument>, binary: boolean): Promise<unknown> {
    const script = SCRIPTS[name];
    if (script.moreKeys ? keys.length < script.numberOfKeys : keys.length !== script.numberOfKeys) {
      throw new Error(`script ${name} takes ${script.numberOfKeys}${script.moreKeys ? " or more" : ""} keys (got ${keys.length})`);
    }
    if (this.functions) {
      try {
        return await this.fcall(script.functionName, keys, args, binary);
      } catch (error) {
        const message = (error as Error).message;
        if (/Function not found/i.test(message)) {
          try {
            await this.loadLibrary();
            return await this.fcall(script.functionName, keys, args, binary);
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

  /**
   * One FCALL. ioredis's `call` copies its arguments twice and flattens them with Array.prototype.flat, which on
   * Node 20 costs 0.1 to 0.2 µs an argument: 3 to 5 µs for a fetch's 27, a tenth of the client's CPU time per task
   * at one worker. The arguments here are flat already, so the Command gets them as they are, as strings.
   */
  private fcall(functionName: string, keys: readonly string[], args: ReadonlyArray<ScriptArgument>, binary: boolean): Promise<unknown> {
    // A Buffer argument (a log chunk's bytes) needs the Command's binary mode, which only its constructor sets.
    if (!this.sendsCommands || args.some((arg) => typeof arg === "object")) {
      return binary
        ? this.redis.callBuffer("FCALL", functionName, keys.length, ...keys, ...args)
        : this.redis.call("FCALL", functionName, keys.length, ...keys, ...args);
    }
    const command = new Command("FCALL", [], { replyEncoding: binary ? null : "utf8" });
    const list: string[] = [functionName, String(keys.length)];
    for (const key of keys) list.push(key);
    for (const arg of args) list.push(typeof arg === "string" ? arg : String(arg));
    command.args = list;
    void this.redis.sendCommand(command);
    return command.promise;
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
