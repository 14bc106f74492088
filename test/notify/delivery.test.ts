/**
 * Notification rules end to end, over HTTP against `labtasker-server serve` replicas and a local receiver: what a
 * message holds and how it is signed, digests, and what rule creation refuses.
 */
import { describe, expect, it } from "vitest";
import { BadRequestError } from "../../src/core/errors.js";
import { NotifyRuleNotFoundError } from "../../src/core/notify.js";
import { expectedSignature, failTasks, Receiver, serverCluster } from "./support.js";

describe("notifications", () => {
  it("sends one signed message for a task that fails for good, with the event, the task and the counts", async () => {
    await using cluster = await serverCluster();
    await using receiver = await Receiver.start();
    const server = await cluster.start();
    const api = await cluster.queue(server);
    const rule = await api.createNotifyRule({ on: 'status == "failed"', url: receiver.url });
    expect(rule.secret).toMatch(/^whsec_/);
    const { secret: _shownOnce, ...listed } = rule;
    expect(await api.lsNotifyRules()).toEqual([listed]);

    // A failure with retries left goes back to pending and matches nothing; the last one fails the task for good.
    const [taskId] = await api.submitTasks([{ taskName: "train", args: { lr: 0.1 }, maxRetries: 2 }]);
    for (let attempt = 0; attempt < 2; attempt++) {
      const task = await api.fetchTask();
      await api.reportTaskStatus(task!.taskId, "failed", { summary: { error: "oom" } });
    }
    await receiver.waitFor((r) => r.accepted.length === 1);
    const [message] = receiver.requests;
    const deliveryId = message!.headers["x-labtasker-delivery"] as string;
    expect(message!.headers["x-labtasker-signature"]).toBe(expectedSignature(rule.secret, message!.body));
    expect(message!.headers["x-labtasker-event"]).toBe("event");
    const document = JSON.parse(message!.body) as Record<string, unknown>;
    expect(document).toMatchObject({
      type: "event",
      delivery_id: deliveryId,
      rule_id: rule.ruleId,
      on: 'status == "failed"',
      queue: { queue_id: rule.queueId },
      event: { entity_type: "task", entity_id: taskId, old_state: "running", new_state: "failed" },
      task: { _id: taskId, task_name: "train", status: "failed", retries: 2, summary: { error: "oom" } },
      counts: { pending: 0, running: 0, success: 0, failed: 1, cancelled: 0 },
      digest: null,
    });

    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver.requests).toHaveLength(1);
    const deliveries = await api.lsNotifyDeliveries();
    expect(deliveries).toMatchObject([{ deliveryId, ruleId: rule.ruleId, kind: "event", outcome: "delivered", attempt: 1, httpStatus: 200, detail: null }]);
  });

  it("groups 100 failures into one digest message with the count", async () => {
    await using cluster = await serverCluster();
    await using receiver = await Receiver.start();
    const server = await cluster.start();
    const api = await cluster.queue(server);
    const rule = await api.createNotifyRule({ on: 'status == "failed"', url: receiver.url, format: "json", digestSeconds: 2 });
    await failTasks(api, 100);
    await receiver.waitFor((r) => r.accepted.length === 1);
    // The window closes once; nothing else comes for the failures it held.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(receiver.requests).toHaveLength(1);
    const document = JSON.parse(receiver.requests[0]!.body) as { type: string; rule_id: string; digest: { count: number; window_seconds: number; events: unknown[] }; counts: { failed: number } };
    expect(document).toMatchObject({ type: "digest", rule_id: rule.ruleId, digest: { count: 100, window_seconds: 2 }, counts: { failed: 100 } });
    expect(document.digest.events).toHaveLength(20);
    expect(receiver.requests[0]!.headers["x-labtasker-signature"]).toBe(expectedSignature(rule.secret, receiver.requests[0]!.body));
  });

  it("sends Slack-compatible text, says once when the queue is done, and a test message on request", async () => {
    await using cluster = await serverCluster();
    await using receiver = await Receiver.start();
    const server = await cluster.start();
    const api = await cluster.queue(server);
    await api.createNotifyRule({ on: "queue-done", url: receiver.url, format: "slack" });
    await api.submitTasks([{ args: { i: 1 } }, { args: { i: 2 } }]);
    for (let i = 0; i < 2; i++) {
      const task = await api.fetchTask();
      await api.reportTaskStatus(task!.taskId, "success");
    }
    await receiver.waitFor((r) => r.accepted.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver.requests).toHaveLength(1);
    expect(JSON.parse(receiver.requests[0]!.body)).toEqual({
      text: expect.stringMatching(/has no pending or running task left\. Tasks: 0 pending, 0 running, 2 success, 0 failed, 0 cancelled\.$/),
    });

    const [rule] = await api.lsNotifyRules();
    const deliveryId = await api.testNotifyRule(rule!.ruleId);
    await receiver.waitFor((r) => r.accepted.length === 2);
    expect(receiver.requests[1]!.headers["x-labtasker-delivery"]).toBe(deliveryId);
    expect(JSON.parse(receiver.requests[1]!.body).text).toMatch(/^labtasker: test message for rule/);

    await api.deleteNotifyRule(rule!.ruleId);
    expect(await api.lsNotifyRules()).toEqual([]);
    await expect(api.deleteNotifyRule(rule!.ruleId)).rejects.toBeInstanceOf(NotifyRuleNotFoundError);
  });

  it("refuses a rule whose filter does not compile, naming the column", async () => {
    await using cluster = await serverCluster();
    await using receiver = await Receiver.start();
    const api = await cluster.queue(await cluster.start());
    const refused = api.createNotifyRule({ on: 'status == "failed" or (', url: receiver.url });
    await expect(refused).rejects.toBeInstanceOf(BadRequestError);
    await expect(refused).rejects.toThrow("Invalid filter in on: line 1, column 23: Query syntax error: '(' was never closed");
    await expect(api.createNotifyRule({ on: "sumary.acc > 0.9", url: receiver.url })).rejects.toThrow(/Field 'sumary' is unknown.*Maybe you meant 'summary'/s);
    expect(await api.lsNotifyRules()).toEqual([]);
  });

  it("refuses a URL outside the allow-list, and every URL when the list is empty", async () => {
    await using cluster = await serverCluster();
    const strict = await cluster.start({ allowHosts: [] });
    const api = await cluster.queue(strict);
    await expect(api.createNotifyRule({ on: 'status == "failed"', url: "http://127.0.0.1:9/hook" })).rejects.toThrow(/--notify-allow-host list is empty/);
    const listed = await cluster.queue(await cluster.start({ allowHosts: ["hooks.example.org"] }));
    await expect(listed.createNotifyRule({ on: 'status == "failed"', url: "http://169.254.169.254/latest" })).rejects.toThrow(/does not send notifications to 169\.254\.169\.254/);
    await expect(listed.createNotifyRule({ on: 'status == "failed"', url: "ftp://hooks.example.org/x" })).rejects.toThrow(/http:\/\/ or https:\/\//);
    expect(await listed.createNotifyRule({ on: 'status == "failed"', url: "https://hooks.example.org/x" })).toMatchObject({ url: "https://hooks.example.org/x" });
  });
});
