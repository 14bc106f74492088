/**
 * What one event of a queue's stream sets off: each rule whose condition holds gets a delivery job (id: rule id and
 * event sequence, so an event read twice enqueues once), or, for a digest rule, the event joins the rule's open
 * window, whose closing job sends one message with the count.
 */
import { decodeEvent, taskFilterView, unpackTask, type EventEntry, type Hash } from "../store/codecs.js";
import type { QueueEvent } from "../core/model.js";
import { compileCondition, type Condition } from "./condition.js";
import type { DeliveryJobs } from "./jobs.js";
import { digestItem, messageBody, type MessageKind } from "./messages.js";
import type { NotifyStore, StoredRule, TaskCounts } from "./store.js";

/** What the rules of one queue are matched with. */
export interface QueueContext {
  queueId: string;
  queueName: string;
  rules: StoredRule[];
}

const ACTIVE = new Set(["pending", "running"]);

/** The task inside a task event's entry (the task after the transition, as stored). */
function taskRecordOf(fields: Buffer[]): Hash {
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i]!.toString() === "record") return unpackTask(fields[i + 1]!) ?? {};
  }
  return {};
}

export class Dispatcher {
  /** Compiled conditions by `on` text; a condition that no longer compiles (the language changed) matches nothing. */
  private readonly conditions = new Map<string, Condition | null>();

  constructor(
    private readonly store: NotifyStore,
    private readonly jobs: DeliveryJobs,
    private readonly now: () => number,
    private readonly onError: (error: Error) => void,
  ) {}

  private condition(on: string): Condition | null {
    if (!this.conditions.has(on)) {
      let condition: Condition | null = null;
      try {
        condition = compileCondition(on);
      } catch (error) {
        this.onError(error as Error);
      }
      this.conditions.set(on, condition);
    }
    return this.conditions.get(on)!;
  }

  /** Handles one entry. Throws only when Redis fails, so the entry is read again. */
  async handle(context: QueueContext, entry: EventEntry): Promise<void> {
    if (entry[1].length === 0) return; // trimmed from the stream before it was read
    const { queueId, rules } = context;
    const event = decodeEvent(queueId, entry);
    const isTask = event.entityType === "task";
    let counts: TaskCounts | undefined;
    const readCounts = async () => (counts ??= await this.store.counts(queueId));

    const hasDoneRule = rules.some((rule) => rule.on === "queue-done");
    if (isTask && hasDoneRule && ACTIVE.has(event.newState)) await this.store.clearDone(queueId, event.sequence);
    let done: boolean | undefined;
    const queueDone = async () => (done ??= await this.leftQueueDone(queueId, event, readCounts));
    const document = isTask ? { ...taskFilterView(queueId, event.entityId, taskRecordOf(entry[1])), event: { old_state: event.oldState, new_state: event.newState } } : null;

    for (const rule of rules) {
      const condition = this.condition(rule.on);
      if (condition === null) continue;
      let kind: MessageKind;
      if (condition.kind === "queue-done") {
        if (!(await queueDone())) continue;
        kind = "queue-done";
      } else if (condition.kind === "worker-crashed") {
        if (event.entityType !== "worker" || event.newState !== "crashed") continue;
        kind = "worker-crashed";
      } else {
        if (document === null || !(await this.matches(condition.predicate, document))) continue;
        kind = "event";
      }
      if (rule.digest_seconds !== null) await this.addToDigest(queueId, rule, event);
      else await this.deliverEvent(context, rule, event, kind, await readCounts());
    }
  }

  /**
   * Whether this event is the one after which the queue has no pending or running task: a task left those states,
   * none is left now, and none became pending or running since (the counts are read now, not at the event: when
   * later events were an activation, the queue was not done here). Said once: the first such event of an episode
   * claims it, until a task becomes pending or running again.
   */
  private async leftQueueDone(queueId: string, event: QueueEvent, readCounts: () => Promise<TaskCounts>): Promise<boolean> {
    if (event.entityType !== "task" || !ACTIVE.has(event.oldState) || ACTIVE.has(event.newState)) return false;
    const { pending, running } = await readCounts();
    if (pending + running > 0 || (await this.store.activatedAfter(queueId, event.sequence))) return false;
    return this.store.claimDone(queueId, event.sequence);
  }

  /** A filter that fails while it runs (a JSONata guard rail) matches nothing, and is said once. */
  private async matches(predicate: (document: Record<string, unknown>) => boolean | Promise<boolean>, document: Record<string, unknown>): Promise<boolean> {
    try {
      return await predicate(document);
    } catch (error) {
      this.onError(error as Error);
      return false;
    }
  }

  private async deliverEvent(context: QueueContext, rule: StoredRule, event: QueueEvent, kind: MessageKind, counts: TaskCounts): Promise<void> {
    const deliveryId = `${rule.rule_id}-${event.sequence}`;
    const body = messageBody({
      kind,
      deliveryId,
      rule: { ruleId: rule.rule_id, on: rule.on, format: rule.format },
      queue: { queueId: context.queueId, queueName: context.queueName },
      counts,
      event,
      now: new Date(this.now()),
    });
    await this.jobs.deliver({ type: "deliver", queueId: context.queueId, ruleId: rule.rule_id, deliveryId, kind, body });
  }

  private async addToDigest(queueId: string, rule: StoredRule, event: QueueEvent): Promise<void> {
    const windowMs = Math.round(rule.digest_seconds! * 1000);
    const proposed = `${rule.rule_id}-window-${event.sequence}`;
    const { closerId, remainingMs } = await this.store.addToDigest(queueId, rule.rule_id, event.sequence, JSON.stringify(digestItem(event)), windowMs, proposed);
    // Only the event that opened the window schedules its close; read again (a replica stopped before acknowledging
    // it), it proposes the same id, finds its window, and schedules again: BullMQ keeps one job per id.
    if (closerId === proposed) await this.jobs.closeWindow({ type: "close-window", queueId, ruleId: rule.rule_id }, closerId, remainingMs);
  }
}
