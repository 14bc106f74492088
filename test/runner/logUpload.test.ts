/**
 * The loop's log upload never waits on the server: writes only buffer (at most the last 1 MiB), batches go one at a
 * time, a failure ends the run's upload, and repeated failures end the loop's uploads.
 */
import { describe, expect, it, vi } from "vitest";
import type { Labtasker, TaskLogAppend } from "../../src/core/api.js";
import { LogUploads, RunLogUpload, UPLOAD } from "../../src/runner/logUpload.js";
import { silentLogger } from "../../src/runner/logger.js";

describe("the log upload", () => {
  it("buffers writes while a request hangs, keeps the last MiB, and sends the rest with its offset after the end", async () => {
    const calls: TaskLogAppend[] = [];
    let release!: () => void;
    const hanging = new Promise<void>((resolve) => (release = resolve));
    const append = vi.fn(async (_taskId: string, chunk: TaskLogAppend) => {
      calls.push({ ...chunk, data: Buffer.from(chunk.data) });
      if (calls.length === 1) await hanging;
      return 1;
    });
    const upload = new RunLogUpload(append, "t1", () => undefined);
    upload.write(Buffer.from("first"));
    await new Promise((r) => setTimeout(r, UPLOAD.intervalMs + 50)); // the first batch is now in flight, and hangs
    expect(calls).toHaveLength(1);
    const started = performance.now();
    for (let i = 0; i < 40; i++) upload.write(Buffer.alloc(64 * 1024, i)); // 2.5 MiB while the server hangs
    expect(performance.now() - started).toBeLessThan(200);
    const closed = upload.close();
    release();
    await closed;
    const last = calls.at(-1)!;
    expect(last.ended).toBe(true);
    const sent = calls.slice(1).reduce((n, c) => n + c.data.length, 0);
    expect(sent).toBe(UPLOAD.keepBytes); // the oldest bytes were dropped, not kept in memory
    expect(calls[1]!.offset).toBe(5 + 40 * 64 * 1024 - UPLOAD.keepBytes); // the gap is the server's to mark
    expect(calls[1]!.attempt).toBe(1);
  });

  it("sends a run's last batch with the next tick, not when the run ends (the loop is fetching then); drain sends at once", async () => {
    const sent: Array<{ at: number; chunk: TaskLogAppend }> = [];
    const client = {
      appendTaskLog: async (_taskId: string, chunk: TaskLogAppend) => {
        sent.push({ at: performance.now(), chunk });
        return 1;
      },
    } as unknown as Labtasker;
    const uploads = new LogUploads(client, true, silentLogger);
    const first = uploads.start("t1")!;
    const started = performance.now();
    first.write(Buffer.from("a short run's output"));
    uploads.finish(first);
    await new Promise((r) => setTimeout(r, 20));
    expect(sent).toHaveLength(0); // the run ended, and nothing went yet
    await new Promise((r) => setTimeout(r, UPLOAD.intervalMs));
    expect(sent).toHaveLength(1);
    expect(sent[0]!.at - started).toBeGreaterThanOrEqual(UPLOAD.intervalMs - 5); // with the tick the first write set
    expect(sent[0]!.chunk).toMatchObject({ offset: 0, ended: true });
    expect(Buffer.from(sent[0]!.chunk.data).toString()).toBe("a short run's output");

    const second = uploads.start("t2")!;
    second.write(Buffer.from("the last run"));
    uploads.finish(second);
    const draining = performance.now();
    await uploads.drain(); // the loop ends: at once
    expect(performance.now() - draining).toBeLessThan(UPLOAD.intervalMs / 2);
    expect(sent.map((s) => s.chunk.ended)).toEqual([true, true]);
  });

  it("ends a run's upload at the first failure, and stops uploading after failed runs in a row", async () => {
    const append = vi.fn(async () => {
      throw new Error("unreachable");
    });
    const client = { appendTaskLog: append } as unknown as Labtasker;
    const uploads = new LogUploads(client, true, silentLogger);
    for (let run = 0; run < UPLOAD.failedRunsToStop; run++) {
      const upload = uploads.start(`t${run}`)!;
      upload.write(Buffer.from("x"));
      uploads.finish(upload);
      await uploads.drain();
      expect(upload.failed).toBe(true);
    }
    expect(append).toHaveBeenCalledTimes(UPLOAD.failedRunsToStop);
    expect(uploads.start("next")).toBeNull();
    expect(new LogUploads({} as Labtasker, true, silentLogger).start("t")).toBeNull(); // a client without logs
    expect(new LogUploads(client, false, silentLogger).start("t")).toBeNull(); // --no-upload-logs
  });
});
