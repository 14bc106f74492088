/**
 * The errors of the labtasker API. Each carries the HTTP status and `detail` labtasker v1 answers with for the same
 * condition, so the HTTP layer maps them one to one and the client turns responses back into the same classes.
 * Match them with `instanceof`, never on message text.
 */
import { pythonStrRepr } from "./python.js";

/** One problem in a request, in the shape of FastAPI's validation errors (`loc`, `msg`, `type`, `input`). */
export interface ValidationIssue {
  loc: Array<string | number>;
  msg: string;
  type: string;
  input?: unknown;
}

export class LabtaskerError extends Error {
  /** The HTTP status labtasker v1 uses for this condition. */
  readonly status: number;
  /** The `detail` of v1's error body: a message, or a list of validation issues. */
  readonly detail: string | ValidationIssue[];

  constructor(status: number, detail: string | ValidationIssue[], message?: string) {
    super(message ?? (typeof detail === "string" ? detail : formatIssues(detail)));
    this.name = new.target.name;
    this.status = status;
    this.detail = detail;
  }
}

function formatIssues(issues: ValidationIssue[]): string {
  return issues.map((issue) => `${issue.loc.join(".")}: ${issue.msg}`).join("; ");
}

/** A request that does not fit the schema (HTTP 422), or a value the server refuses (400 with a list). */
export class ValidationError extends LabtaskerError {
  constructor(issues: ValidationIssue[], status = 422) {
    super(status, issues);
  }
}

/** A request the server refuses with a message (HTTP 400). */
export class BadRequestError extends LabtaskerError {
  constructor(detail: string) {
    super(400, detail);
  }
}

/** Missing or wrong queue credentials (HTTP 401); the message never says which part was wrong. */
export class AuthError extends LabtaskerError {
  constructor(detail: "Invalid credentials" | "Not authenticated" = "Invalid credentials") {
    super(401, detail);
  }
}

export class QueueExistsError extends LabtaskerError {
  constructor(readonly queueName: string) {
    super(409, `Queue '${queueName}' already exists`);
  }
}

/** Renaming a queue to a name that is taken (v1 answers 400 here, not 409). */
export class QueueNameTakenError extends LabtaskerError {
  constructor(readonly queueName: string) {
    super(400, `Queue name '${queueName}' already exists`);
  }
}

export class QueueNotFoundError extends LabtaskerError {
  constructor() {
    super(404, "Queue not found");
  }
}

/**
 * A queue stored by an earlier version of this server, in another layout of Redis keys, not yet migrated (503: an
 * operator's fix; a loop waits and tries again).
 */
export class QueueLayoutError extends LabtaskerError {
  constructor(readonly queueId: string) {
    super(
      503,
      `Queue ${queueId} is stored in the Redis layout of an earlier labtasker-redis (or is being migrated): stop the ` +
        "servers of that version and start `labtasker-server serve` of this one on this Redis: it migrates every queue at start",
    );
  }
}

export class TaskNotFoundError extends LabtaskerError {
  constructor(
    readonly taskId: string,
    detail = "Task not found",
  ) {
    super(404, detail);
  }
}

export class WorkerNotFoundError extends LabtaskerError {
  constructor(
    readonly workerId: string,
    detail = "Worker not found",
  ) {
    super(404, detail);
  }
}

/** Fetch by a worker that is suspended or crashed (HTTP 403); the Python client maps it to WorkerSuspended. */
export class WorkerSuspendedError extends LabtaskerError {
  constructor(
    readonly workerId: string,
    readonly workerStatus: string,
    queueId: string,
  ) {
    super(403, `Worker '${workerId}' is ${workerStatus} in queue '${queueId}'`);
  }
}

/** A report or heartbeat from a worker that no longer holds the task (409 on report, 403 on heartbeat). */
export class WorkerMismatchError extends LabtaskerError {
  constructor(
    readonly taskId: string,
    readonly holderId: string | null,
    status: 403 | 409,
    detail: string,
  ) {
    super(status, detail);
  }
}

/** A transition the task or worker state machine forbids (v1: 400 with detail "500: InvalidStateTransition: ..."). */
export class InvalidStateTransitionError extends LabtaskerError {
  constructor(
    readonly reason: string,
    detail = `500: InvalidStateTransition: ${reason}.`,
  ) {
    super(400, detail);
  }
}

/** Heartbeat for a task that is missing or not running (404), or whose worker is gone or inactive (404). */
export class TaskNotRunningError extends LabtaskerError {
  constructor(detail: string) {
    super(404, detail);
  }
}

/** A submit under a client-chosen id that names a task of another definition (HTTP 409; an extension, docs/tasks.md). */
export class TaskIdConflictError extends LabtaskerError {
  constructor(readonly taskId: string, detail = `Task ${taskId} exists with another definition`) {
    super(409, detail);
  }
}

/** Some of a batch of task updates failed (v1: 400 listing each failure). */
export class UpdateFailedError extends LabtaskerError {
  constructor(
    readonly failures: Array<[taskId: string, detail: string]>,
    total: number,
    /**
     * Whether the batch's other updates were applied: labtasker v1's server applies them; our server and direct mode
     * apply a batch whole or not at all (GET / lists "atomic-update").
     * @defaultValue true
     */
    readonly othersApplied = true,
  ) {
    super(400, `Failed to update ${failures.length}/${total} tasks. Detail: ${pythonListRepr(failures)}`);
  }
}

/** Python's repr of a list of (str, str) tuples, as v1 writes its update failures. */
function pythonListRepr(pairs: Array<[string, string]>): string {
  return `[${pairs.map(([a, b]) => `(${pythonStrRepr(a)}, ${pythonStrRepr(b)})`).join(", ")}]`;
}
