/**
 * A client never keeps the process alive on its own, so a script that submits tasks ends when its work is done,
 * without a `close()` (as a Python script using labtasker does). Over HTTP that holds already: Node's keep-alive
 * agent unrefs idle sockets. In direct mode the Redis connection is an open socket, which would keep a finished
 * script running forever; {@link IdleGuard} unrefs it while no call is in flight and refs it again for each call.
 *
 * While Redis is unreachable ioredis keeps reconnect timers of its own, which do keep the process alive.
 */

/** Something that can hold the process open: a socket, a timer. */
export interface Handle {
  ref(): unknown;
  unref(): unknown;
}

/** Counts calls in flight; the handles are held (ref) while any runs and released (unref) when none does. */
export class IdleGuard {
  private busy = 0;

  constructor(private readonly handles: () => Handle[] = () => []) {}

  /** Whether a call is in flight (sockets that open meanwhile must stay referenced). */
  get active(): boolean {
    return this.busy > 0;
  }

  enter(): void {
    if (this.busy++ === 0) for (const handle of this.handles()) handle.ref();
  }

  leave(): void {
    if (--this.busy === 0) for (const handle of this.handles()) handle.unref();
  }

  /** Runs `fn` as a call in flight. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    this.enter();
    try {
      return await fn();
    } finally {
      this.leave();
    }
  }

  /** The same items as `source`, each `next()` counted as a call in flight, so waiting for the next item holds the process. */
  async *iterate<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
    const iterator = source[Symbol.asyncIterator]();
    try {
      for (;;) {
        const step = await this.run(() => iterator.next());
        if (step.done) return;
        yield step.value;
      }
    } finally {
      await iterator.return?.();
    }
  }
}

/** The shape of an ioredis connection this module needs (ioredis itself is loaded only in direct mode). */
interface RedisLike {
  stream?: Handle;
  nodes?: () => RedisLike[];
  on(event: string, listener: (...args: unknown[]) => void): unknown;
}

/**
 * An {@link IdleGuard} over the sockets of an ioredis connection (a single instance, or each node of a Cluster),
 * releasing each new socket as it connects when no call is in flight.
 */
export function redisIdleGuard(redis: RedisLike): IdleGuard {
  const sockets = (): Handle[] => {
    if (typeof redis.nodes === "function") return redis.nodes().flatMap((node) => (node.stream ? [node.stream] : []));
    return redis.stream ? [redis.stream] : [];
  };
  const guard = new IdleGuard(sockets);
  const release = () => {
    if (!guard.active) for (const socket of sockets()) socket.unref();
  };
  redis.on("connect", release);
  redis.on("ready", release);
  release();
  return guard;
}
