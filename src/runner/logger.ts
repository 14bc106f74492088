/**
 * The loop's log lines, on stderr, in labtasker v1's layout (`[time][LEVEL   ] - message`, as its loguru format
 * prints them): stdout stays free for the job's own output. While a task runs they also land in its `run.log`,
 * because that file captures everything written to stderr.
 */

export interface LoopLogger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface StderrLoggerOptions {
  /** Print debug lines too (`-v`). @defaultValue false */
  verbose?: boolean;
  /** Colour the time and level. @defaultValue stderr is a terminal and NO_COLOR is unset */
  color?: boolean;
}

const LEVELS = {
  debug: { name: "DEBUG", color: "34" },
  info: { name: "INFO", color: "1" },
  warn: { name: "WARNING", color: "33;1" },
  error: { name: "ERROR", color: "31;1" },
} as const;

/** Local date and time, zero-padded: `{ day: "2025-07-28", time: "08:31:00", millis: "050" }`. */
export function localTime(date: Date): { day: string; time: string; millis: string } {
  const pad = (value: number, width = 2) => String(value).padStart(width, "0");
  return {
    day: `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`,
    time: `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`,
    millis: pad(date.getMilliseconds(), 3),
  };
}

function stamp(date: Date): string {
  const { day, time, millis } = localTime(date);
  return `${day} ${time}.${millis}`;
}

/** A logger writing v1-style lines to `process.stderr` (looked up at each write, so output capture sees them). */
export function stderrLogger(options: StderrLoggerOptions = {}): LoopLogger {
  const color = options.color ?? (process.stderr.isTTY === true && !process.env.NO_COLOR);
  const write = (level: keyof typeof LEVELS, message: string) => {
    const { name, color: code } = LEVELS[level];
    const time = `[${stamp(new Date())}]`;
    const label = `[${name.padEnd(8)}]`;
    const line = color ? `\u001b[32m${time}\u001b[0m\u001b[${code}m${label}\u001b[0m - ${message}` : `${time}${label} - ${message}`;
    process.stderr.write(`${line}\n`);
  };
  return {
    debug: (message) => {
      if (options.verbose) write("debug", message);
    },
    info: (message) => write("info", message),
    warn: (message) => write("warn", message),
    error: (message) => write("error", message),
  };
}

/** A logger that drops everything (for callers that report progress their own way). */
export const silentLogger: LoopLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
