/**
 * The batch append's body (src/wire/v1/logBatch.ts): a JSON line placing each chunk, then the bytes as they are;
 * round trip of binary bytes with newlines, and bodies the server refuses with a 400 before touching Redis.
 */
import { describe, expect, it } from "vitest";
import { BadRequestError } from "../../src/core/errors.js";
import { decodeLogBatch, encodeLogBatch } from "../../src/wire/v1/logBatch.js";

describe("the batch log body", () => {
  it("round-trips chunks of binary bytes, newlines included, and empty end marks", () => {
    const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const entries = [
      { taskId: "t_AAAAAAAAAAAA", chunk: { attempt: 0, run: "r1", offset: 0, data: Buffer.from("line\n\r\n"), ended: false } },
      { taskId: "t_BBBBBBBBBBBB", chunk: { attempt: 3, run: "r2", offset: 1024, data: binary, ended: true } },
      { taskId: "t_CCCCCCCCCCCC", chunk: { attempt: 1, run: "r3", offset: 7, data: Buffer.alloc(0), ended: true } },
    ];
    const decoded = decodeLogBatch(Buffer.concat(encodeLogBatch(entries)));
    expect(decoded.map(({ taskId, chunk }) => ({ taskId, chunk: { ...chunk, data: Buffer.from(chunk.data) } }))).toEqual(entries);
  });

  it("refuses a body without its JSON line, with lengths that do not add up, or with bad places", () => {
    const bad = (body: string | Buffer) => () => decodeLogBatch(Buffer.isBuffer(body) ? body : Buffer.from(body));
    expect(bad("no newline")).toThrow(BadRequestError);
    expect(bad("not json\nxx")).toThrow(/must be JSON/);
    expect(bad('{"chunk": []}\n')).toThrow(/\{"chunks": \[\.\.\.\]\}/);
    expect(bad('{"chunks": [{"task_id": "t", "length": 5}]}\nabc')).toThrow(/length must be/);
    expect(bad('{"chunks": [{"task_id": "t", "length": 1}]}\nabc')).toThrow(/2 bytes beyond/);
    expect(bad('{"chunks": [{"length": 0}]}\n')).toThrow(/task_id/);
    expect(bad('{"chunks": [{"task_id": "t", "length": 0, "ended": "yes"}]}\n')).toThrow(/ended/);
    expect(decodeLogBatch(Buffer.from('{"chunks": []}\n'))).toEqual([]);
  });
});
