/**
 * The loop runtime, shared by `labtasker loop` and the SDK's `loop(handler)`: {@link runLoop} fetches, runs and
 * reports tasks; the context helpers ({@link taskInfo}, {@link finish}, {@link currentTaskId},
 * {@link currentWorkerId}) work inside a job and in any process a job starts. See docs/loop.md.
 */
export {
  JobFailedError,
  LoopOptionsError,
  backoffOnInternalError,
  exitBySignal,
  internalErrorDelay,
  nonPendingStatuses,
  runLoop,
  type InternalErrorHandler,
  type LoopJob,
  type LoopJobContext,
  type LoopObserver,
  type LoopOptions,
  type LoopResult,
  type LoopSettings,
  type StopSignal,
} from "./loop.js";
export {
  NoTaskError,
  RUNNER_ENV,
  currentLogDir,
  currentTaskId,
  currentWorkerId,
  finish,
  isEnabled,
  remainingTime,
  taskInfo,
  type FinishOptions,
  type FinishStatus,
} from "./context.js";
export { RUN_FILES, findRunDir, readTaskInfo, runDirName } from "./files.js";
export { DEFAULT_GRACE_SECONDS, JobTimedOutError, TIMED_OUT_EXIT_CODE } from "./deadline.js";
export { stderrLogger, silentLogger, type LoopLogger, type StderrLoggerOptions } from "./logger.js";
export { canPrompt, defaultChoice, processPrompter, terminalPrompter, type Choice, type ChoiceRequest, type Prompter, type PromptStreams } from "./prompt.js";
export { pythonRepr, pythonStr, pythonStrRepr, shellQuote } from "../core/python.js";
