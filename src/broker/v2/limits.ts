/** v2's page sizes when none is asked for (2.8.0's defaults; the HTTP layer checks 1..1000). */
export const DEFAULT_PAGE_LIMIT = 100;
export const DEFAULT_GROUP_LIMIT = 100;
