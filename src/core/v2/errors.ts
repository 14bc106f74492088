/**
 * labtasker v2's errors: each carries the code, HTTP status and message of v2's envelope
 * (`{"error": {"code", "message", "details"}}`), so the HTTP layer maps them one to one. Match on `code` (typed), never
 * on message text.
 */

/** v2's error codes (2.8.0), each with the HTTP status the real server answers. */
export const V2_ERROR_STATUS = {
  unauthorized: 401,
  queue_not_found: 404,
  task_not_found: 404,
  worker_not_found: 404,
  task_id_conflict: 409,
  task_running: 409,
  task_state_conflict: 409,
  update_conflict: 409,
  stale_run: 409,
  run_finalized: 409,
  run_id_conflict: 409,
  queue_not_empty: 409,
  queue_has_running_tasks: 409,
  worker_route_conflict: 409,
  invalid_request: 422,
  invalid_task: 422,
  invalid_task_id: 422,
  invalid_task_name: 422,
  invalid_update: 422,
  invalid_filter: 422,
  filter_too_large: 422,
  invalid_cursor: 422,
  json_too_deep: 422,
  request_too_large: 413,
  // 422, not 413: the request was accepted in size, the stored task would not be (2.8.0 answers 422).
  task_data_too_large: 422,
  database_busy: 503,
} as const;

export type V2ErrorCode = keyof typeof V2_ERROR_STATUS;

export class V2Error extends Error {
  readonly status: number;

  constructor(
    readonly code: V2ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
    status?: number,
  ) {
    super(message);
    this.name = "V2Error";
    this.status = status ?? V2_ERROR_STATUS[code];
  }
}
