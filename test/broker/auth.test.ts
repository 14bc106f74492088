/**
 * How much work a failed authentication does: a wrong password on an existing queue must cost what an unknown queue
 * costs (one scrypt), or the time of a 401 tells which names exist (found by the fault suite's timing check,
 * test/faults/security.test.ts: wrong passwords took two scrypts, unknown queues one).
 */
import { describe, expect, it, vi } from "vitest";
import { AuthError } from "../../src/core/errors.js";
import * as password from "../../src/broker/password.js";
import { createTestBroker } from "../support/redis.js";

vi.mock("../../src/broker/password.js", { spy: true });

describe("authentication cost", () => {
  it("one password check for a wrong password, an unknown queue, and a renamed queue's old name", async () => {
    await using t = createTestBroker();
    const queueId = await t.broker.queues.create({ queueName: "costly", password: "right" });
    expect(await t.broker.queues.authenticate("costly", "right")).toBe(queueId); // caches the name
    const verify = vi.mocked(password.verifyPassword);
    for (const [user, pw] of [["costly", "wrong"], ["costly", "righ"], ["nobody", "right"], [queueId, "wrong"]]) {
      verify.mockClear();
      await expect(t.broker.queues.authenticate(user!, pw!)).rejects.toBeInstanceOf(AuthError);
      expect(verify, `${user}:${pw}`).toHaveBeenCalledTimes(1);
    }
    // A name that moved to another queue since it was cached is still resolved again.
    const other = await t.broker.queues.create({ queueName: "other", password: "other-pw" });
    await t.broker.queues.update(queueId, { newQueueName: "costly-old" });
    await t.broker.queues.update(other, { newQueueName: "costly" });
    expect(await t.broker.queues.authenticate("costly", "other-pw")).toBe(other);
  });
});
