"""A baselining job with engine=spark writes the local engine's constraints."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.golden.test_clarify_golden import CASES

from biaswatch.jobs.baseline import run_baselining_job


def test_spark_baseline_equals_local(tmp_path: Path, spark: Any) -> None:
    case = next(
        c
        for c in CASES
        if "predicted_label" in json.loads((c / "analysis_config.json").read_text())
        and "post_training_bias_metrics" in json.loads((c / "expected_analysis.json").read_text())
    )
    config = json.loads((case / "analysis_config.json").read_text())
    dataset = str(case / "dataset.csv")
    local = run_baselining_job(dataset, config, output_uri=str(tmp_path / "local"), engine="local")
    counted = run_baselining_job(
        dataset, config, output_uri=str(tmp_path / "spark"), engine="spark"
    )
    assert counted.analysis == local.analysis
    for name in ("analysis_config.json", "analysis.json", "report.html"):
        assert (tmp_path / "spark" / name).exists()
