"""``biaswatch server`` as a process: it serves, runs the scheduler, and stops on SIGTERM."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(url: str) -> bytes:
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return bytes(response.read())
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_the_server_serves_and_shuts_down_cleanly() -> None:
    port = free_port()
    env = dict(os.environ) | {"BIASWATCH_API_TOKEN": "t0ken"}
    server = subprocess.Popen(
        [sys.executable, "-m", "biaswatch", "server", "--port", str(port),
         "--poll-interval", "0.2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        assert json.loads(wait_for(f"{base}/api/health"))["status"] == "ok"
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{base}/api/schedules", timeout=5)
        assert refused.value.code == 401
        refused.value.close()
        request = urllib.request.Request(
            f"{base}/api/schedules", headers={"Authorization": "Bearer t0ken"}
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert json.loads(response.read()) == []
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
        server.communicate()  # reaps it and closes its pipe
    # uvicorn finishes the shutdown, then ends by the signal it caught, as a service should.
    assert server.returncode in (0, -signal.SIGTERM), output
    assert f"Dashboard: http://127.0.0.1:{port}/" in output
    assert "Application shutdown complete" in output
    assert re.search(r"scheduler \S+ stopped", output), output
