/**
 * The bodies of notification messages, built once when a delivery is enqueued (every attempt sends the same bytes,
 * under the same signature). Format `json`: one document with the event, the task (or worker) after it, and the
 * queue's counts; its own times are ISO 8601 in UTC with a `Z` (the task keeps v1's naive form). Format `slack`: `{"text": ...}`, what Slack's and Mattermost's incoming webhooks take.
 */
import { stringifyJson, type JsonObject } from "../json.js";
import type { QueueEvent } from "../core/model.js";
import type { NotifyFormat } from "../core/notify.js";
import type { TaskCounts } from "./store.js";

/** What a message is about; `event` is one matching transition. */
export type MessageKind = "event" | "digest" | "queue-done" | "worker-crashed" | "test";

/** One event of a digest, as kept while its window is open. */
export interface DigestItem {
  sequence: number;
  timestamp: string;
  entity_type: string;
  entity_id: string;
  name: string | null;
  old_state: string;
  new_state: string;
}

/** Events listed in a digest message; the count covers all of them. */
export const DIGEST_LISTED = 20;

export interface MessageInput {
  kind: MessageKind;
  deliveryId: string;
  rule: { ruleId: string; on: string; format: NotifyFormat };
  queue: { queueId: string; queueName: string };
  counts: TaskCounts | null;
  event?: QueueEvent;
  digest?: { items: DigestItem[]; windowSeconds: number };
  now: Date;
}

export function digestItem(event: QueueEvent): DigestItem {
  const name = event.entityData[event.entityType === "task" ? "task_name" : "worker_name"];
  return {
    sequence: event.sequence,
    timestamp: event.timestamp.toISOString(),
    entity_type: event.entityType,
    entity_id: event.entityId,
    name: typeof name === "string" ? name : null,
    old_state: event.oldState,
    new_state: event.newState,
  };
}

/** The body to POST. */
export function messageBody(input: MessageInput): string {
  return input.rule.format === "slack" ? JSON.stringify({ text: slackText(input) }) : stringifyJson(jsonDocument(input));
}

function jsonDocument(input: MessageInput): JsonObject {
  const { event } = input;
  return {
    type: input.kind,
    delivery_id: input.deliveryId,
    rule_id: input.rule.ruleId,
    on: input.rule.on,
    queue: { queue_id: input.queue.queueId, queue_name: input.queue.queueName },
    event: event
      ? {
          sequence: event.sequence,
          timestamp: event.timestamp.toISOString(),
          entity_type: event.entityType,
          entity_id: event.entityId,
          old_state: event.oldState,
          new_state: event.newState,
        }
      : null,
    task: event?.entityType === "task" ? event.entityData : null,
    worker: event?.entityType === "worker" ? event.entityData : null,
    counts: input.counts,
    digest: input.digest
      ? { count: input.digest.items.length, window_seconds: input.digest.windowSeconds, events: input.digest.items.slice(0, DIGEST_LISTED) as unknown as JsonObject[] }
      : null,
    created_at: input.now.toISOString(),
  };
}

function countsText(counts: TaskCounts | null): string {
  if (!counts) return "";
  return ` Tasks: ${counts.pending} pending, ${counts.running} running, ${counts.success} success, ${counts.failed} failed, ${counts.cancelled} cancelled.`;
}

function entityText(type: string, id: string, name: string | null): string {
  return `${type} ${id}${name ? ` (${name})` : ""}`;
}

function slackText(input: MessageInput): string {
  const queue = `queue ${input.queue.queueName}`;
  const { event } = input;
  const name = (value: unknown) => (typeof value === "string" ? value : null);
  switch (input.kind) {
    case "test":
      return `labtasker: test message for rule ${input.rule.ruleId} of ${queue} (on: ${input.rule.on}).${countsText(input.counts)}`;
    case "queue-done":
      return `labtasker: ${queue} has no pending or running task left.${countsText(input.counts)}`;
    case "worker-crashed":
      return `labtasker: ${queue}: ${entityText("worker", event!.entityId, name(event!.entityData.worker_name))} crashed.`;
    case "digest": {
      const items = input.digest!.items;
      const last = items[items.length - 1]!;
      return (
        `labtasker: ${queue}: ${items.length} event${items.length === 1 ? "" : "s"} matched "${input.rule.on}" in ${input.digest!.windowSeconds} s ` +
        `(last: ${entityText(last.entity_type, last.entity_id, last.name)} ${last.old_state} -> ${last.new_state}).${countsText(input.counts)}`
      );
    }
    case "event":
      return (
        `labtasker: ${queue}: ${entityText(event!.entityType, event!.entityId, name(event!.entityData.task_name))} ` +
        `${event!.oldState} -> ${event!.newState}.${countsText(input.counts)}`
      );
  }
}
