"""The Spark engine (extra ``spark``): Spark reads and counts, biaswatch derives the metrics.

Every metric but FT is a function of the count tensor, so Spark only has to group the rows by
the analysed columns and count them; the distinct rows with their counts come back to the
driver, where the local engine derives the metrics exactly as it does from rows. FT runs on a
bounded sample of rows. Importing this package does not import PySpark.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from biaswatch._lazy import lazy_exports

if TYPE_CHECKING:
    from biaswatch.spark.counting import FT_SAMPLE
    from biaswatch.spark.datasets import analyze_with_spark
    from biaswatch.spark.session import DEFAULT_MASTER, MASTER_VARIABLE, spark_session

__all__ = ["DEFAULT_MASTER", "FT_SAMPLE", "MASTER_VARIABLE", "analyze_with_spark", "spark_session"]

__getattr__, __dir__ = lazy_exports(__name__, __file__)
