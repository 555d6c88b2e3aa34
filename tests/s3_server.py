"""A real S3 API server on loopback for the tests: moto in server mode, in its own process."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def moto_server() -> Iterator[str]:
    """Start ``moto.server`` on a free loopback port; yield its URL; stop it afterwards."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/moto-api/", timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the moto S3 server did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def silent_server() -> Iterator[tuple[str, threading.Event]]:
    """A loopback "S3 server" that takes connections and never answers: storage that hangs.

    Yields its URL and an event set once a client has connected. Point
    ``BIASWATCH_S3_ENDPOINT_URL`` at it and every ``s3://`` read blocks (until botocore's read
    timeout, a minute), as on a stalled network.
    """
    connected = threading.Event()
    held: list[socket.socket] = []
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        listener.settimeout(0.2)

        def accept() -> None:
            while not stopping.is_set():
                try:
                    held.append(listener.accept()[0])
                    connected.set()
                except OSError:
                    continue

        stopping = threading.Event()
        acceptor = threading.Thread(target=accept, daemon=True)
        acceptor.start()
        try:
            yield f"http://127.0.0.1:{listener.getsockname()[1]}", connected
        finally:
            stopping.set()
            acceptor.join()
            for connection in held:
                connection.close()
