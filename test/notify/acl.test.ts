/**
 * On a lab's Redis whose user has only the ACL docs/deploy.md gives: rules, the event consumer group and BullMQ's
 * delivery jobs (immediate and delayed) all work under the key prefix.
 */
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { requiredAcl } from "../../src/store/access.js";
import { redisUrl } from "../support/redis.js";
import { failTasks, Receiver, serverCluster } from "./support.js";

describe("notifications under the documented ACL", () => {
  it("delivers single and digest messages with nothing more than the documented grants", async () => {
    const admin = new Redis(redisUrl());
    const user = `notify-${randomUUID().slice(0, 8)}`;
    const prefix = `acl-${randomUUID().slice(0, 8)}`;
    await admin.call("ACL", "SETUSER", user, "on", ">pw", ...requiredAcl(prefix).split(" "));
    try {
      const url = new URL(redisUrl());
      url.username = user;
      url.password = "pw";
      await using cluster = await serverCluster({ redisUrl: url.href, prefix });
      await using receiver = await Receiver.start();
      const api = await cluster.queue(await cluster.start());
      await api.createNotifyRule({ on: 'status == "failed"', url: receiver.url });
      await api.createNotifyRule({ on: 'status == "failed"', url: receiver.url, digestSeconds: 1 });
      await failTasks(api, 3);
      await receiver.waitFor((r) => r.accepted.length === 4);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(new Set(receiver.accepted.map((request) => request.headers["x-labtasker-delivery"])).size).toBe(receiver.accepted.length);
      const kinds = receiver.accepted.map((request) => request.headers["x-labtasker-event"]).sort();
      expect(kinds).toEqual(["digest", "event", "event", "event"]);
    } finally {
      await admin.call("ACL", "DELUSER", user);
      admin.disconnect();
    }
  });
});
