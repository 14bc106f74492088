/**
 * The loop's log upload never waits on the server: writes only buffer (at most the last 1 MiB), batches go one at a
 * time and carry every run's chunk, a failure ends the run's upload, and repeated failures end the loop's uploads.
 */
import { describe, expect, it, vi } from "vitest";
import type { Labtasker, TaskLogAppend, TaskLogBatchEntry } from "../../src/core/api.js";
import { LabtaskerError, TaskNotFoundError } from "../../src/core/errors.js";
import { LogUploads, UPLOAD } from "../../src/runner/logUpload.js";
import { silentLogger } from "../../src/runner/logger.js";

describe("the log upload", () => {
  it("buffers writes while a request hangs, keeps the last MiB, and sends the rest with its offset after the end", async () => {
    const calls: TaskLogAppend[] = [];
    let release!: () => void;
    const hanging = new Promise<void>((resolve) => (release = resolve));
    const client = {
      appendTaskLogs: vi.fn(async (entries: readonly TaskLogBatchEntry[]) => {
        calls.push(...entries.map(({ chunk }) => ({ ...chunk, data: Buffer.from(chunk.data) })));
        if (calls.length === 1) await hanging;
        return entries.map(() => ({ attempt: 1 }));
      }),
    } as unknown as Labtasker;
    const uploads = new LogUploads(client, true, silentLogger);
    const upload = uploads.start("t1")!;
    upload.write(Buffer.from("first"));
    await new Promise((r) => setTimeout(r, UPLOAD.intervalMs + 50)); // the first batch is now in flight, and hangs
    expect(calls).toHaveLength(1);
    const started = performance.now();
    for (let i = 0; i < 40; i++) upload.write(Buffer.alloc(64 * 1024, i)); // 2.5 MiB while the server hangs
    expect(performance.now() - started).toBeLessThan(200);
    uploads.finish(upload);
    release();
    await upload.settled;
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

  it("ends a run's upload at the first failure, and stops uploading after failed requests in a row", async () => {
    const append = vi.fn(async () => {
      throw new LabtaskerError(0, "unreachable");
    });
    const client = { appendTaskLog: append } as unknown as Labtasker;
    const uploads = new LogUploads(client, true, silentLogger);
    for (let run = 0; run < UPLOAD.failedSendsToStop; run++) {
      const upload = uploads.start(`t${run}`)!;
      upload.write(Buffer.from("x"));
      uploads.finish(upload);
      await uploads.drain();
      expect(upload.failed).toBe(true);
    }
    expect(append).toHaveBeenCalledTimes(UPLOAD.failedSendsToStop);
    expect(uploads.start("next")).toBeNull();
    expect(new LogUploads({} as Labtasker, true, silentLogger).start("t")).toBeNull(); // a client without logs
    expect(new LogUploads(client, false, silentLogger).start("t")).toBeNull(); // --no-upload-logs
  });

  it("sends the runs that ended within one tick, and the running one's output, in one request; a refused chunk ends its run only", async () => {
    const requests: TaskLogBatchEntry[][] = [];
    const client = {
      appendTaskLogs: async (entries: readonly TaskLogBatchEntry[]) => {
        requests.push(entries.map((entry) => ({ ...entry, chunk: { ...entry.chunk, data: Buffer.from(entry.chunk.data) } })));
        return entries.map(({ taskId }) => (taskId === "gone" ? { error: new TaskNotFoundError(taskId) } : { attempt: 1 }));
      },
      appendTaskLog: () => {
        throw new Error("one request per run");
      },
    } as unknown as Labtasker;
    const uploads = new LogUploads(client, true, silentLogger);
    const ended = ["a", "gone", "b"].map((taskId) => {
      const upload = uploads.start(taskId)!;
      upload.write(Buffer.from(`output of ${taskId}\n`));
      uploads.finish(upload);
      return upload;
    });
    const running = uploads.start("c")!;
    running.write(Buffer.from("running"));
    await new Promise((r) => setTimeout(r, UPLOAD.intervalMs + 50));
    expect(requests).toHaveLength(1);
    expect(requests[0]!.map(({ taskId, chunk }) => [taskId, chunk.offset, chunk.ended, Buffer.from(chunk.data).toString()])).toEqual([
      ["a", 0, true, "output of a\n"],
      ["gone", 0, true, "output of gone\n"],
      ["b", 0, true, "output of b\n"],
      ["c", 0, false, "running"],
    ]);
    expect(ended.map((upload) => upload.failed)).toEqual([false, true, false]);
    running.write(Buffer.from(" more"));
    uploads.finish(running);
    await uploads.drain();
    expect(requests).toHaveLength(2);
    expect(requests[1]!.map(({ taskId, chunk }) => [taskId, chunk.attempt, chunk.offset, chunk.ended])).toEqual([["c", 1, 7, true]]);
    expect(uploads.start("next")).not.toBeNull(); // a deleted task's refusal does not count as a failure
  });

  it("sends a running run's bytes only when due, and at most one request per interval", async () => {
    const requests: Array<{ at: number; tasks: string[] }> = [];
    const client = {
      appendTaskLogs: async (entries: readonly TaskLogBatchEntry[]) => {
        requests.push({ at: performance.now(), tasks: entries.map(({ taskId, chunk }) => `${taskId}${chunk.ended ? ":end" : ""}`) });
        return entries.map(() => ({ attempt: 1 }));
      },
    } as unknown as Labtasker;
    const uploads = new LogUploads(client, true, silentLogger);
    const started = performance.now();
    const first = uploads.start("a")!;
    first.write(Buffer.from("a"));
    uploads.finish(first);
    await new Promise((r) => setTimeout(r, UPLOAD.intervalMs / 2));
    const second = uploads.start("b")!; // a chatty run that started later: its bytes are not due with a's
    second.write(Buffer.from("b"));
    await new Promise((r) => setTimeout(r, UPLOAD.intervalMs / 2 + 50));
    expect(requests.map((r) => r.tasks)).toEqual([["a:end"]]);
    second.write(Buffer.from("more b"));
    uploads.finish(second); // ended, and due since its first write: it goes one interval after the last request
    await second.settled;
    expect(requests.map((r) => r.tasks)).toEqual([["a:end"], ["b:end"]]);
    expect(requests[1]!.at - requests[0]!.at).toBeGreaterThanOrEqual(UPLOAD.intervalMs - 5);
    expect(requests[0]!.at - started).toBeGreaterThanOrEqual(UPLOAD.intervalMs - 5);
  });

  it("sends one request per run to a client without the batch append", async () => {
    const sent: string[] = [];
    const client = {
      appendTaskLog: async (taskId: string) => {
        sent.push(taskId);
        return 1;
      },
    } as unknown as Labtasker;
    const uploads = new LogUploads(client, true, silentLogger);
    for (const taskId of ["a", "b"]) {
      const upload = uploads.start(taskId)!;
      upload.write(Buffer.from(taskId));
      uploads.finish(upload);
    }
    await uploads.drain();
    expect(sent).toEqual(["a", "b"]);
  });

  it("gives up the oldest ended run's upload when too many wait for an unreachable server", async () => {
    let release!: () => void;
    const hanging = new Promise<void>((resolve) => (release = resolve));
    const client = {
      appendTaskLogs: async (entries: readonly TaskLogBatchEntry[]) => {
        await hanging;
        return entries.map(() => ({ attempt: 1 }));
      },
    } as unknown as Labtasker;
    const uploads = new LogUploads(client, true, silentLogger);
    const first = uploads.start("first")!;
    first.write(Buffer.from("x"));
    await new Promise((r) => setTimeout(r, UPLOAD.intervalMs + 50)); // its request hangs
    const waiting = Array.from({ length: UPLOAD.maxRuns + 1 }, (_, i) => {
      const upload = uploads.start(`t${i}`)!;
      upload.write(Buffer.from("y"));
      uploads.finish(upload);
      return upload;
    });
    expect(waiting.filter((upload) => upload.failed).length).toBeGreaterThan(0);
    expect(waiting.at(-1)!.failed).toBe(false);
    uploads.finish(first);
    release();
    await uploads.drain();
    expect(waiting.at(-1)!.failed).toBe(false);
  });
});
