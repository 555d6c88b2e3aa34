"""A model behind a real HTTP server on loopback: the Adult logistic model, CSV/JSON Lines/JSON."""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

MODEL = json.loads((Path(__file__).parent / "data" / "adult-model.json").read_text())


def score(features: list[float]) -> float:
    """The model's probability of the positive label."""
    z = sum(w * float(x) for w, x in zip(MODEL["weights"], features, strict=True)) + MODEL["bias"]
    return 1 / (1 + math.exp(-z))


@dataclass
class ModelServer:
    """Where the server listens, and what it was sent."""

    url: str
    requests: list[tuple[str, int]] = field(default_factory=list)  # (content type, records)
    fail_with: int | None = None
    answer: bytes | None = None


def _answer(content_type: str, body: str) -> tuple[str, int]:
    if "csv" in content_type:
        rows = [line.split(",") for line in body.splitlines() if line]
        return "\n".join(str(score(list(map(float, r)))) for r in rows), len(rows)
    if "jsonlines" in content_type:
        records = [json.loads(line)["features"] for line in body.splitlines() if line]
        lines = [
            json.dumps({"score": score(r), "predicted_label": int(score(r) > 0.8)}) for r in records
        ]
        return "\n".join(lines), len(records)
    instances: list[Any] = json.loads(body)["instances"]
    return json.dumps({"predictions": [{"score": score(r)} for r in instances]}), len(instances)


@contextmanager
def model_server() -> Iterator[ModelServer]:
    """Serve the model on a free loopback port for the duration of the block."""
    state = ModelServer("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            kind = self.headers["Content-Type"]
            if state.fail_with is not None:
                self.send_error(state.fail_with, "the model is unwell")
                return
            text, count = _answer(kind, body)
            state.requests.append((kind, count))
            payload = state.answer if state.answer is not None else text.encode()
            self.send_response(200)
            self.send_header("Content-Type", self.headers.get("Accept") or kind)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/invocations"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
