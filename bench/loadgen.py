"""A small, efficient HTTP/1.1 load generator (asyncio protocols on raw sockets).

Closed loop: ``concurrency`` clients each send a request, wait for the whole response, and
send the next one at once (no think time), reusing the connection while the server keeps it
alive and reconnecting when it answers ``Connection: close`` (gunicorn's sync workers do).
The latency of a request includes the reconnection when there was one.

Bounded: it only talks to loopback addresses, stops after ``duration`` seconds (after a
``warmup`` that is not measured) or ``max_requests`` measured requests, whichever first, and
gives up on a request after ``timeout`` seconds.

Standalone: ``python bench/loadgen.py --port 8000 --path / [--concurrency 20 --duration 10]``.
"""

import argparse
import asyncio
import ipaddress
import time
from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Target:
    """What to request. ``headers`` holds one header set per client (cycled), e.g. one
    session cookie per signed-in resident."""

    name: str
    path: str
    headers: list[dict[str, str]] = field(default_factory=lambda: [{}])
    expect_status: int = 200
    expect_body: bytes = b""  # a substring every good response contains


@dataclass
class Result:
    name: str
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    error_samples: list[str] = field(default_factory=list)
    reconnects: int = 0
    bytes_received: int = 0
    client_cpu_seconds: float = 0.0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile of the latencies, in milliseconds."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
        return ordered[rank - 1] * 1000


def build_request(path: str, host: str, port: int, headers: dict[str, str]) -> bytes:
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: {host}:{port}",
        "User-Agent: ecitizen-bench/1",
        "Accept: text/html,application/json",
        "Accept-Language: en",
        "Connection: keep-alive",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class _Response:
    __slots__ = ("body_length", "keep_alive", "status")

    def __init__(self, status: int, keep_alive: bool, body_length: int) -> None:
        self.status, self.keep_alive, self.body_length = status, keep_alive, body_length


class _Connection(asyncio.Protocol):
    """One keep-alive connection; parses Content-Length, chunked and read-to-close bodies."""

    def __init__(self, expect_body: bytes) -> None:
        self.expect_body = expect_body
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.waiter: asyncio.Future[_Response] | None = None
        self.buffer = bytearray()
        self.body_ok = True

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            done = self._try_complete(eof=True)
            if not done:
                self.waiter.set_exception(ConnectionError("connection closed mid-response"))

    def eof_received(self) -> bool:
        return False

    def request(self, payload: bytes) -> "asyncio.Future[_Response]":
        assert self.transport is not None
        self.buffer.clear()
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(payload)
        return self.waiter

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if self.waiter is not None and not self.waiter.done():
            self._try_complete(eof=False)

    def _try_complete(self, *, eof: bool) -> bool:
        buffer = self.buffer
        end = buffer.find(b"\r\n\r\n")
        if end < 0:
            return False
        head = bytes(buffer[:end]).decode("latin-1").split("\r\n")
        status = int(head[0].split(" ", 2)[1])
        length: int | None = None
        chunked = False
        keep_alive = head[0].startswith("HTTP/1.1")
        for line in head[1:]:
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value:
                chunked = True
            elif name == "connection":
                keep_alive = value == "keep-alive" or (keep_alive and value != "close")
        body_start = end + 4
        if chunked:
            body = self._dechunk(body_start)
            if body is None:
                return False
        elif length is not None:
            if len(buffer) - body_start < length:
                return False
            body = bytes(buffer[body_start : body_start + length])
        else:  # read until the server closes
            if not eof:
                return False
            body, keep_alive = bytes(buffer[body_start:]), False
        self.body_ok = not self.expect_body or self.expect_body in body
        assert self.waiter is not None
        self.waiter.set_result(_Response(status, keep_alive, len(body)))
        return True

    def _dechunk(self, position: int) -> bytes | None:
        buffer, parts = self.buffer, []
        while True:
            line_end = buffer.find(b"\r\n", position)
            if line_end < 0:
                return None
            size = int(bytes(buffer[position:line_end]).split(b";")[0], 16)
            start = line_end + 2
            if size == 0:
                return b"".join(parts) if buffer.find(b"\r\n", start) >= 0 else None
            if len(buffer) < start + size + 2:
                return None
            parts.append(bytes(buffer[start : start + size]))
            position = start + size + 2


async def _client(
    index: int,
    host: str,
    port: int,
    target: Target,
    result: Result,
    *,
    measure_from: float,
    stop_at: float,
    max_requests: int,
    timeout: float,
) -> None:
    loop = asyncio.get_running_loop()
    headers = target.headers[index % len(target.headers)]
    payload = build_request(target.path, host, port, headers)
    connection: _Connection | None = None
    while True:
        started = time.perf_counter()
        if started >= stop_at or result.requests >= max_requests:
            break
        try:
            if connection is None or connection.closed:
                _, connection = await loop.create_connection(
                    lambda: _Connection(target.expect_body), host, port
                )
                result.reconnects += 1
            response = await asyncio.wait_for(connection.request(payload), timeout)
        except (OSError, TimeoutError, ConnectionError) as exc:
            if started >= measure_from:
                result.errors += 1
                if len(result.error_samples) < 5:
                    result.error_samples.append(f"{type(exc).__name__}: {exc}")
            if connection is not None and connection.transport is not None:
                connection.transport.close()
            connection = None
            await asyncio.sleep(0.01)
            continue
        elapsed = time.perf_counter() - started
        if started >= measure_from:
            result.statuses[response.status] += 1
            result.bytes_received += response.body_length
            if response.status != target.expect_status or not connection.body_ok:
                result.errors += 1
                if len(result.error_samples) < 5:
                    result.error_samples.append(
                        f"status {response.status}, expected body found: {connection.body_ok}"
                    )
            else:
                result.requests += 1
                result.latencies.append(elapsed)
        if not response.keep_alive:
            assert connection.transport is not None
            connection.transport.close()
            connection = None
    if connection is not None and connection.transport is not None:
        connection.transport.close()


async def run_async(
    target: Target,
    *,
    host: str = "127.0.0.1",
    port: int,
    concurrency: int = 20,
    duration: float = 10.0,
    warmup: float = 2.0,
    max_requests: int = 1_000_000,
    timeout: float = 10.0,
) -> Result:
    if not ipaddress.ip_address(host).is_loopback:
        raise ValueError("the load generator only talks to loopback addresses")
    if duration <= 0 or duration > 600 or concurrency < 1 or concurrency > 1000:
        raise ValueError("duration must be in (0, 600] s and concurrency in [1, 1000]")
    result = Result(name=target.name)
    now = time.perf_counter()
    measure_from, stop_at = now + warmup, now + warmup + duration
    cpu_started = time.process_time()
    await asyncio.gather(
        *(
            _client(
                index,
                host,
                port,
                target,
                result,
                measure_from=measure_from,
                stop_at=stop_at,
                max_requests=max_requests,
                timeout=timeout,
            )
            for index in range(concurrency)
        )
    )
    # The measured window ends when the last client finished its last request.
    result.seconds = time.perf_counter() - measure_from
    result.client_cpu_seconds = time.process_time() - cpu_started
    return result


def run(target: Target, **options: float | int | str) -> Result:
    return asyncio.run(run_async(target, **options))  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", default="/")
    parser.add_argument("--header", action="append", default=[], help="'Name: value'")
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--max-requests", type=int, default=1_000_000)
    args = parser.parse_args()
    headers = dict(h.split(":", 1) for h in args.header)
    target = Target(args.path, args.path, [{k.strip(): v.strip() for k, v in headers.items()}])
    result = run(
        target,
        port=args.port,
        concurrency=args.concurrency,
        duration=args.duration,
        warmup=args.warmup,
        max_requests=args.max_requests,
    )
    print(
        f"{result.name}: {result.requests} ok, {result.errors} errors in {result.seconds:.1f} s"
        f" = {result.rps:.0f} req/s; p50 {result.percentile(50):.1f} ms,"
        f" p95 {result.percentile(95):.1f} ms, p99 {result.percentile(99):.1f} ms;"
        f" statuses {dict(result.statuses)}"
    )


if __name__ == "__main__":
    main()
