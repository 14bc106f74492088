/**
 * The dashboard's routes as the OpenAPI document describes them (src/http/openapi.ts), and which v1 routes it serves
 * again under `/dashboard` with the session.
 */
import { Type, type TSchema } from "@sinclair/typebox";
import {
  BulkRequest,
  BulkResponse,
  FilterErrorResponse,
  FilterRequest,
  FilterResponse,
  OverviewResponse,
  SessionResponse,
  SignInRequest,
  TaskEventsResponse,
  TaskPageRequest,
  TaskPageResponse,
  TaskPointsRequest,
  TaskPointsResponse,
  ThroughputResponse,
} from "./schemas.js";

export interface DashboardRouteDoc {
  method: "get" | "post" | "put" | "delete";
  path: string;
  summary: string;
  /** `session`: the dashboard's cookie (and, for POST/PUT/DELETE, the X-CSRF-Token header). */
  auth: boolean;
  session?: true;
  body?: TSchema;
  query?: Record<string, { schema: TSchema; description: string }>;
  status: number;
  response?: TSchema;
  contentType?: string;
  /** The body of a 400, where it says more than `detail`. */
  badRequest?: TSchema;
}

const D = "/dashboard/api";

export const DASHBOARD_ROUTES: DashboardRouteDoc[] = [
  { method: "post", path: `${D}/session`, summary: "Dashboard: sign in with a queue's name and password, or the server's v2 token and a queue's name; sets the session cookie (extension; docs/dashboard.md)", auth: false, body: SignInRequest, status: 200, response: SessionResponse },
  { method: "get", path: `${D}/session`, summary: "Dashboard: the session, with its CSRF token (extension)", auth: true, session: true, status: 200, response: SessionResponse },
  { method: "delete", path: `${D}/session`, summary: "Dashboard: sign out (extension)", auth: true, session: true, status: 204 },
  { method: "post", path: `${D}/filter`, summary: "Dashboard: compile a filter of the CLI's language to the Mongo document the API takes; a 400 says where it is wrong (extension)", auth: true, session: true, body: FilterRequest, status: 200, response: FilterResponse, badRequest: FilterErrorResponse },
  { method: "post", path: `${D}/tasks/page`, summary: "Dashboard: a page of tasks and the listing's total (extension)", auth: true, session: true, body: TaskPageRequest, status: 200, response: TaskPageResponse },
  { method: "post", path: `${D}/tasks/points`, summary: "Dashboard: a few fields of each selected task, for plots (extension)", auth: true, session: true, body: TaskPointsRequest, status: 200, response: TaskPointsResponse },
  { method: "post", path: `${D}/tasks/bulk`, summary: "Dashboard: re-queue, cancel, delete or re-prioritize the given tasks or every task a selection matches (extension)", auth: true, session: true, body: BulkRequest, status: 200, response: BulkResponse },
  { method: "get", path: `${D}/tasks/{task_id}/events`, summary: "Dashboard: a task's events that the queue's stream still holds, newest first (extension)", auth: true, session: true, status: 200, response: TaskEventsResponse },
  { method: "get", path: `${D}/overview`, summary: "Dashboard: tasks per status, workers busy, idle, suspended and crashed, the last event's sequence (extension)", auth: true, session: true, status: 200, response: OverviewResponse },
  { method: "get", path: `${D}/throughput`, summary: "Dashboard: tasks finished per minute, from the queue's event stream (extension)", auth: true, session: true, status: 200, response: ThroughputResponse, query: { minutes: { schema: Type.Integer({ minimum: 1, maximum: 1440, default: 60 }), description: "minutes to answer, up to now" } } },
];

/** The v1 routes the dashboard serves again under `/dashboard` with the session: tasks, workers, events, logs. */
export const MIRRORED_V1_PATH = /^\/api\/v1\/queues\/me\/(tasks|workers|events)/;

/** Paths served besides the documented ones: the assets. */
export const DASHBOARD_SERVED_PATHS = [{ method: "get", path: "/dashboard/assets/{name}" }] as const;
