import type { DocumentPredicate, FilterInput } from "./api.js";
import type { FilterEngine } from "./context.js";
import { BadRequestError, LabtaskerError } from "./errors.js";

/** A user filter as a predicate; a filter that does not compile is a 400 whose detail says where and why. */
export function compilePredicate(engine: FilterEngine, filter: FilterInput, kind: "task" | "worker"): DocumentPredicate {
  if (typeof filter === "function") return filter;
  try {
    return engine.compile(filter, kind);
  } catch (error) {
    if (error instanceof LabtaskerError) throw error;
    throw new BadRequestError(`Invalid filter: ${(error as Error).message}`);
  }
}

