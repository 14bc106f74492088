/**
 * Deliveries are at least once and exactly once per delivery id at the receiver's end: through a receiver that
 * refuses connections, fails with 500s or never answers; through a server restart while a delivery waits for its
 * retry; with two server replicas reading the same events; and for rules created in direct mode.
 */
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { Broker } from "../../src/broker/broker.js";
import { DirectLabtasker } from "../../src/broker/direct.js";
import { LabtaskerError } from "../../src/core/errors.js";
import { KeyBuilder } from "../../src/store/keys.js";
import { expectedSignature, failTasks, Receiver, serverCluster, type Received } from "./support.js";
import { redisUrl } from "../support/redis.js";

function deliveryIds(requests: Received[]): string[] {
  return requests.map((request) => request.headers["x-labtasker-delivery"] as string);
}

/** Every id of `requests` once, none twice. */
function expectEachOnce(requests: Received[], count: number): void {
  const ids = deliveryIds(requests);
  expect(ids).toHaveLength(count);
  expect(new Set(ids).size).toBe(count);
}

describe("notification delivery", () => {
  it("gets every message through a receiver that refuses, fails and times out, none twice", async () => {
    await using cluster = await serverCluster();
    await using receiver = await Receiver.start();
    const api = await cluster.queue(await cluster.start());
    await api.createNotifyRule({ on: 'status == "failed"', url: receiver.url });

    await receiver.down();
    await failTasks(api, 5);
    await new Promise((resolve) => setTimeout(resolve, 800)); // connections refused
    receiver.mode = "error";
    await receiver.up();
    await receiver.waitFor((r) => r.requests.length >= 5);
    receiver.mode = "silent";
    await receiver.waitFor((r) => r.requests.filter((request) => request.status === 0).length >= 5);
    receiver.mode = "ok";
    await receiver.waitFor((r) => new Set(deliveryIds(r.accepted)).size === 5);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expectEachOnce(receiver.accepted, 5);

    const attempts = await api.lsNotifyDeliveries({ limit: 1000 });
    const details = attempts.filter((attempt) => attempt.outcome === "retrying").map((attempt) => attempt.detail ?? "");
    expect(details.some((detail) => /ECONNREFUSED/.test(detail))).toBe(true);
    expect(details).toContain("the receiver answered 500");
    expect(details.some((detail) => /no answer within 0.5 s/.test(detail))).toBe(true);
    expect(attempts.filter((attempt) => attempt.outcome === "delivered")).toHaveLength(5);
  });

  it("loses nothing when the server restarts while deliveries wait for their retry", async () => {
    await using cluster = await serverCluster();
    await using receiver = await Receiver.start();
    const first = await cluster.start({ backoffMs: 300 });
    const api = await cluster.queue(first);
    await api.createNotifyRule({ on: 'status == "failed"', url: receiver.url });
    receiver.mode = "error";
    await failTasks(api, 3);
    await receiver.waitFor((r) => new Set(deliveryIds(r.requests)).size === 3);
    expect((await first.close()).clean).toBe(true);

    receiver.mode = "ok";
    const second = await cluster.start({ backoffMs: 300 });
    await receiver.waitFor((r) => r.accepted.length === 3);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expectEachOnce(receiver.accepted, 3);
    await second.close();
  });

  it("delivers each message once with two server replicas", async () => {
    await using cluster = await serverCluster();
    await using receiver = await Receiver.start();
    const [a, b] = [await cluster.start(), await cluster.start()];
    const api = await cluster.queue(a);
    await api.createNotifyRule({ on: 'status == "failed"', url: receiver.url });
    await api.createNotifyRule({ on: "queue-done", url: receiver.url });
    await failTasks(api, 30);
    await receiver.waitFor((r) => r.accepted.length >= 31);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expectEachOnce(receiver.accepted, 31);
    expect(receiver.accepted.filter((request) => request.headers["x-labtasker-event"] === "queue-done")).toHaveLength(1);
    // Both replicas read the queue's events, in one consumer group.
    const consumers = (await a.broker.store.redis.xinfo("CONSUMERS", new KeyBuilder(cluster.prefix).events((await api.getQueue()).queueId), "notify")) as unknown[];
    expect(consumers).toHaveLength(2);
    expect(b.url).not.toBe(a.url);
  });

  it("takes rules created in direct mode, which a server then delivers, refusing hosts outside its list", async () => {
    await using cluster = await serverCluster();
    await using receiver = await Receiver.start();
    const redis = new Redis(redisUrl());
    await using broker = new Broker({ redis, keyPrefix: cluster.prefix });
    const queueName = `q-${randomUUID().slice(0, 8)}`;
    await using direct = new DirectLabtasker(broker, { queueName, password: "pw" });
    await direct.createQueue({ queueName, password: "pw" });
    // No server has published its key on this Redis yet: the rule's secret cannot be sealed.
    const refused = direct.createNotifyRule({ on: 'status == "failed"', url: receiver.url });
    await expect(refused).rejects.toBeInstanceOf(LabtaskerError);
    await expect(refused).rejects.toThrow(/No labtasker server with notifications on has started on this Redis yet/);

    await cluster.start();
    const rule = await direct.createNotifyRule({ on: 'status == "failed"', url: receiver.url });
    // Direct mode cannot see the server's allow-list: the server refuses this one when it delivers.
    const outside = await direct.createNotifyRule({ on: 'status == "failed"', url: "http://localhost:9/hook" });
    await failTasks(direct, 1);
    await receiver.waitFor((r) => r.accepted.length === 1);
    expect(receiver.accepted[0]!.headers["x-labtasker-signature"]).toBe(expectedSignature(rule.secret, receiver.accepted[0]!.body));
    const deadline = Date.now() + 10_000;
    let refusals: Awaited<ReturnType<typeof direct.lsNotifyDeliveries>> = [];
    while (refusals.length === 0 && Date.now() < deadline) {
      refusals = (await direct.lsNotifyDeliveries()).filter((delivery) => delivery.ruleId === outside.ruleId);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(refusals).toMatchObject([{ outcome: "refused", attempt: 1, detail: expect.stringMatching(/does not send notifications to localhost/) }]);
    redis.disconnect();
  });
});
