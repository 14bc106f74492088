/**
 * The SDK's own errors. The API's errors (one class per condition labtasker v1 answers with, such as
 * `TaskNotFoundError` or `WorkerSuspendedError`) live in src/core/errors.ts and are re-exported by the package root,
 * as are `FilterError` (src/filter/errors.ts), `ConfigError` (src/config/connect.ts) and `NoTaskError`
 * (src/runner/context.ts). Match every one of them with `instanceof`, never on message text.
 */

/**
 * Options `loop()` cannot work with: a malformed args schema, a bad `requiredFields` entry, a non-positive heartbeat
 * interval, an unparsable `etaMax`, or a second loop started while one runs in this process. Thrown before the
 * queue is touched.
 */
export class LoopOptionsError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * A task's args do not fit the loop's schema: a value is missing, or a built-in converter (`Number`, `String`,
 * `Boolean`) or a nested schema got a value of the wrong kind. Thrown inside the run, so the task is reported
 * failed with this error in its `labtasker_exception` summary (and retried while it has retries left).
 */
export class ArgsError extends Error {
  /** The dotted arg path whose value was refused, e.g. `optimizer.lr`. */
  readonly path: string;

  constructor(path: string, message: string) {
    super(`args.${path}: ${message}`);
    this.name = new.target.name;
    this.path = path;
  }
}
