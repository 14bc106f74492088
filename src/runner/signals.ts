/**
 * How a loop is told to stop: SIGINT, SIGTERM and SIGHUP (unless `handleSignals` is false) and `options.signal`.
 * The first request aborts `stop` (the job's `signal`; the command gets the same signal); a second one aborts
 * `force` (the job kills what it started) and ends the process by that signal at once, without a report (the task
 * comes back through its heartbeat timeout).
 */
import { constants } from "node:os";
import type { LoopLogger } from "./logger.js";

/** The signals the loop handles; a programmatic stop counts as SIGTERM. */
export type StopSignal = "SIGINT" | "SIGTERM" | "SIGHUP";
const STOP_SIGNALS: readonly StopSignal[] = ["SIGINT", "SIGTERM", "SIGHUP"];

type Listener = (...args: unknown[]) => void;

/**
 * Ends the process by `signal` with its default action (no listener left to intercept it), so a shell running the
 * loop sees it killed by the signal and stops too, as for any program interrupted by Ctrl+C. Where the signal is
 * ignored (a background job of a script ignores SIGINT) the process exits with 128 + the signal number instead.
 */
export function exitBySignal(signal: StopSignal): void {
  process.removeAllListeners(signal);
  process.exitCode = 128 + (constants.signals[signal] ?? 15);
  process.kill(process.pid, signal);
  setImmediate(() => process.exit());
}

/** The stop requests of one loop, from its start to {@link StopRequests.release}. */
export class StopRequests {
  private readonly stopController = new AbortController();
  private readonly forceController = new AbortController();
  /** Aborted by the first request; its reason is the {@link StopSignal}. */
  readonly stop: AbortSignal = this.stopController.signal;
  /** Aborted by a second request, right before the process exits. */
  readonly force: AbortSignal = this.forceController.signal;
  private readonly handlers = new Map<StopSignal, () => void>(STOP_SIGNALS.map((signal) => [signal, () => this.request(signal)]));
  private readonly setAside = new Map<StopSignal, Listener[]>();
  private installed = false;
  private readonly onExternalAbort = () => {
    const reason: unknown = this.external?.reason;
    this.request(STOP_SIGNALS.includes(reason as StopSignal) ? (reason as StopSignal) : "SIGTERM");
  };

  /** Takes the stop signals when `handleSignals`, and listens to `external` (`options.signal`). */
  constructor(
    private readonly log: LoopLogger,
    private readonly handleSignals: boolean,
    private readonly external: AbortSignal | undefined,
  ) {
    if (handleSignals) this.install();
    if (external?.aborted) this.onExternalAbort();
    else external?.addEventListener("abort", this.onExternalAbort, { once: true });
  }

  /** A stop request: the first stops the loop, a second (from a signal) exits at once. */
  request(signal: StopSignal): void {
    if (!this.stop.aborted) {
      this.log.warn(`Received ${signal}: stopping the loop; the running job gets it too (${signal === "SIGINT" ? "Ctrl+C" : signal} again to exit at once).`);
      this.stopController.abort(signal);
      return;
    }
    if (!this.handleSignals) return;
    this.forceController.abort(signal); // synchronous: the job kills what it started before anything else runs
    this.exitAtOnce(signal);
  }

  private exitAtOnce(signal: StopSignal): void {
    this.log.warn(`Received ${signal} again: exiting at once (the task is not reported; its heartbeat timeout returns it to the queue).`);
    if (process.stdin.isTTY) process.stdin.setRawMode(false); // a prompt may have the terminal in raw mode
    exitBySignal(signal);
  }

  // While the loop runs it is the only listener for the stop signals: listeners already there are set aside and put
  // back when it returns. Some would end the process on the first signal, before the task is reported: the CLI's
  // main exits on a second Ctrl+C without letting the job kill its command, and a library in the SDK user's program
  // may re-raise signals once it has run its cleanups (as `when-exit` does).
  private install(): void {
    this.installed = true;
    for (const [signal, handler] of this.handlers) {
      // rawListeners keeps `once` wrappers as they are, so a once-listener put back still fires once.
      this.setAside.set(signal, process.rawListeners(signal) as Listener[]);
      process.removeAllListeners(signal);
      process.on(signal, handler);
    }
  }

  /** Removes the loop's handlers, puts back the listeners set aside and stops listening to `external`. */
  release(): void {
    if (this.installed) {
      this.installed = false;
      for (const [signal, handler] of this.handlers) {
        process.removeListener(signal, handler);
        for (const listener of this.setAside.get(signal) ?? []) process.on(signal, listener);
      }
    }
    this.external?.removeEventListener("abort", this.onExternalAbort);
  }
}
