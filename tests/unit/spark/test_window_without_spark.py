"""The Spark engine's checks and empty windows, which end before Spark is asked for anything."""

from __future__ import annotations

import sys
import uuid
from datetime import timedelta

import pytest
from tests.capture_data import WINDOW, T

from biaswatch.capture import TableLayout
from biaswatch.config import config_from_dict
from biaswatch.errors import ConfigError
from biaswatch.records import DecodingOptions
from biaswatch.spark import spark_session
from biaswatch.spark.window import count_batch_window, count_endpoint_window
from biaswatch.storage import hour_folder, join, write_bytes

CONFIG = config_from_dict(
    {
        "headers": ["a", "b", "y"],
        "label": "y",
        "label_values_or_threshold": [1],
        "facet": [{"name_or_index": "a"}],
    }
)


class _NoSession:
    """Stands for a Spark session that must not be used."""

    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"Spark was asked for {name}")


@pytest.mark.parametrize(
    "layout",
    [TableLayout(label="y"), TableLayout(label="y", headers=("a", "b", "y"), exclude_features="a")],
    ids=["no headers", "excluded features"],
)
def test_spark_needs_headers_and_no_excluded_features(layout: TableLayout) -> None:
    with pytest.raises(ConfigError, match="engine 'spark' needs the analysis config's headers"):
        count_endpoint_window(
            _NoSession(), capture_uri="memory://none", ground_truth_uri="memory://none",
            window=WINDOW, endpoint="ep", variant="AllTraffic", options=DecodingOptions(),
            layout=layout, config=CONFIG,
        )  # fmt: skip


def test_a_window_without_capture_files_is_empty() -> None:
    base = f"memory://spark-empty-{uuid.uuid4().hex}"
    counted = count_endpoint_window(
        _NoSession(), capture_uri=f"{base}/capture", ground_truth_uri=f"{base}/truth",
        window=WINDOW, endpoint="ep", variant="AllTraffic", options=DecodingOptions(),
        layout=TableLayout(label="y", headers=("a", "b", "y")), config=CONFIG,
    )  # fmt: skip
    assert counted.result is None
    assert (counted.diagnostics.capture_files, counted.diagnostics.engine) == (0, "spark")


def test_bad_batch_manifests_are_counted_and_sampled() -> None:
    base = f"memory://spark-manifests-{uuid.uuid4().hex}"
    manifest = join(base, "output", hour_folder(T - timedelta(hours=1)), "m.json")
    write_bytes(manifest, b"not json")
    counted = count_batch_window(
        _NoSession(), destination=base, ground_truth_uri=f"{base}/truth", window=WINDOW,
        dataset_format=None, options=DecodingOptions(),
        layout=TableLayout(label="y", headers=("a", "b", "y")), config=CONFIG,
    )  # fmt: skip
    assert counted.result is None
    assert counted.diagnostics.malformed_records == 1
    [sample] = counted.diagnostics.malformed_samples
    assert (sample.file, sample.line) == (manifest, 1)
    assert sample.reason.startswith("manifest is not valid JSON")


def test_without_pyspark_the_spark_engine_names_its_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)  # import raises ImportError
    with pytest.raises(ConfigError, match=r"pip install 'biaswatch\[spark\]'") as caught:
        spark_session("local[1]")
    assert caught.value.field == "engine"


def test_spark_reads_csv_and_parquet_datasets_only() -> None:
    from biaswatch.spark import analyze_with_spark

    config = config_from_dict(
        {
            "dataset_type": "application/jsonlines",
            "features": "features",
            "label": "y",
            "label_values_or_threshold": [1],
            "facet": [{"name_or_index": 0}],
        }
    )
    with pytest.raises(ConfigError, match="is not read by engine 'spark'") as caught:
        analyze_with_spark(_NoSession(), "memory://x.jsonl", config)
    assert (caught.value.field, caught.value.value) == ("dataset_type", "application/jsonlines")
