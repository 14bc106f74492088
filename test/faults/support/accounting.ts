/**
 * The invariant every scenario ends with: every submitted task is accounted for, none completed twice, none lost.
 *
 * Three independent records are cross-checked:
 * - the server's final state (every task, through the API);
 * - the queue's event stream, read over SSE for the whole scenario (gap-free by sequence number): per task, the walk
 *   through the state machine (`pending -> running` claims, `running -> pending` timeouts, `running -> success`);
 * - the jobs' ledger (./ledger.ts): which runs started and which got to their end, by which loop.
 */
import { Redis } from "ioredis";
import type { HttpLabtasker } from "../../../src/client/labtasker.js";
import { KeyBuilder } from "../../../src/store/keys.js";
import type { QueueEvent, Task } from "../../../src/core/model.js";
import type { LedgerLine } from "./ledger.js";

/** Reads a queue's events over SSE into memory until stopped; reconnects (with Last-Event-ID) through any failure. */
export class EventCollector {
  readonly events: QueueEvent[] = [];
  /** Errors that ended a subscription (each followed by a resubscription). */
  readonly errors: string[] = [];
  private readonly controller = new AbortController();
  private readonly done: Promise<void>;
  private connected = false;

  constructor(private readonly client: HttpLabtasker) {
    this.done = this.run();
  }

  /** How many distinct tasks the events have shown reaching `success`. */
  succeeded(): number {
    return new Set(this.events.filter((e) => e.entityType === "task" && e.newState === "success").map((e) => e.entityId)).size;
  }

  private async run(): Promise<void> {
    while (!this.controller.signal.aborted) {
      try {
        const last = this.events.at(-1)?.sequence ?? 0;
        this.connected = true;
        for await (const event of this.client.events({ afterSequence: last, signal: this.controller.signal })) this.events.push(event);
      } catch (error) {
        if (this.controller.signal.aborted) return;
        this.errors.push((error as Error).message);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  /** Resolves once the newest event has at least this sequence number. */
  async caughtUp(sequence: number, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((this.events.at(-1)?.sequence ?? 0) < sequence) {
      if (Date.now() > deadline) throw new Error(`SSE collector stuck at event ${this.events.at(-1)?.sequence ?? 0} of ${sequence} (connected: ${this.connected}; errors: ${this.errors.join(" | ")})`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async stop(): Promise<void> {
    this.controller.abort();
    await this.done;
  }
}

/** Every task of the queue, oldest first, through the HTTP API. */
export async function allTasks(client: HttpLabtasker): Promise<Task[]> {
  const tasks: Task[] = [];
  for (let offset = 0; ; offset += 1000) {
    const page = await client.lsTasks({ limit: 1000, offset, sort: [["created_at", 1]] });
    tasks.push(...page.content);
    if (page.content.length < 1000) return tasks;
  }
}

export interface AccountingInput {
  /** Ids of every acknowledged submit. */
  submitted: string[];
  /** The server's final state. */
  tasks: Task[];
  /** Every event of the queue, in order. */
  events: QueueEvent[];
  ledger?: LedgerLine[];
  /** Worker ids of loops that were killed (SIGKILL) or frozen past their heartbeat timeout. */
  disturbedWorkers?: Set<string>;
  /** When false, the ledger has no `start` lines (the light job). @defaultValue true */
  ledgerHasStarts?: boolean;
  /**
   * Tasks nobody acknowledged that a submitter did try to submit (its request failed without an answer): stored
   * without the acknowledgement arriving, they are real tasks and must succeed too, but are not "unexpected".
   */
  maybeSubmitted?: (task: Task) => boolean;
}

export interface Figures {
  tasks: number;
  /** `pending -> running` transitions. */
  claims: number;
  /** Claims that ended by a timeout (`running -> pending`), i.e. retries charged. */
  timeouts: number;
  /**
   * Claims whose run never started (ledger with start lines only): the claim was written but its answer was lost in
   * a crash, so nobody ran it and it came back after its heartbeat timeout.
   */
  claimsNeverRun: number;
  /** Tasks not in `success` at the end, or missing. */
  lost: number;
  /** Tasks with more than one `running -> success`. */
  duplicateCompletions: number;
  /** A claim of a task that was not pending (two workers holding it at once). */
  doubleClaims: number;
  /** Runs that got to their end again after an earlier complete run of the same task (a killed or frozen loop's). */
  rerunsAfterComplete: number;
  /** Tasks on the server that nobody submitted (a submit applied twice). */
  unexpectedTasks: number;
  /** Tasks stored although their submit request failed (see {@link AccountingInput.maybeSubmitted}). */
  storedWithoutAck: number;
}

export interface Accounting {
  figures: Figures;
  violations: string[];
}

/** Cross-checks the three records; `violations` lists every broken promise (at most 20 examples of each). */
export function account(input: AccountingInput): Accounting {
  const violations: string[] = [];
  const examples = new Map<string, number>();
  const violation = (kind: string, text: string) => {
    const count = (examples.get(kind) ?? 0) + 1;
    examples.set(kind, count);
    if (count <= 20) violations.push(`${kind}: ${text}`);
    else if (count === 21) violations.push(`${kind}: ... (more)`);
  };

  // 1. The event stream has no gap.
  const { events } = input;
  for (let i = 0; i < events.length; i++) {
    const expected = i === 0 ? 1 : events[i - 1]!.sequence + 1;
    if (events[i]!.sequence !== expected) violation("event gap", `expected sequence ${expected}, got ${events[i]!.sequence}`);
  }

  // 2. Per task: the walk through the state machine.
  interface Walk {
    state: string;
    claims: number;
    timeouts: number;
    successes: number;
    claimWorkers: string[];
    successWorker: string | null;
  }
  const walks = new Map<string, Walk>();
  let doubleClaims = 0;
  for (const event of events) {
    if (event.entityType !== "task") continue;
    let walk = walks.get(event.entityId);
    if (!walk) {
      walk = { state: "created", claims: 0, timeouts: 0, successes: 0, claimWorkers: [], successWorker: null };
      walks.set(event.entityId, walk);
    }
    if (event.oldState !== walk.state) violation("event order", `task ${event.entityId}: ${event.oldState} -> ${event.newState} while it was ${walk.state} (seq ${event.sequence})`);
    if (event.oldState === "pending" && event.newState === "running") {
      if (walk.state === "running") doubleClaims += 1;
      walk.claims += 1;
      walk.claimWorkers.push(String(event.entityData.worker_id ?? ""));
    }
    if (event.oldState === "running" && event.newState === "pending") walk.timeouts += 1;
    if (event.newState === "success") {
      walk.successes += 1;
      // v1 clears worker_id when a task finishes: the winner is the holder of the latest claim.
      walk.successWorker = walk.claimWorkers.at(-1) ?? null;
    }
    walk.state = event.newState;
  }
  if (doubleClaims > 0) violation("double claim", `${doubleClaims} claims of tasks that were already running`);

  // 3. The final state: every submitted task succeeded, exactly once, with v1's retry count.
  const acked = new Set(input.submitted);
  if (acked.size !== input.submitted.length) violation("submit", `${input.submitted.length - acked.size} ids acknowledged twice`);
  const withoutAck = input.tasks.filter((task) => !acked.has(task.taskId) && input.maybeSubmitted?.(task));
  const submitted = new Set([...acked, ...withoutAck.map((task) => task.taskId)]);
  const byId = new Map(input.tasks.map((task) => [task.taskId, task]));
  // A submitter's key (args.key) names one submission: two tasks with the same key are one submit stored twice.
  const keys = new Map<string, string>();
  for (const task of input.tasks) {
    const key = (task.args as { key?: unknown }).key;
    if (typeof key !== "string") continue;
    if (keys.has(key)) violation("submitted twice", `tasks ${keys.get(key)} and ${task.taskId} both hold key ${key}`);
    keys.set(key, task.taskId);
  }
  let lost = 0;
  let duplicateCompletions = 0;
  let claims = 0;
  let timeouts = 0;
  for (const id of submitted) {
    const task = byId.get(id);
    const walk = walks.get(id);
    if (!task) {
      lost += 1;
      violation("lost", `task ${id} was acknowledged but is not on the server`);
      continue;
    }
    if (task.status !== "success") {
      lost += 1;
      violation("lost", `task ${id} ended ${task.status} (retries ${task.retries})`);
    }
    if (!walk) {
      violation("events", `task ${id} has no event`);
      continue;
    }
    claims += walk.claims;
    timeouts += walk.timeouts;
    if (walk.successes > 1) {
      duplicateCompletions += 1;
      violation("completed twice", `task ${id} succeeded ${walk.successes} times`);
    }
    if (walk.state !== task.status) violation("events", `task ${id}: events end in ${walk.state}, the server says ${task.status}`);
    // v1 counts one retry per failed attempt: every claim but the successful one timed out.
    if (task.status === "success" && task.retries !== walk.claims - 1) {
      violation("retries", `task ${id}: retries ${task.retries}, but ${walk.claims} claims (${walk.timeouts} timeouts)`);
    }
  }
  const unexpected = input.tasks.filter((task) => !submitted.has(task.taskId));
  for (const task of unexpected) violation("unexpected task", `task ${task.taskId} (${JSON.stringify(task.args)}) was never acknowledged to a submitter`);

  // 4. The ledger: the successful claim's run got to its end; other complete runs belong to killed or frozen loops.
  let rerunsAfterComplete = 0;
  let claimsNeverRun = 0;
  if (input.ledger) {
    const runs = new Map<string, LedgerLine[]>();
    for (const line of input.ledger) {
      const list = runs.get(line.taskId) ?? [];
      list.push(line);
      runs.set(line.taskId, list);
    }
    for (const id of submitted) {
      const lines = runs.get(id) ?? [];
      const done = lines.filter((line) => line.kind === "done");
      const walk = walks.get(id);
      const task = byId.get(id);
      if (done.length === 0) {
        violation("ledger", `task ${id}: no run got to its end`);
        continue;
      }
      if (input.ledgerHasStarts !== false) {
        const starts = lines.filter((line) => line.kind === "start").length;
        if (walk && starts > walk.claims) violation("ledger", `task ${id}: ${starts} runs started for ${walk.claims} claims`);
        if (walk) claimsNeverRun += Math.max(0, walk.claims - starts);
      }
      if (!walk?.successWorker) continue;
      const byWinner = done.filter((line) => line.workerId === walk.successWorker);
      if (byWinner.length === 0) violation("ledger", `task ${id}: the worker that reported success (${walk.successWorker}) has no complete run`);
      if (task && input.ledgerHasStarts !== false && byWinner.every((line) => line.attempt !== task.retries)) {
        violation("ledger", `task ${id}: no complete run of the successful attempt ${task.retries} (${byWinner.map((l) => l.attempt).join(",")})`);
      }
      const extra = done.length - 1;
      if (extra > 0) {
        rerunsAfterComplete += extra;
        const others = done.filter((line) => line !== byWinner.at(-1));
        for (const line of others) {
          if (!input.disturbedWorkers?.has(line.workerId)) {
            violation("run twice", `task ${id}: a complete run by undisturbed worker ${line.workerId} (pid ${line.pid}) besides the successful one`);
          }
        }
      }
    }
  }

  return {
    figures: {
      tasks: acked.size,
      claims,
      timeouts,
      claimsNeverRun,
      lost,
      duplicateCompletions,
      doubleClaims,
      rerunsAfterComplete,
      unexpectedTasks: unexpected.length,
      storedWithoutAck: withoutAck.length,
    },
    violations,
  };
}

/** The queue's newest event sequence number, read from Redis (the queue hash's `event_seq`). */
export async function lastEventSequence(redisUrl: string, queueId: string, keyPrefix = "labtasker"): Promise<number> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
  try {
    return Number((await redis.hget(new KeyBuilder(keyPrefix).queue(queueId), "event_seq")) ?? 0);
  } finally {
    redis.disconnect();
  }
}
