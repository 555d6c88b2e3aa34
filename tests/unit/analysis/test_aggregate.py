"""An aggregated dataset (distinct rows with counts) gives the same analysis as its rows.

This is what lets an engine count elsewhere (Spark) and derive the metrics locally: over the
whole golden corpus, ``analysis.json`` of the aggregated dataset, with FT computed on the rows,
equals that of the rows themselves.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.golden.test_clarify_golden import CASES, mismatches

from biaswatch.analysis import analysis_document, analyze, read_dataset
from biaswatch.analysis.aggregate import aggregate_dataset, analysed_columns
from biaswatch.config import parse_analysis_config
from biaswatch.errors import BiaswatchError


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_aggregated_analysis_equals_the_rows(case: Path) -> None:
    config = parse_analysis_config((case / "analysis_config.json").read_bytes(), source=str(case))
    try:
        rows = read_dataset(case / "dataset.csv", config)
        expected = analysis_document(analyze(rows, config))
    except BiaswatchError as exc:  # a case whose config the data cannot satisfy
        with pytest.raises(type(exc)):
            analyze(aggregate_dataset(rows, config), config, ft_rows=rows)
        return
    aggregated = aggregate_dataset(rows, config)
    assert aggregated.rows == rows.rows
    assert aggregated.table.num_columns == len(analysed_columns(rows, config))
    actual = analysis_document(analyze(aggregated, config, ft_rows=rows))
    assert mismatches(expected, actual) == []


def test_without_rows_ft_is_an_error_entry() -> None:
    case = next(c for c in CASES if b'"FT"' in (c / "expected_analysis.json").read_bytes())
    config = parse_analysis_config((case / "analysis_config.json").read_bytes(), source="x")
    document = analysis_document(
        analyze(aggregate_dataset(read_dataset(case / "dataset.csv", config), config), config)
    )
    errors = [
        m.get("error")
        for entries in document["post_training_bias_metrics"]["facets"].values()
        for entry in entries
        for m in entry["metrics"]
        if m["name"] == "FT"
    ]
    assert errors
    assert all(e == "FT needs the feature rows, which were not kept" for e in errors)
