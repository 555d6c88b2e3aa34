"""Benchmark: what live counting costs a server — per request, in the writer's thread, in memory.

A model app (ASGI: reads the CSV request, answers a score) is called in-process, as uvicorn
calls it, through ``CaptureMiddleware``: bare, capturing, and capturing with live counts
(``LiveBias`` of facet ``sex``). Each request's latency is timed around the ASGI call; the
figure is the median (and the 99th percentile) over ``--requests`` requests, and *added by
live* is the difference of the medians with and without live counts. Then: the writer thread's
CPU per record to decode and count at flush (with live, against without), and the live
counts' size after the traffic (memory held and the hour's document written), which depends on
the facet values seen per minute, not on the number of requests.

Usage: ``python benchmarks/live.py [--requests 20000]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from biaswatch.capture import LiveBias
from biaswatch.capture.config import DataCaptureConfig
from biaswatch.capture.middleware import CaptureMiddleware
from biaswatch.capture.writer import CaptureWriter

ANALYSIS = {
    "headers": ["sex", "age", "income", "label"],
    "label": "label",
    "label_values_or_threshold": [1],
    "facet": [{"name_or_index": "sex", "value_or_threshold": [0]}],
}
START = datetime(2026, 11, 24, 9, tzinfo=UTC)


async def model(scope: Any, receive: Any, send: Any) -> None:
    """The model: a score from the request's first feature."""
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    score = b"0.71" if body[:1] == b"1" else b"0.42"
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/csv")]})  # fmt: skip
    await send({"type": "http.response.body", "body": score})


def requests(count: int) -> list[bytes]:
    rng = random.Random(5)
    return [
        f"{rng.randint(0, 1)},{rng.randint(18, 90)},{rng.randint(1, 200) * 500}".encode()
        for _ in range(count)
    ]


def latencies(app: Any, bodies: list[bytes]) -> list[float]:
    """Each request's time through ``app``, in µs."""
    scope = {"type": "http", "method": "POST", "path": "/invocations",
             "headers": [(b"content-type", b"text/csv")]}  # fmt: skip

    async def run() -> list[float]:
        found = []
        for body in bodies:
            messages = [{"type": "http.request", "body": body, "more_body": False}]

            async def receive(messages: list[Any] = messages) -> Any:
                return messages.pop(0) if messages else {"type": "http.disconnect"}

            async def send(message: Any) -> None:
                return None

            began = time.perf_counter_ns()
            await app(scope, receive, send)
            found.append((time.perf_counter_ns() - began) / 1000)
        return found

    return asyncio.run(run())


class Clock:
    """A clock that walks through the hour, a minute per ``per_minute`` requests."""

    def __init__(self, per_minute: int) -> None:
        self.calls, self.per_minute = 0, per_minute

    def __call__(self) -> datetime:
        self.calls += 1
        return START + timedelta(minutes=(self.calls // self.per_minute) % 60)


def writer(folder: Path, *, live: bool, per_minute: int) -> CaptureWriter:
    config = DataCaptureConfig(
        enable_capture=True, sampling_percentage=100, destination_s3_uri=str(folder)
    )
    return CaptureWriter(
        config, endpoint_name="bench", register=False, clock=Clock(per_minute),
        flush_interval=3600, max_buffer_bytes=1 << 40,
        live=LiveBias.create(ANALYSIS) if live else None,
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    args = parser.parse_args()
    bodies = requests(args.requests)
    per_minute = max(1, args.requests // 60)
    folder = Path(tempfile.mkdtemp(prefix="biaswatch-live-bench-"))
    latencies(model, bodies[:2000])  # warm-up
    figures: dict[str, list[float]] = {"bare app": latencies(model, bodies)}
    flushes: dict[str, float] = {}
    for live in (False, True):
        name = "capture + live counts" if live else "capture"
        capture = writer(folder / name.replace(" ", "-"), live=live, per_minute=per_minute)
        app = CaptureMiddleware(model, writer=capture)
        latencies(app, bodies[:2000])
        capture.flush()
        figures[name] = latencies(app, bodies)
        began = time.process_time()
        capture.flush()
        flushes[name] = (time.process_time() - began) / args.requests * 1e6
        capture.close()
    written = list((folder / "capture-+-live-counts").rglob("live/**/*.json"))
    size = sum(path.stat().st_size for path in written)
    cells = sum(
        len(counts)
        for path in written
        for counts in json.loads(path.read_text())["minutes"].values()
    )
    print(f"{args.requests:,} requests through an ASGI model app, in-process (Python "
          f"{sys.version.split()[0]}); latency per request, µs")  # fmt: skip
    print(f"{'':<24} {'median':>8} {'p99':>8}")
    for name, samples in figures.items():
        ordered = sorted(samples)
        print(f"{name:<24} {statistics.median(samples):>8.1f} "
              f"{ordered[int(len(ordered) * 0.99)]:>8.1f}")  # fmt: skip
    added = statistics.median(figures["capture + live counts"]) - statistics.median(
        figures["capture"]
    )
    print(f"added by live counts (median): {added:.1f} µs")
    print("writer thread at flush, CPU per record: "
          + ", ".join(f"{k} {v:.1f} µs" for k, v in flushes.items()))  # fmt: skip
    print(f"live counts after {args.requests:,} requests: {cells} (minute, sex, prediction)"
          f" cells in {len(written)} document(s) of {size:,} bytes")  # fmt: skip


if __name__ == "__main__":
    main()
