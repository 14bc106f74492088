import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { GLOBAL_KEY_SUFFIX, KeyBuilder, QUEUE_KEY_SUFFIX } from "../../src/store/keys.js";

describe("key layout", () => {
  const doc = readFileSync(join(import.meta.dirname, "../../docs/keys.md"), "utf8");

  it("documents every queue key, and nothing else, in docs/keys.md", () => {
    const documented = [...doc.matchAll(/^\| `<root>([^`<]+)/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(Object.values(QUEUE_KEY_SUFFIX).sort());
  });

  it("documents the shared keys", () => {
    expect(doc).toContain(`<prefix>:${GLOBAL_KEY_SUFFIX.queueNames}`);
    expect(doc).toContain(`<prefix>:${GLOBAL_KEY_SUFFIX.lastSweep}`);
    expect(doc).toContain(`<prefix>:${GLOBAL_KEY_SUFFIX.sweepLease}`);
    expect(doc).toContain(`<prefix>:${GLOBAL_KEY_SUFFIX.dataMarker}`);
  });

  it("puts every key of a queue in the queue's hash slot", () => {
    const keys = new KeyBuilder("lt");
    const all = [keys.queue("q1"), keys.tasks("q1"), keys.status("q1", "running"), keys.signature("q1", "s"), keys.events("q1")];
    for (const key of all) expect(key.startsWith("lt:{q1}:")).toBe(true);
  });

  it("refuses prefixes that would break the hash tag", () => {
    expect(() => new KeyBuilder("a{b}")).toThrow(/braces/);
  });
});
