"""``min_facet_size``: a facet entry with fewer rows in *d* never alerts; exactly that many does."""

from __future__ import annotations

from typing import Any

import pytest

from biaswatch.config.rules import ViolationRules
from biaswatch.constraints import check_bias_drift

SECTION = "post_training_bias_metrics"


def _document(dppl: float) -> dict[str, Any]:
    entry = {"value_or_threshold": "0", "metrics": [{"name": "DPPL", "value": dppl}]}
    return {SECTION: {"facets": {"sex": [entry]}}}


CURRENT, BASELINE = _document(0.4), _document(0.1)  # |0.4| > |0.1|: a violation


@pytest.mark.parametrize(
    ("rows_in_d", "alerts"), [(99, False), (100, True), (101, True)], ids=["below", "at", "above"]
)
def test_the_minimum_itself_is_large_enough(rows_in_d: int, alerts: bool) -> None:
    rules = ViolationRules(min_facet_size=100)
    found = check_bias_drift(CURRENT, BASELINE, rules, facet_sizes={(SECTION, "sex", 0): rows_in_d})
    assert [v.metric_name for v in found] == (["DPPL"] if alerts else [])


def test_an_entry_without_a_known_size_is_checked() -> None:
    rules = ViolationRules(min_facet_size=100)
    assert len(check_bias_drift(CURRENT, BASELINE, rules, facet_sizes={})) == 1
    assert len(check_bias_drift(CURRENT, BASELINE, rules)) == 1


def test_sizes_are_matched_by_section_facet_and_position() -> None:
    rules = ViolationRules(min_facet_size=100)
    elsewhere = {("pre_training_bias_metrics", "sex", 0): 1, (SECTION, "sex", 1): 1}
    assert len(check_bias_drift(CURRENT, BASELINE, rules, facet_sizes=elsewhere)) == 1
