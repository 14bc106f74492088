/**
 * The leak check (a vitest setup file): a test that leaves a connection, a Redis client, a server, a child process or
 * an interval open fails, naming what it left and where that was created.
 *
 * How: the first time a worker loads this file it wraps the few places where such resources are born (a client
 * socket's `connect`, a server's `listen`, a child's `spawn`, ioredis's `connect`, `setInterval`) to record each one
 * with the stack that created it, and forgets it when it closes. Counting `process.getActiveResourcesInfo()` would
 * miss exactly what matters here: the SDK unrefs its idle Redis sockets and Node's keep-alive agent its idle HTTP
 * sockets, and unref'd handles are not "active". Tracking objects also tells which test created what, so a resource
 * left by one test is not blamed on the next.
 *
 * When: after each test (after the file's own `afterEach` hooks and the test's `await using` disposals), for what that
 * test created; and after each file (after its `afterAll` hooks), for everything the file created, which catches a
 * resource opened in `beforeAll` and never closed. Closing is asynchronous (a socket's FIN, a child's exit), so a
 * resource counts as leaked only if it is still open after a grace period; a clean test pays one scan of a small set.
 * After a failure the leaked resources are closed (children killed), so one leak does not fail the tests after it.
 *
 * Not a leak of the test: an idle keep-alive HTTP socket that a pool (Node's http Agent, or undici behind `fetch`)
 * holds for reuse; it closes with its server, and the file-level check, which allows no pooled socket, covers it.
 * The global redis-server lives in vitest's main process, not in this worker, so it is never seen; the worker's own
 * IPC and stdio handles predate this file and are never tracked.
 *
 * Set LABTASKER_LEAK_CHECK=0 to turn it off.
 */
import { ChildProcess } from "node:child_process";
import { Server, Socket } from "node:net";
import { Cluster, Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, beforeEach, inject } from "vitest";

type Kind = "connection" | "redis" | "server" | "child" | "interval";

interface Tracked {
  kind: Kind;
  /** The test that created it: 0 for the file's hooks and top level. */
  test: number;
  stack: string;
  /** Still open (false once closed; checked again when reporting). */
  open: () => boolean;
  describe: () => string;
  close: () => void;
}

interface Registry {
  items: Map<object, Tracked>;
  /** The running test's number, 0 outside tests. */
  test: number;
  /** Tests started in this worker, so that numbers are never reused. */
  started: number;
}

const REGISTRY = Symbol.for("labtasker.leakCheck");
const PER_TEST_GRACE_MS = 2000;
const PER_FILE_GRACE_MS = 5000;
const root = new URL("../..", import.meta.url).pathname;

/** The frames of the creating stack that are in this project (not node_modules, not Node's internals). */
function projectFrames(stack: string): string {
  const frames = stack
    .split("\n")
    .slice(1)
    .map((line) => line.trim().replace(/^at /, ""))
    .filter((line) => line.includes(root) && !line.includes("/node_modules/") && !line.includes("test/support/leakCheck.ts"))
    .map((line) => line.replace(root, ""));
  if (frames.length === 0) return "(no project frame: created asynchronously inside a library)";
  // The innermost frames say what opened it, the outermost test frame which line of the test did.
  const testFrame = frames.findLast((frame) => /(^|\/)test\/|\.test\.ts/.test(frame));
  const shown = frames.slice(0, 3);
  if (testFrame !== undefined && !shown.includes(testFrame)) shown.push(frames.indexOf(testFrame) > 3 ? `... <- ${testFrame}` : testFrame);
  return shown.join(" <- ");
}

function captureStack(): string {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 40;
  const stack = new Error().stack ?? "";
  Error.stackTraceLimit = limit;
  return stack;
}

function install(): Registry {
  const registry: Registry = { items: new Map(), test: 0, started: 0 };
  /** Records `target`; false when it already is (a socket connecting again, a client reconnecting). */
  const track = (target: object, item: Omit<Tracked, "test" | "stack">, stack = captureStack()): boolean => {
    if (registry.items.has(target)) return false;
    registry.items.set(target, { ...item, test: registry.test, stack });
    return true;
  };
  const forget = (target: object) => registry.items.delete(target);

  const socketConnect = Socket.prototype.connect;
  Socket.prototype.connect = function (this: Socket, ...args: unknown[]) {
    const added = track(this, {
      kind: "connection",
      open: () => !this.destroyed,
      describe: () => `a connection to ${this.remoteAddress ?? "?"}:${this.remotePort ?? "?"}${this.remotePort === redisPort() ? " (the test redis-server)" : ""}`,
      close: () => this.destroy(),
    });
    if (added) this.once("close", () => forget(this));
    return (socketConnect as (...a: unknown[]) => Socket).apply(this, args);
  } as typeof Socket.prototype.connect;

  const serverListen = Server.prototype.listen;
  Server.prototype.listen = function (this: Server, ...args: unknown[]) {
    const added = track(this, {
      kind: "server",
      open: () => this.listening,
      describe: () => {
        const address = this.address();
        return `a server listening on ${typeof address === "string" ? address : `${address?.address}:${address?.port}`}`;
      },
      close: () => {
        (this as Server & { closeAllConnections?: () => void }).closeAllConnections?.();
        this.close();
      },
    });
    if (added) this.once("close", () => forget(this));
    return (serverListen as (...a: unknown[]) => Server).apply(this, args);
  } as typeof Server.prototype.listen;

  // Every asynchronous spawn (spawn, exec, execFile, fork) goes through this method; Node's types leave it out.
  const childPrototype = ChildProcess.prototype as ChildProcess & { spawn: (...args: unknown[]) => unknown };
  const childSpawn = childPrototype.spawn;
  childPrototype.spawn = function (this: ChildProcess, ...args: unknown[]) {
    // A spawn that failed (no such binary) has no pid and never exits.
    const running = () => this.pid !== undefined && this.exitCode === null && this.signalCode === null;
    track(this, {
      kind: "child",
      open: running,
      describe: () => `child process ${this.pid ?? "?"} (${this.spawnargs.join(" ").slice(0, 160)})`,
      close: () => void this.kill("SIGKILL"),
    });
    this.once("exit", () => forget(this));
    return childSpawn.apply(this, args);
  };

  for (const Client of [Redis, Cluster] as Array<typeof Redis | typeof Cluster>) {
    const redisConnect = Client.prototype.connect;
    Client.prototype.connect = function (this: Redis | Cluster, ...args: unknown[]) {
      track(this, {
        kind: "redis",
        // A Cluster disconnected before its first "ready" can stay at "close" once its pool has drained: closed.
        open: () => this.status !== "end" && !(this instanceof Cluster && this.status === "close" && this.nodes().length === 0),
        describe: () => {
          const { host, port } = (this as Redis).options ?? {};
          const target = this instanceof Cluster ? "a cluster" : `${host ?? "?"}:${port ?? "?"}${port === redisPort() ? " (the test redis-server)" : ""}`;
          return `an ioredis ${Client.name} connected to ${target} (status ${this.status})`;
        },
        close: () => this.disconnect(),
      });
      return (redisConnect as (...a: unknown[]) => Promise<void>).apply(this, args);
    };
  }

  // Intervals from this project's code only: libraries and vitest keep timers of their own.
  const realSetInterval = globalThis.setInterval;
  const realClearInterval = globalThis.clearInterval;
  const realClearTimeout = globalThis.clearTimeout;
  globalThis.setInterval = function (...args: Parameters<typeof setInterval>) {
    const timer = realSetInterval(...args);
    const stack = captureStack();
    if (projectFrames(stack).startsWith("(")) return timer;
    const cleared = () => (timer as NodeJS.Timeout & { _destroyed?: boolean })._destroyed === true;
    track(timer, { kind: "interval", open: () => !cleared(), describe: () => "an interval never cleared", close: () => realClearInterval(timer) }, stack);
    return timer;
  } as typeof setInterval;
  globalThis.clearInterval = function (timer: Parameters<typeof clearInterval>[0]) {
    if (timer && typeof timer === "object") forget(timer);
    return realClearInterval(timer);
  } as typeof clearInterval;
  globalThis.clearTimeout = function (timer: Parameters<typeof clearTimeout>[0]) {
    if (timer && typeof timer === "object") forget(timer);
    return realClearTimeout(timer);
  } as typeof clearTimeout;

  return registry;
}

let cachedRedisPort: number | null | undefined;
function redisPort(): number | null {
  if (cachedRedisPort === undefined) {
    try {
      cachedRedisPort = Number(new URL(inject("redisUrl")).port) || null;
    } catch {
      cachedRedisPort = null;
    }
  }
  return cachedRedisPort;
}

/** Symbol-keyed fields of undici's sockets (Node's fetch), found by their descriptions. */
function symbolField(target: object, description: string): unknown {
  const key = Object.getOwnPropertySymbols(target).find((symbol) => symbol.description === description);
  return key === undefined ? undefined : (target as Record<symbol, unknown>)[key];
}

/** A keep-alive HTTP client socket that its pool holds idle for reuse: it closes with its server, not with the test. */
function pooled(target: object, item: Tracked): boolean {
  if (item.kind !== "connection") return false;
  const socket = target as Socket & { _httpMessage?: unknown };
  if (socket.listenerCount("agentRemove") > 0 && !socket._httpMessage) return true; // idle in a node:http Agent
  return symbolField(socket, "client") !== undefined && symbolField(socket, "no ref") === true; // idle in undici (fetch)
}

function leaks(registry: Registry, scope: "test" | "file"): Array<[object, Tracked]> {
  // An ioredis client connects from a later tick (so its socket may be born in the test after the one that made the
  // client) and reconnects with new sockets: its sockets are judged, and reported, as the client.
  const redisStreams = new Set<unknown>();
  for (const [target, item] of registry.items) if (item.kind === "redis") redisStreams.add((target as Redis).stream);
  const found: Array<[object, Tracked]> = [];
  for (const [target, item] of registry.items) {
    if (!item.open()) {
      registry.items.delete(target);
      continue;
    }
    if (redisStreams.has(target)) continue;
    if (scope === "test" && (item.test !== registry.test || pooled(target, item))) continue;
    found.push([target, item]);
  }
  return found;
}

async function check(registry: Registry, scope: "test" | "file"): Promise<void> {
  const deadline = Date.now() + (scope === "test" ? PER_TEST_GRACE_MS : PER_FILE_GRACE_MS);
  let found = leaks(registry, scope);
  while (found.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    found = leaks(registry, scope);
  }
  if (found.length === 0) return;
  const lines = found.map(([, item]) => `  - ${item.describe()}, created at ${projectFrames(item.stack)}`);
  for (const [target, item] of found) {
    registry.items.delete(target);
    try {
      item.close();
    } catch {
      // closing is best effort; the failure below is what matters
    }
  }
  const where = scope === "test" ? "This test" : "This file (its hooks or tests)";
  throw new Error(`${where} left ${found.length} resource(s) open:\n${lines.join("\n")}`);
}

if (process.env.LABTASKER_LEAK_CHECK !== "0") {
  const holder = globalThis as { [REGISTRY]?: Registry };
  const registry = (holder[REGISTRY] ??= install());

  beforeAll(() => {
    // A worker that runs several files keeps its registry; what an earlier file left was reported there.
    registry.items.clear();
    registry.test = 0;
  });
  beforeEach(() => {
    registry.test = ++registry.started;
  });
  afterEach(async () => {
    await check(registry, "test");
    registry.test = 0; // what the file's later hooks create belongs to the file
  });
  afterAll(async () => {
    await check(registry, "file");
  });
}
