"""The Spark session biaswatch counts with: local, a standalone cluster, or Spark Connect.

``BIASWATCH_SPARK_MASTER`` (or the ``master`` argument) is ``local[*]`` by default, a
``spark://host:7077`` cluster, or a Spark Connect server ``sc://host:15002``. PySpark (with
its Connect client) is the extra ``spark`` and needs Java 17 or later.

The executors run biaswatch's decoders, so their Python must have biaswatch: with a local
master they run this interpreter; on a cluster, ``BIASWATCH_SPARK_PYTHON`` names the Python on
the executors' machines (``spark.pyspark.python``), else the cluster's own setting holds.
"""

from __future__ import annotations

import importlib.util
import os
import site
import sys
from pathlib import Path
from typing import Any

from biaswatch.errors import ConfigError

__all__ = ["DEFAULT_MASTER", "MASTER_VARIABLE", "PYTHON_VARIABLE", "spark_session"]

MASTER_VARIABLE = "BIASWATCH_SPARK_MASTER"
PYTHON_VARIABLE = "BIASWATCH_SPARK_PYTHON"
DEFAULT_MASTER = "local[*]"


def _share_packages() -> None:
    """Let local Python workers import biaswatch and this environment's packages.

    Spark starts its workers with the interpreter's real path, which loses a virtual
    environment; the JVM (started after this) passes ``PYTHONPATH`` on to them.
    """
    import biaswatch

    paths = [str(Path(biaswatch.__file__).resolve().parents[1]), *site.getsitepackages()]
    current = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join([*paths, *([current] if current else [])])


def spark_session(master: str | None = None) -> Any:
    """The active Spark session for ``master``, created when there is none."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise ConfigError(
            "engine 'spark' needs PySpark: pip install 'biaswatch[spark]' (and Java 17+)",
            field="engine",
            value="spark",
        ) from exc
    master = master or os.environ.get(MASTER_VARIABLE) or DEFAULT_MASTER
    builder = SparkSession.builder.appName("biaswatch")
    if master.startswith("sc://"):
        # PySpark exits the process when Spark Connect's dependencies are missing: check first.
        if importlib.util.find_spec("grpc") is None:
            raise ConfigError(
                f"{MASTER_VARIABLE}={master!r}: Spark Connect needs its client:"
                " pip install 'biaswatch[spark]' (or 'pyspark[connect]')",
                field=MASTER_VARIABLE,
                value=master,
            )
        return builder.remote(master).getOrCreate()
    if master.startswith("local"):
        _share_packages()
    # Local workers run this interpreter, which has biaswatch; a cluster's executors need
    # biaswatch installed, in the Python this names (else the cluster's own).
    python = sys.executable if master.startswith("local") else os.environ.get(PYTHON_VARIABLE)
    if python:
        builder = builder.config("spark.pyspark.python", python)
    session = (
        builder.master(master)
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session
