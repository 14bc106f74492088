#!/usr/bin/env python3
"""A tiny logging TCP proxy used to capture what the official labtasker client sends and what a server answers.

It forwards raw bytes (no HTTP parsing on the hot path) and appends every chunk to a JSONL log:
    {"t": <unix time>, "conn": <n>, "dir": ">" (client->server) | "<" (server->client), "b64": "..."}
`python wire_proxy.py dump LOG` reassembles each connection into HTTP/1.1 messages (de-chunking bodies, but
also keeping the raw bytes of text/event-stream responses) and prints them.

Usage:
    python wire_proxy.py serve --listen 127.0.0.1:PORT --target 127.0.0.1:PORT --log wire.jsonl
    python wire_proxy.py dump wire.jsonl [--raw]

Used by test/compat (env COMPAT_WIRE_LOG=<file> puts it between the client and the server under test) and to
write docs/wire-v1.md. Loopback only.
"""
import argparse
import asyncio
import base64
import json
import sys
import time
from collections import defaultdict


def _split(hostport):
    host, port = hostport.rsplit(":", 1)
    return host, int(port)


async def _serve(listen, target, log_path):
    log = open(log_path, "a", buffering=1)
    counter = 0

    def write(conn, direction, data):
        log.write(
            json.dumps(
                {"t": time.time(), "conn": conn, "dir": direction, "b64": base64.b64encode(data).decode()}
            )
            + "\n"
        )

    async def pipe(reader, writer, conn, direction):
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                write(conn, direction, data)
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            try:
                writer.close()
            except Exception:
                pass

    async def handle(creader, cwriter):
        nonlocal counter
        counter += 1
        conn = counter
        try:
            sreader, swriter = await asyncio.open_connection(*target)
        except OSError:
            cwriter.close()
            return
        await asyncio.gather(pipe(creader, swriter, conn, ">"), pipe(sreader, cwriter, conn, "<"))

    server = await asyncio.start_server(handle, *listen)
    print("wire_proxy ready", flush=True)
    async with server:
        await server.serve_forever()


# ---------------------------------------------------------------- dump


def _parse_messages(buf: bytes, is_response: bool, requests_methods):
    """Split an HTTP/1.1 byte stream into messages: (start_line, headers, body_bytes, raw_body, complete)."""
    out = []
    i = 0
    while i < len(buf):
        end = buf.find(b"\r\n\r\n", i)
        if end < 0:
            out.append(("<incomplete>", [], buf[i:], buf[i:], False))
            break
        head = buf[i:end].decode("latin-1").split("\r\n")
        start, headers = head[0], [tuple(h.split(": ", 1)) for h in head[1:]]
        hmap = {k.lower(): v for k, v in headers}
        j = end + 4
        body = b""
        raw = b""
        complete = True
        no_body = False
        if is_response:
            code = int(start.split(" ")[1])
            method = requests_methods.pop(0) if requests_methods else "GET"
            no_body = code in (204, 304) or code < 200 or method == "HEAD"
        if no_body:
            pass
        elif hmap.get("transfer-encoding", "").lower() == "chunked":
            k = j
            while True:
                le = buf.find(b"\r\n", k)
                if le < 0:
                    complete = False
                    k = len(buf)
                    break
                size = int(buf[k:le].split(b";")[0], 16)
                if size == 0:
                    k = le + 4
                    break
                body += buf[le + 2 : le + 2 + size]
                k = le + 2 + size + 2
                if k > len(buf):
                    complete = False
                    k = len(buf)
                    break
            raw = buf[j:k]
            j = k
        elif "content-length" in hmap:
            n = int(hmap["content-length"])
            body = buf[j : j + n]
            raw = body
            j += n
        elif is_response:
            body = buf[j:]
            raw = body
            j = len(buf)
        out.append((start, headers, body, raw, complete))
        if not is_response:
            requests_methods.append(start.split(" ")[0])
        i = j
    return out


def load_exchanges(log_path, since=0):
    """Reassemble the log into HTTP exchanges, in the order connections opened.
    `since`: ignore records before this byte offset of the log file."""
    streams = defaultdict(lambda: {">": b"", "<": b""})
    first_t = {}
    with open(log_path) as f:
        f.seek(since)
        for line in f:
            rec = json.loads(line)
            streams[rec["conn"]][rec["dir"]] += base64.b64decode(rec["b64"])
            first_t.setdefault(rec["conn"], rec["t"])
    out = []
    for conn in sorted(streams, key=lambda c: first_t[c]):
        methods = []
        reqs = _parse_messages(streams[conn][">"], False, methods)
        resps = _parse_messages(streams[conn]["<"], True, methods)
        # raw bytes of the response stream after the first response's header block (for SSE)
        raw_s = streams[conn]["<"]
        hdr_end = raw_s.find(b"\r\n\r\n")
        raw_after_headers = raw_s[hdr_end + 4 :] if hdr_end >= 0 else b""
        for n in range(max(len(reqs), len(resps))):
            req = reqs[n] if n < len(reqs) else None
            resp = resps[n] if n < len(resps) else None
            out.append(
                {
                    "conn": conn,
                    "request": req and {"start": req[0], "headers": req[1], "body": req[2]},
                    "response": resp
                    and {"start": resp[0], "headers": resp[1], "body": resp[2], "complete": resp[4]},
                    "raw_stream": raw_after_headers if n == 0 else None,
                }
            )
    return out


DROP_HEADERS = {"host", "accept-encoding", "connection", "user-agent", "date", "server"}


def format_exchange(ex, keep_all_headers=False, raw_sse=True):
    lines = []
    req, resp = ex["request"], ex["response"]
    if req:
        lines.append(f"> {req['start']}")
        for k, v in req["headers"]:
            if keep_all_headers or k.lower() not in DROP_HEADERS:
                lines.append(f"> {k}: {v}")
        if req["body"]:
            lines.append(">")
            lines.append("> " + req["body"].decode("utf-8", "replace"))
    if resp:
        lines.append(f"< {resp['start']}")
        for k, v in resp["headers"]:
            if keep_all_headers or k.lower() not in DROP_HEADERS:
                lines.append(f"< {k}: {v}")
        ctype = dict((k.lower(), v) for k, v in resp["headers"]).get("content-type", "")
        if "event-stream" in ctype:
            lines.append("<")
            lines.append("< [decoded body, repr] " + repr(resp["body"]))
            if raw_sse and ex.get("raw_stream") is not None:
                lines.append("< [raw bytes on the wire incl. chunked framing, repr] " + repr(ex["raw_stream"]))
        elif resp["body"]:
            lines.append("<")
            lines.append("< " + resp["body"].decode("utf-8", "replace"))
        if not resp["complete"]:
            lines.append("< [stream still open when the capture ended]")
    return "\n".join(lines)


def dump(log_path, raw=False):
    for ex in load_exchanges(log_path):
        print(f"--- connection {ex['conn']}")
        print(format_exchange(ex, keep_all_headers=raw))
        print()


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--listen", required=True)
    s.add_argument("--target", required=True)
    s.add_argument("--log", required=True)
    d = sub.add_parser("dump")
    d.add_argument("log")
    d.add_argument("--raw", action="store_true")
    a = ap.parse_args()
    if a.cmd == "serve":
        asyncio.run(_serve(_split(a.listen), _split(a.target), a.log))
    else:
        dump(a.log, a.raw)


if __name__ == "__main__":
    sys.exit(main())
