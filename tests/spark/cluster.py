"""A standalone Spark cluster on loopback: a master and workers, from PySpark's own scripts.

``bin/spark-class`` of the installed PySpark starts ``deploy.master.Master`` and
``deploy.worker.Worker`` in the foreground; the cluster is ready when the master's status page
(JSON) lists every worker alive. Their logs are kept in the given folder, and shown when the
cluster does not come up.

The executors' Python workers must import biaswatch, as on any cluster where it is installed:
here the workers start with ``PYTHONPATH`` naming this checkout's ``src`` and this environment's
site-packages (Spark starts Python by its real path, outside the virtual environment, and passes
the worker's ``PYTHONPATH`` on).
"""

from __future__ import annotations

import json
import os
import site
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
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


@contextmanager
def standalone_cluster(folder: Path, *, workers: int = 2) -> Iterator[str]:
    """Start a master and ``workers`` one-core workers; yield ``spark://127.0.0.1:<port>``."""
    home = spark_home()
    spark_class = str(home / "bin" / "spark-class")
    packages = [str(Path(__file__).resolve().parents[2] / "src"), *site.getsitepackages()]
    environment = os.environ | {
        "PYTHONPATH": os.pathsep.join(packages),
        "SPARK_HOME": str(home),
        "SPARK_LOCAL_IP": "127.0.0.1",
        "SPARK_NO_DAEMONIZE": "1",
        "SPARK_WORKER_DIR": str(folder / "work"),
    }
    port, ui = _free_port(), _free_port()
    master_url = f"spark://127.0.0.1:{port}"
    logs: list[Path] = []
    processes: list[subprocess.Popen[bytes]] = []

    def start(name: str, *arguments: str) -> None:
        log = folder / f"{name}.log"
        logs.append(log)
        with log.open("wb") as output:
            processes.append(
                subprocess.Popen(
                    [spark_class, *arguments],
                    env=environment,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )

    folder.mkdir(parents=True, exist_ok=True)
    try:
        start(
            "master",
            "org.apache.spark.deploy.master.Master",
            "--host", "127.0.0.1", "--port", str(port), "--webui-port", str(ui),
        )  # fmt: skip
        for number in range(workers):
            start(
                f"worker-{number}",
                "org.apache.spark.deploy.worker.Worker",
                master_url,
                "--host", "127.0.0.1", "--cores", "1", "--memory", "1g",
                "--webui-port", str(_free_port()),
            )  # fmt: skip
        deadline = time.monotonic() + STARTUP_SECONDS
        status = f"http://127.0.0.1:{ui}/json/"
        while _alive_workers(status) < workers:
            if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
                shown = "\n".join(f"--- {log.name}\n{log.read_text()[-2000:]}" for log in logs)
                raise RuntimeError(f"the standalone cluster did not come up:\n{shown}")
            time.sleep(0.5)
        yield master_url
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
