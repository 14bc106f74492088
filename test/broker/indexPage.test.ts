import { describe, expect, it } from "vitest";
import { Random } from "../filter/generators.js";
import { createTestBroker } from "../support/redis.js";

/** Redis's order of a sorted set: by score, then by member bytes. */
function compare([memberA, scoreA]: [Buffer, number], [memberB, scoreB]: [Buffer, number]): number {
  return scoreA - scoreB || Buffer.compare(memberA, memberB);
}

describe("a page merged over several indexes (lua/indexPage-0.lua)", () => {
  it("is the slice of the merged order at any offset, over random indexes, scores and member bytes", async () => {
    await using test = createTestBroker();
    const { broker: { store }, redis } = test;
    const random = new Random(13);
    for (let round = 0; round < 40; round++) {
      // 1 to 8 indexes (a status split in several), some empty, scores from a few priorities (long equal-score runs)
      // or many; members with bytes Lua's locale-dependent `<` would misorder, sharing long prefixes.
      const keys = Array.from({ length: 1 + random.int(8) }, (_, i) => `${test.prefix}:{q${round}}:status:part${i}`);
      const priorities = random.chance(0.5) ? [-20, -10] : Array.from({ length: 40 }, (_, i) => i - 20);
      const all: Array<[Buffer, number]> = [];
      for (const key of keys) {
        const size = random.chance(0.2) ? 0 : random.int(random.chance(0.3) ? 5 : 300);
        const added: Array<[Buffer, number]> = [];
        for (let i = 0; i < size; i++) {
          const member = Buffer.from([0x30 + random.int(3), 0x30 + random.int(3), ...Array.from({ length: 1 + random.int(6) }, () => random.pick([0x2d, 0x41, 0x61, 0x7a, 0xc3, 0xe9, 0xff]))]);
          if (all.some(([other]) => other.equals(member))) continue; // one member in one index only
          added.push([member, random.pick(priorities)]);
          all.push(added[added.length - 1]!);
        }
        if (added.length > 0) await redis.zadd(key, ...added.flatMap(([member, score]) => [score, member]));
      }
      const merged = all.sort(compare);
      for (let probe = 0; probe < 12; probe++) {
        const limit = 1 + random.int(random.chance(0.5) ? 10 : 400);
        const offset = random.int(merged.length + 20);
        const parts = await store.indexPage(keys, offset, limit);
        expect(parts).toHaveLength(keys.length);
        for (const part of parts) expect([...part].sort(compare)).toEqual(part); // each in its index's order
        const page = parts.flat().sort(compare);
        expect(page.map(([member, score]) => `${score}:${member.toString("hex")}`), `round ${round}, offset ${offset}, limit ${limit}`).toEqual(
          merged.slice(offset, offset + limit).map(([member, score]) => `${score}:${member.toString("hex")}`),
        );
      }
    }
  });
});
