/**
 * Parsers for option values, so a bad value fails at parse time with commander's usage error (exit 2), naming
 * the option and what it takes, in the form `<option> must be <constraint> (got <value>)`.
 */
import { InvalidArgumentError } from "commander";

/** The formats of `task ls` and `worker ls` (here, not in output.ts, so the command table loads no formatter). */
export const LS_FORMATS = ["yaml", "jsonl", "json"] as const;
export type LsFormat = (typeof LS_FORMATS)[number];

export function integer(min = Number.MIN_SAFE_INTEGER) {
  return (text: string): number => {
    const value = Number(text.trim());
    if (text.trim() === "" || !Number.isSafeInteger(value) || value < min) {
      throw new InvalidArgumentError(`must be an integer${min > Number.MIN_SAFE_INTEGER ? ` >= ${min}` : ""} (got ${text})`);
    }
    return value;
  };
}

export function float(min?: number) {
  return (text: string): number => {
    const value = Number(text.trim());
    if (text.trim() === "" || !Number.isFinite(value) || (min !== undefined && value < min)) {
      throw new InvalidArgumentError(`must be a number${min !== undefined ? ` >= ${min}` : ""} (got ${text})`);
    }
    return value;
  };
}

export function oneOf<T extends string>(choices: readonly T[]) {
  return (text: string): T => {
    if (!(choices as readonly string[]).includes(text)) throw new InvalidArgumentError(`must be one of ${choices.join(", ")} (got ${text})`);
    return text as T;
  };
}

/** Collects a repeatable option into a list. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
