import { FilterError } from "../filter/errors.js";
import type { DocumentPredicate, FilterInput } from "../core/api.js";
import type { FilterEngine } from "./context.js";
import { BadRequestError, LabtaskerError } from "../core/errors.js";

/**
 * A user filter as a predicate; a filter that does not compile is a 400 whose detail says where and why, and so is
 * one stopped by a guard rail while it runs (a JSONata expression over its time, depth or sequence limit).
 */
export function compilePredicate(engine: FilterEngine, filter: FilterInput, kind: "task" | "worker"): DocumentPredicate {
  if (typeof filter === "function") return filter;
  let predicate: DocumentPredicate;
  try {
    predicate = engine.compile(filter, kind);
  } catch (error) {
    if (error instanceof LabtaskerError) throw error;
    throw new BadRequestError(`Invalid filter: ${(error as Error).message}`);
  }
  const refuse = (error: unknown): never => {
    if (error instanceof FilterError) throw new BadRequestError(`Invalid filter: ${error.message}`);
    throw error;
  };
  return (document) => {
    try {
      const result = predicate(document);
      return result instanceof Promise ? result.catch(refuse) : result;
    } catch (error) {
      return refuse(error);
    }
  };
}
