"""The HTTP client of ``make bench``: one keep-alive connection, timings as JSON on stdout.

Run as its own process so that the client never competes with the server for
the same interpreter lock, and kept minimal (a prepared request, the response
read by its ``Content-Length``) so that what it measures is the server.

``python -m scripts.bench_http PORT PATH [--token T] [--requests N | --seconds S --start-at EPOCH] [--tag TAG]``
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import time


class KeepAliveClient:
    """GET requests on one connection, as a browser page making many calls would."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def get(self, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
        lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in headers.items())]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
            elif name.strip().lower() == b"connection" and value.strip().lower() == b"close":
                raise RuntimeError("the server closed the keep-alive connection")
        while len(self.buffer) < length:
            self._fill()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return status, body

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise RuntimeError("connection closed by the server")
        self.buffer += chunk

    def close(self) -> None:
        self.sock.close()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("path")
    parser.add_argument("--token")
    parser.add_argument("--requests", type=int)
    parser.add_argument("--seconds", type=float)
    parser.add_argument("--start-at", type=float, help="wall-clock time to start (lines several clients up)")
    parser.add_argument("--tag", default="bench", help="X-Correlation-Id prefix, to find these requests in the log")
    args = parser.parse_args(argv)

    client = KeepAliveClient(args.port)
    headers = {"Authorization": f"Bearer {args.token}"} if args.token else {}
    client.get(args.path, headers)  # the connection and the server thread's database connection are warm
    if args.start_at:
        time.sleep(max(0.0, args.start_at - time.time()))
    timings: list[float] = []
    started = time.perf_counter()
    deadline = started + (args.seconds or float("inf"))
    count = 0
    while (args.requests is None or count < args.requests) and time.perf_counter() < deadline:
        headers["X-Correlation-Id"] = f"{args.tag}-{count}"
        t0 = time.perf_counter()
        status, _ = client.get(args.path, headers)
        timings.append((time.perf_counter() - t0) * 1000)
        if status != 200:
            raise SystemExit(f"{args.path} answered {status}")
        count += 1
    elapsed = time.perf_counter() - started
    client.close()
    print(json.dumps({"requests": count, "seconds": elapsed, "ms": timings}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
