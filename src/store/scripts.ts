import type { RedisConnection } from "./connection.js";
import { SCRIPTS, type ScriptName } from "./scripts.generated.js";

/** A script's reply: its status code first (see scriptCodes.ts), then its data. */
export type ScriptReply = [number, ...Array<string | number>];

type ScriptCaller = (...keysAndArgs: Array<string | number>) => Promise<unknown>;

/**
 * Runs the Lua scripts of lua/ by name. Each is registered once with ioredis `defineCommand`, which sends EVALSHA and
 * falls back to EVAL when the server answers NOSCRIPT (after a restart or SCRIPT FLUSH). Scripts are never sent inside
 * MULTI, where ioredis could not reload a flushed script.
 */
export class ScriptRunner {
  private readonly callers = new Map<ScriptName, ScriptCaller>();

  constructor(private readonly redis: RedisConnection) {
    for (const [name, script] of Object.entries(SCRIPTS) as Array<[ScriptName, (typeof SCRIPTS)[ScriptName]]>) {
      redis.defineCommand(name, { numberOfKeys: script.numberOfKeys, lua: script.lua });
      const caller = (redis as unknown as Record<string, ScriptCaller>)[name];
      if (!caller) throw new Error(`script ${name} was not registered`);
      this.callers.set(name, caller.bind(redis));
    }
  }

  /** Runs a script; `keys` must hold exactly the script's declared number of keys. */
  async run(name: ScriptName, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<ScriptReply> {
    const expected = SCRIPTS[name].numberOfKeys;
    if (keys.length !== expected) throw new Error(`script ${name} takes ${expected} keys (got ${keys.length})`);
    const caller = this.callers.get(name)!;
    return (await caller(...keys, ...args)) as ScriptReply;
  }
}
