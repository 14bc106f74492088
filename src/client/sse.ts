/** A small Server-Sent Events reader: frames from a byte stream, per the WHATWG format (CRLF, LF or CR line ends). */

export interface SseFrame {
  event: string;
  data: string;
  id?: string;
  retry?: number;
}

export async function* readSseFrames(body: ReadableStream<Uint8Array>, signal?: AbortSignal): AsyncGenerator<SseFrame> {
  const decoder = new TextDecoder();
  const reader = body.getReader();
  const onAbort = () => void reader.cancel().catch(() => undefined);
  signal?.addEventListener("abort", onAbort);
  let buffer = "";
  let frame: { event?: string; data: string[]; id?: string; retry?: number } = { data: [] };
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      const lines = buffer.split(/\r\n|\r|\n/);
      // A CR at the end may be the first half of a CRLF: keep the last (incomplete) line for the next chunk.
      buffer = lines.pop() ?? "";
      for (const line of lines) {
        if (line === "") {
          if (frame.data.length > 0 || frame.event !== undefined) {
            yield { event: frame.event ?? "message", data: frame.data.join("\n"), id: frame.id, retry: frame.retry };
          }
          frame = { data: [] };
          continue;
        }
        if (line.startsWith(":")) continue; // comment (keep-alive)
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "event") frame.event = value;
        else if (field === "data") frame.data.push(value);
        else if (field === "id") frame.id = value;
        else if (field === "retry" && /^\d+$/.test(value)) frame.retry = Number(value);
      }
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
    reader.releaseLock();
  }
}
