import type { FilterEngine } from "../../src/broker/context.js";
import { defaultFilters } from "../../src/broker/defaultFilters.js";

/**
 * The filter engine the benchmarks give the broker: the product's own (the filter language of src/filter). No store
 * benchmark filters or sorts with filter text, so the engine's speed does not enter their figures.
 */
export const benchFilters: FilterEngine = defaultFilters;
