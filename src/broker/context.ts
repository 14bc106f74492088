import type { RedisStore } from "../store/store.js";
import type { DocumentPredicate, FilterInput, SortSpec } from "../core/api.js";

/** Compiles user filters and sort specs over v1-shaped documents (src/filter provides the default). */
export interface FilterEngine {
  /** Throws a FilterError (with a position) for a malformed filter. */
  compile(input: Exclude<FilterInput, DocumentPredicate>, kind: "task" | "worker"): DocumentPredicate;
  compileSort(spec: SortSpec): (a: Record<string, unknown>, b: Record<string, unknown>) => number;
  /**
   * The top-level document fields a filter reads, or null when it may read any: an evaluation over many tasks then
   * builds only those fields of each. Optional: without it, every field is built.
   */
  fieldsOf?(input: Exclude<FilterInput, DocumentPredicate>, kind: "task" | "worker"): ReadonlySet<string> | null;
  /** A sort whose keys are read once a document (src/filter/sort.ts). Optional: without it, `compileSort`. */
  compileSortKeys?(spec: SortSpec): { keysOf(document: object): unknown[]; compare(a: readonly unknown[], b: readonly unknown[]): number };
}

/** Tunables of the broker; see {@link DEFAULT_LIMITS} for the reasons behind each number. */
export interface BrokerLimits {
  /** Tasks per submitTasks script call. */
  submitBatch: number;
  /** Candidates the first fetch script call reads; the head almost always matches, so a few suffice. */
  fetchFirstScan: number;
  /** Candidates each later fetch script call examines for deeper required fields before handing back a cursor. */
  fetchScan: number;
  /** Candidates read per round trip when the broker evaluates an extra filter in Node. */
  filterBatch: number;
  /** Overdue running tasks a fetch or a sweep call expires at most. */
  expireBatch: number;
  /** Tasks or workers read per pipelined round trip when listing. */
  readBatch: number;
  /** Tasks deleted per purgeQueue call. */
  purgeBatch: number;
  /** Optimistic write attempts before giving up on a task that keeps changing. */
  writeAttempts: number;
}

/**
 * 500 tasks a submit call keeps one script under about 10 ms; 64 candidates a scan bounds a fetch's time in Redis
 * while covering the common case of a homogeneous sweep in one call; 100 expirations a call keep a sweep short.
 */
export const DEFAULT_LIMITS: BrokerLimits = {
  submitBatch: 500,
  fetchFirstScan: 4,
  fetchScan: 64,
  filterBatch: 64,
  expireBatch: 100,
  readBatch: 500,
  purgeBatch: 500,
  writeAttempts: 20,
};

/** What every part of the broker shares. */
export interface BrokerContext {
  store: RedisStore;
  /** Milliseconds since the epoch; injected so tests control time. */
  now(): number;
  filters: FilterEngine;
  limits: BrokerLimits;
}
