import { describe, expect, it } from "vitest";
import { readSseFrames } from "../../src/client/sse.js";

async function frames(chunks: string[]) {
  const encoder = new TextEncoder();
  async function* body() {
    for (const chunk of chunks) yield encoder.encode(chunk);
  }
  const out = [];
  for await (const frame of readSseFrames(body())) out.push(frame);
  return out;
}

describe("SSE frames", () => {
  it("reads v1's framing: CRLF line ends, event, data, retry, comments", async () => {
    const stream = 'event: connection\r\ndata: {"status":"connected"}\r\nretry: 3000\r\n\r\n: ping - x\r\n\r\nevent: ping\r\n\r\nid: 7\r\nevent: event\r\ndata: {"sequence":7}\r\n\r\n';
    expect(await frames([stream])).toEqual([
      { event: "connection", data: '{"status":"connected"}', retry: 3000, id: undefined },
      { event: "ping", data: "", id: undefined, retry: undefined },
      { event: "event", data: '{"sequence":7}', id: "7", retry: undefined },
    ]);
  });

  it("does not split a frame at a CRLF cut between two chunks", async () => {
    const result = await frames(["event: event\r", "\ndata: one\r", "\n\r", "\n"]);
    expect(result).toEqual([{ event: "event", data: "one", id: undefined, retry: undefined }]);
  });
});
