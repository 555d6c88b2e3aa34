"""A standalone Spark cluster on loopback (a master and workers), and a Spark Connect server,
from PySpark's own scripts.

``bin/spark-class`` of the installed PySpark starts ``deploy.master.Master`` and
``deploy.worker.Worker`` in the foreground; the cluster is ready when the master's status page
(JSON) lists every worker alive. Their logs are kept in the given folder, and shown when the
cluster does not come up.

The executors' Python workers must import biaswatch, as on any cluster where it is installed:
here the workers start with ``PYTHONPATH`` naming this checkout's ``src`` and this environment's
site-packages (Spark starts Python by its real path, outside the virtual environment, and passes
the worker's ``PYTHONPATH`` on). The Connect server (``bin/spark-submit`` of
``SparkConnectServer``, with ``local[2]``) runs them likewise.
"""

from __future__ import annotations

import json
import os
import site
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

STARTUP_SECONDS = 120


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).resolve().parent


def _alive_workers(status_url: str) -> int:
    try:
        with urllib.request.urlopen(status_url, timeout=2) as answer:
            return int(json.load(answer).get("aliveworkers", 0))
    except OSError:
        return 0


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


class _Processes:
    """Spark's processes started from its scripts in ``folder``, with their logs."""

    def __init__(self, folder: Path) -> None:
        home = spark_home()
        packages = [str(Path(__file__).resolve().parents[2] / "src"), *site.getsitepackages()]
        self.home = home
        self.folder = folder
        self.environment = os.environ | {
            "PYTHONPATH": os.pathsep.join(packages),
            "SPARK_HOME": str(home),
            "SPARK_LOCAL_IP": "127.0.0.1",
            "SPARK_NO_DAEMONIZE": "1",
            "SPARK_WORKER_DIR": str(folder / "work"),
        }
        self.logs: list[Path] = []
        self.running: list[subprocess.Popen[bytes]] = []
        folder.mkdir(parents=True, exist_ok=True)

    def start(self, name: str, script: str, *arguments: str) -> None:
        log = self.folder / f"{name}.log"
        self.logs.append(log)
        with log.open("wb") as output:
            self.running.append(
                subprocess.Popen(
                    [str(self.home / "bin" / script), *arguments],
                    env=self.environment,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )

    def wait_until(self, ready: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not ready():
            if time.monotonic() > deadline or any(p.poll() is not None for p in self.running):
                shown = "\n".join(f"--- {log.name}\n{log.read_text()[-2000:]}" for log in self.logs)
                raise RuntimeError(f"{what} did not come up:\n{shown}")
            time.sleep(0.5)

    def stop(self) -> None:
        for process in self.running:
            process.terminate()
        for process in self.running:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


@contextmanager
def standalone_cluster(folder: Path, *, workers: int = 2) -> Iterator[str]:
    """Start a master and ``workers`` one-core workers; yield ``spark://127.0.0.1:<port>``."""
    processes = _Processes(folder)
    port, ui = _free_port(), _free_port()
    master_url = f"spark://127.0.0.1:{port}"
    try:
        processes.start(
            "master", "spark-class", "org.apache.spark.deploy.master.Master",
            "--host", "127.0.0.1", "--port", str(port), "--webui-port", str(ui),
        )  # fmt: skip
        for number in range(workers):
            processes.start(
                f"worker-{number}", "spark-class", "org.apache.spark.deploy.worker.Worker",
                master_url,
                "--host", "127.0.0.1", "--cores", "1", "--memory", "1g",
                "--webui-port", str(_free_port()),
            )  # fmt: skip
        status = f"http://127.0.0.1:{ui}/json/"
        processes.wait_until(lambda: _alive_workers(status) >= workers, "the standalone cluster")
        yield master_url
    finally:
        processes.stop()


@contextmanager
def connect_server(folder: Path) -> Iterator[str]:
    """Start a Spark Connect server running ``local[2]``; yield ``sc://127.0.0.1:<port>``.

    Its Python workers run this interpreter (``spark.pyspark.python``), with biaswatch.
    """
    processes = _Processes(folder)
    port = _free_port()
    try:
        processes.start(
            "connect", "spark-submit",
            "--class", "org.apache.spark.sql.connect.service.SparkConnectServer",
            "--master", "local[2]",
            "--conf", "spark.connect.grpc.binding.address=127.0.0.1",
            "--conf", f"spark.connect.grpc.binding.port={port}",
            "--conf", f"spark.pyspark.python={sys.executable}",
            "--conf", "spark.ui.enabled=false",
        )  # fmt: skip
        processes.wait_until(lambda: _listening(port), "the Spark Connect server")
        yield f"sc://127.0.0.1:{port}"
    finally:
        processes.stop()
