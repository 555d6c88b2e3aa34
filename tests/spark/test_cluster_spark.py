"""The Spark engine on a real standalone cluster (a master and two workers on loopback), and
through a real Spark Connect server.

The check runs in a fresh process, as a user's would, with ``BIASWATCH_SPARK_MASTER`` pointing
at the cluster (and ``BIASWATCH_SPARK_PYTHON`` at this environment's Python: the executors run
biaswatch's decoders) or at the Connect server. Every golden case and a monitoring window give
the local engine's result.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
from tests.golden.test_clarify_golden import CASES
from tests.spark.cluster import connect_server, standalone_cluster

REPO = Path(__file__).resolve().parents[2]


def _check(master: str, folder: Path, **variables: str) -> dict[str, Any]:
    """``tests.spark.cluster_check``'s report, from a fresh process using ``master``."""
    environment = (
        os.environ
        | variables
        | {
            "BIASWATCH_SPARK_MASTER": master,
            "SPARK_LOCAL_IP": "127.0.0.1",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        }
    )
    done = subprocess.run(
        [sys.executable, "-m", "tests.spark.cluster_check", str(folder)],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    report: dict[str, Any] = orjson.loads(done.stdout.strip().splitlines()[-1])
    return report


def _same_as_local(report: dict[str, Any]) -> None:
    assert sorted(report["golden"]) == sorted(case.name for case in CASES)
    assert {name: found for name, found in report["golden"].items() if found} == {}
    window = report["window"]
    assert window["statuses"] == ["CompletedWithViolations"] * 2
    assert window["mismatches"] == []
    assert window["rows"] == [400, 400]
    assert window["engine"] == "spark"
    assert window["violations"][0] == window["violations"][1] > 0


@pytest.mark.xdist_group("spark-cluster")
def test_the_golden_corpus_and_a_window_on_a_standalone_cluster(tmp_path: Path) -> None:
    with standalone_cluster(tmp_path / "cluster") as master:
        report = _check(master, tmp_path / "window", BIASWATCH_SPARK_PYTHON=sys.executable)
    assert report["master"] == master
    assert report["python"] == sys.executable  # BIASWATCH_SPARK_PYTHON, for the executors
    assert {os.path.realpath(p) for p in report["executor_pythons"]} == {
        os.path.realpath(sys.executable)
    }
    assert report["executors"] >= 3  # the driver and an executor on each worker
    _same_as_local(report)


@pytest.mark.xdist_group("spark-cluster")
def test_the_golden_corpus_and_a_window_through_spark_connect(tmp_path: Path) -> None:
    with connect_server(tmp_path / "connect") as remote:
        report = _check(remote, tmp_path / "window")
    assert report["session"] == "pyspark.sql.connect.session"
    assert report["local_jvm"] is False  # the work ran on the server
    _same_as_local(report)
