"""engine=spark gives the local engine's ``analysis.json`` over the whole golden corpus."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.golden.test_clarify_golden import CASES, mismatches

from biaswatch.analysis import analysis_document, analyze, read_dataset
from biaswatch.config import parse_analysis_config
from biaswatch.errors import BiaswatchError
from biaswatch.spark import analyze_with_spark


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_spark_equals_local(case: Path, spark: Any) -> None:
    config = parse_analysis_config((case / "analysis_config.json").read_bytes(), source="x")
    dataset = str(case / "dataset.csv")
    try:
        expected = analysis_document(analyze(read_dataset(case / "dataset.csv", config), config))
    except BiaswatchError as exc:
        with pytest.raises(type(exc)):
            analyze_with_spark(spark, dataset, config)
        return
    actual = analysis_document(analyze_with_spark(spark, dataset, config))
    assert mismatches(expected, actual) == []
