/** The contract between `bench/run.ts` and every `bench/*.bench.ts` module. */

/** One row of the results table. */
export interface BenchResult {
  /** What was measured, e.g. "submit one-by-one". */
  name: string;
  /** Our figure: the median over the repetitions. */
  value: number;
  /** Unit of `value` and `anchorValue`, e.g. "tasks/s", "ms", "B/task". */
  unit: string;
  /** What we are compared with, e.g. "BullMQ queue.add". */
  anchor?: string;
  /** The anchor's figure, measured in the same run on the same Redis (median over the same repetitions). */
  anchorValue?: number;
  /**
   * Ours over the anchor: `value / anchorValue`, or for paired measurements the median of the per-repetition ratios.
   * For throughputs above 1 is better; for times and sizes below 1 is better.
   */
  ratio?: number;
  /** The target, in words, e.g. ">= 1.0x" or "< 1 ms". */
  goal?: string;
  /** Whether the goal is met; absent for informational rows. */
  pass?: boolean;
}

/** What the harness passes to a module's `run`. Every field is optional so a module can also run on its own. */
export interface BenchOptions {
  /** URL of the redis-server the harness started for this run. */
  redisUrl?: string;
  /** Repetitions per figure. @defaultValue 5 */
  repetitions?: number;
  /** Skip the slowest sizes (the 1M pending tasks fixture). @defaultValue false */
  skipLarge?: boolean;
  /** Progress lines go here (stderr), so stdout keeps only the table. */
  log?: (message: string) => void;
}

/** The shape of a `bench/*.bench.ts` module. */
export interface BenchModule {
  run(options?: BenchOptions): Promise<BenchResult[]>;
}
