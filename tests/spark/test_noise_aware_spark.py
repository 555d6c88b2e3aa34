"""Noise-aware constraints come from the counts: Spark's baseline gives the local one's bytes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.german_credit import CONFIG, load_german_credit, reference_table

from biaswatch.constraints.noise import NOISE_AWARE_FILE, WindowNoise
from biaswatch.jobs.baseline import run_baselining_job

HEADERS = ["sex", "age", "housing", "credit", "prediction"]


def test_spark_noise_aware_constraints_equal_local(tmp_path: Path, spark: Any) -> None:
    table = reference_table(load_german_credit())
    dataset = tmp_path / "credit.csv"
    columns = [table.column(name).to_pylist() for name in HEADERS]
    dataset.write_text(
        ",".join(HEADERS)
        + "\n"
        + "".join(",".join(map(str, row)) + "\n" for row in zip(*columns, strict=True))
    )
    config = CONFIG | {"dataset_type": "text/csv", "headers": HEADERS}
    noise = WindowNoise(400, resamples=500)
    outcomes = {
        engine: run_baselining_job(
            str(dataset), config, output_uri=str(tmp_path / engine), engine=engine, noise=noise
        )
        for engine in ("local", "spark")
    }
    assert outcomes["spark"].noise_aware == outcomes["local"].noise_aware
    assert (tmp_path / "spark" / NOISE_AWARE_FILE).read_bytes() == (
        tmp_path / "local" / NOISE_AWARE_FILE
    ).read_bytes()
