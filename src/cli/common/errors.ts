/**
 * Exit codes and the one place errors become a line on stderr. Every command throws; `main.ts` (and the loop
 * command) hand the error to {@link reportError}, which prints one clear line naming what to fix, never a stack
 * trace (set LABTASKER_DEBUG=1 to get one), and returns the exit code. Errors are matched with `instanceof`.
 *
 * The codes follow labtasker v1 where v1 has one: 255 for a missing configuration (`typer.Exit(-1)`), 2 for bad
 * flags and values (click's usage errors), 1 for everything the server refuses and for an aborted confirmation.
 */
import {
  AuthError,
  InvalidStateTransitionError,
  LabtaskerError,
  QueueExistsError,
  UpdateFailedError,
  ValidationError,
  type ValidationIssue,
} from "../../core/errors.js";
import { ConfigError } from "../../config/connect.js";
import { FilterError } from "../../filter/errors.js";
import { isUnreachable } from "../../core/transient.js";

/** The exit codes of every command, documented in docs/cli.md. */
export const EXIT = {
  /** Done. */
  OK: 0,
  /** The server (or Redis) refused or failed the operation, or a confirmation was declined. */
  FAILURE: 1,
  /** Bad flags or values: an unknown option, a filter that does not parse, a value the API rejects as invalid. */
  USAGE: 2,
  /** Interrupted with Ctrl+C (128 + SIGINT). */
  INTERRUPTED: 130,
  /** No usable configuration (run `labtasker init`); `health` also uses it when the server is unreachable, as v1. */
  CONFIG: 255,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the CLI raises itself, with the message to print and the exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT.FAILURE,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A flag or value the user has to change (exit 2). */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT.USAGE);
  }
}

/** The user declined a confirmation (exit 1, as v1's `typer.Abort`). */
export class AbortedError extends CliError {
  constructor(message = "Aborted.") {
    super(message, EXIT.FAILURE);
  }
}

/**
 * A validation issue as v1's CLI words it, `field: message`, without FastAPI's `body`/`query` prefix or the index of
 * the item in a batch (the same problem on 1,000 tasks is one line).
 */
function issueText(issue: ValidationIssue): string {
  const loc = issue.loc.filter((part, index) => !(index === 0 && (part === "body" || part === "query")) && typeof part !== "number");
  return loc.length > 0 ? `${loc.join(".")}: ${issue.msg}` : issue.msg;
}

/** The message and exit code for any error a command can raise. */
export function describeError(error: unknown): { message: string; exitCode: ExitCode } {
  if (error instanceof CliError) return { message: `Error: ${error.message}`, exitCode: error.exitCode };
  if (error instanceof ConfigError) return { message: `Error: ${error.message}`, exitCode: EXIT.CONFIG };
  if (error instanceof FilterError) return { message: error.format(), exitCode: EXIT.USAGE };
  if (error instanceof ValidationError) {
    const issues = Array.isArray(error.detail) ? [...new Set(error.detail.map(issueText))].join("; ") : String(error.detail);
    return { message: `Error: Invalid value: ${issues}`, exitCode: EXIT.USAGE };
  }
  if (error instanceof AuthError) {
    return {
      message:
        "Error: Either invalid credentials or queue not created. Check queue.queue_name and queue.password " +
        "(`labtasker config`), or create the queue with `labtasker queue create-from-config`. " +
        `Detail: ${error.message}`,
      exitCode: EXIT.FAILURE,
    };
  }
  if (error instanceof QueueExistsError) return { message: "Error: Queue already exists.", exitCode: EXIT.FAILURE };
  if (error instanceof UpdateFailedError) {
    const lines = error.failures.map(([taskId, detail]) => `  ${taskId}: ${detail}`);
    return { message: [`Error: ${error.failures.length} task update(s) failed:`, ...lines].join("\n"), exitCode: EXIT.FAILURE };
  }
  if (error instanceof InvalidStateTransitionError) return { message: `Error: ${error.reason}`, exitCode: EXIT.FAILURE };
  if (isUnreachable(error)) {
    return {
      message: `Error: ${(error as Error).message}. Check endpoint.api_base_url (or redis_url) in your configuration and that the server is running.`,
      exitCode: EXIT.FAILURE,
    };
  }
  if (error instanceof LabtaskerError) return { message: `Error: ${error.message}`, exitCode: EXIT.FAILURE };
  const message = error instanceof Error ? error.message : String(error);
  return { message: `Error: ${message}`, exitCode: EXIT.FAILURE };
}

/** Prints the error (one line, or a filter error with its caret) on stderr and returns the exit code. */
export function reportError(error: unknown): ExitCode {
  const { message, exitCode } = describeError(error);
  process.stderr.write(`${message}\n`);
  if (process.env.LABTASKER_DEBUG && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  return exitCode;
}
