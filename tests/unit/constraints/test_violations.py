"""The bias-drift rule against the service's observed violations (spec §6.3, §10)."""

from __future__ import annotations

import math
from typing import Any

from biaswatch.constraints import (
    Violation,
    check_bias_drift,
    recorded_violations,
    violations_document,
)


def doc(
    facets: dict[str, list[tuple[str, dict[str, Any]]]], section: str = "post_training_bias_metrics"
) -> dict[str, Any]:
    return {
        "version": "1.0",
        section: {
            "label": "Target",
            "facets": {
                facet: [
                    {
                        "value_or_threshold": value,
                        "metrics": [
                            {"name": name, "description": name, "value": metric}
                            | ({"error": "x"} if metric is None else {})
                            for name, metric in sorted(metrics.items())
                        ],
                    }
                    for value, metrics in entries
                ]
                for facet, entries in facets.items()
            },
            "label_value_or_threshold": "1",
        },
    }


def test_the_service_examples() -> None:
    baseline = doc(
        {
            "Sex": [
                (
                    "0",
                    {
                        "CDDPL": 0.28176563733194276,
                        "TE": 2.916666666666667,
                        "DI": 0.17798594847775176,
                        "DPPL": 0.2199248120300752,
                        "AD": -0.15156641604010024,
                        "DAR": 0.0,
                        "SD": 0.0,
                    },
                )
            ]
        }
    )
    current = doc(
        {
            "Sex": [
                (
                    "0",
                    {
                        "CDDPL": 0.37489478252951314,
                        "TE": "Infinity",
                        "DI": 0.08312,
                        "DPPL": 0.2006,
                        "AD": 0.0528,
                        "DAR": -0.34693877551020413,
                        "SD": 0.0,
                    },
                )
            ]
        }
    )
    document = violations_document(check_bias_drift(current, baseline))
    assert document == {
        "version": "1.0",
        "violations": [
            {
                "facet": "Sex",
                "facet_value": "0",
                "metric_name": "CDDPL",
                "constraint_check_type": "bias_drift_check",
                "description": "Metric value 0.37489478252951314 doesn't meet the baseline"
                " constraint requirement 0.28176563733194276",
            },
            {
                "facet": "Sex",
                "facet_value": "0",
                "metric_name": "DAR",
                "constraint_check_type": "bias_drift_check",
                "description": "Metric value -0.34693877551020413 doesn't meet the baseline"
                " constraint requirement 0.0",
            },
            {
                "facet": "Sex",
                "facet_value": "0",
                "metric_name": "TE",
                "constraint_check_type": "bias_drift_check",
                "description": "Metric value Infinity doesn't meet the baseline constraint"
                " requirement 2.916666666666667",
            },
        ],
    }


def test_di_drifting_away_from_one_is_missed_and_toward_parity_is_flagged() -> None:
    # The abs() rule, exactly as the service applies it, DI included.
    assert (
        check_bias_drift(doc({"f": [("a", {"DI": 0.08})]}), doc({"f": [("a", {"DI": 0.17})]})) == []
    )
    [violation] = check_bias_drift(
        doc({"f": [("a", {"DI": 1.31746})]}), doc({"f": [("a", {"DI": 0.97626})]})
    )
    assert violation.current == 1.31746


def test_equal_is_not_a_violation_and_undefined_is_skipped() -> None:
    baseline = doc({"f": [("a", {"AD": 0.2, "CDDPL": None, "TE": 1.0})]})
    current = doc({"f": [("a", {"AD": -0.2, "CDDPL": 0.9, "TE": None})]})
    assert check_bias_drift(current, baseline) == []


def test_continuous_facets_match_by_position_not_interval() -> None:
    baseline = doc({"age": [("(40.0, 90.0]", {"DPPL": 0.1})]})
    current = doc({"age": [("(40.0, 93.0]", {"DPPL": -0.3})]})
    [violation] = check_bias_drift(current, baseline)
    assert violation.facet_value == "(40.0, 93.0]"


def test_pre_training_section_and_missing_facets() -> None:
    baseline = doc({"f": [("a", {"CI": 0.1})]}, section="pre_training_bias_metrics")
    current = doc(
        {"f": [("a", {"CI": -0.5})], "g": [("b", {"CI": 0.9})]}, section="pre_training_bias_metrics"
    )
    [violation] = check_bias_drift(current, baseline)
    assert (violation.section, violation.facet, violation.metric_name) == (
        "pre_training_bias_metrics",
        "f",
        "CI",
    )
    assert check_bias_drift(current, {"version": "1.0"}) == []


def test_negative_infinity_baseline_allows_anything() -> None:
    assert (
        check_bias_drift(doc({"f": [("a", {"TE": 5.0})]}), doc({"f": [("a", {"TE": "-Infinity"})]}))
        == []
    )
    assert math.isinf(
        check_bias_drift(
            doc({"f": [("a", {"TE": "-Infinity"})]}), doc({"f": [("a", {"TE": 5.0})]})
        )[0].current
    )


def test_a_violation_round_trips_through_an_executions_record() -> None:
    infinite = Violation("pre_training_bias_metrics", "sex", "0", "CI", -math.inf, 0.25)
    record = infinite.record()
    assert record == {
        "stage": "pre_training",
        "facet": "sex",
        "facet_value": "0",
        "metric": "CI",
        "value": "-Infinity",
        "baseline": 0.25,
    }
    assert Violation.from_record(record) == infinite
    assert infinite.key == ("pre_training", "sex", "0", "CI")
    # A record from before values were kept: the keys, with NaN values.
    old = Violation.from_record({k: record[k] for k in ("stage", "facet", "facet_value", "metric")})
    assert old.key == infinite.key
    assert math.isnan(old.current)
    assert math.isnan(old.baseline)
    assert recorded_violations({"violated": [record]}) == [infinite]
    assert recorded_violations(None) == []
