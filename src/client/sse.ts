/** A small Server-Sent Events reader: frames from a byte stream, per the WHATWG format (CRLF, LF or CR line ends). */

export interface SseFrame {
  event: string;
  data: string;
  id?: string;
  retry?: number;
}

/** Frames from a byte stream (an HTTP response body); ends when the stream ends. */
export async function* readSseFrames(body: AsyncIterable<Uint8Array>): AsyncGenerator<SseFrame> {
  const decoder = new TextDecoder();
  let buffer = "";
  let frame: { event?: string; data: string[]; id?: string; retry?: number } = { data: [] };
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    // A CR at the very end may be the first half of a CRLF split across chunks: wait for the next chunk.
    const complete = buffer.endsWith("\r") ? buffer.slice(0, -1) : buffer;
    const lines = complete.split(/\r\n|\r|\n/);
    const rest = lines.pop() ?? "";
    buffer = rest + (buffer.endsWith("\r") ? "\r" : "");
    for (const line of lines) {
      if (line === "") {
        if (frame.data.length > 0 || frame.event !== undefined) {
          yield { event: frame.event ?? "message", data: frame.data.join("\n"), id: frame.id, retry: frame.retry };
        }
        frame = { data: [] };
        continue;
      }
      if (line.startsWith(":")) continue; // a comment (keep-alive)
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "event") frame.event = value;
      else if (field === "data") frame.data.push(value);
      else if (field === "id") frame.id = value;
      else if (field === "retry" && /^\d+$/.test(value)) frame.retry = Number(value);
    }
  }
}
