"""Every golden case: ``biaswatch analyze`` must write Clarify's own ``analysis.json``.

Same sections, facets, entries, metric names and order, descriptions, error strings and
``"Infinity"`` strings; floats equal to within 1e-12 relative; numbers keep their JSON type.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import GOLDEN, run_cli

CASES = sorted(p for p in GOLDEN.glob("case-*") if p.is_dir())


def mismatches(expected: Any, actual: Any, path: str = "$") -> list[str]:
    """Where ``actual`` departs from ``expected``: structure, key order, types and values."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict) or list(expected) != list(actual):
            keys = list(actual) if isinstance(actual, dict) else actual
            return [f"{path}: keys {list(expected)} != {keys}"]
        return [
            m for key in expected for m in mismatches(expected[key], actual[key], f"{path}.{key}")
        ]
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(expected) != len(actual):
            return [f"{path}: {len(expected)} items != {actual!r:.200}"]
        return [
            m
            for i, pair in enumerate(zip(expected, actual, strict=True))
            for m in mismatches(*pair, f"{path}[{i}]")
        ]
    if type(expected) is not type(actual):
        kinds = f"{type(actual).__name__} instead of {type(expected).__name__}"
        return [f"{path}: {actual!r} ({kinds}, expected {expected!r})"]
    if isinstance(expected, float):
        if not math.isclose(expected, actual, rel_tol=1e-12, abs_tol=0.0):
            return [f"{path}: {actual!r} != {expected!r}"]
        return []
    return [] if expected == actual else [f"{path}: {actual!r} != {expected!r}"]


def test_the_corpus_is_there() -> None:
    assert len(CASES) >= 32, f"golden corpus not found under {GOLDEN}"


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_analyze_matches_clarify(case: Path, tmp_path: Path) -> None:
    code = run_cli(
        [
            "analyze",
            "--analysis-config", str(case / "analysis_config.json"),
            "--dataset", str(case / "dataset.csv"),
            "--output-dir", str(tmp_path),
        ]
    )  # fmt: skip
    assert code == 0
    expected = json.loads((case / "expected_analysis.json").read_text())
    actual = json.loads((tmp_path / "analysis.json").read_text())
    assert mismatches(expected, actual) == []
    assert (tmp_path / "report.html").stat().st_size > 0


def test_the_comparison_catches_a_difference() -> None:
    expected = {"a": [{"value": 0.1, "name": "X"}], "b": "Infinity"}
    assert mismatches(expected, {"a": [{"value": 0.1, "name": "X"}], "b": "Infinity"}) == []
    assert mismatches(expected, {"a": [{"value": 0.1000001, "name": "X"}], "b": "Infinity"})
    assert mismatches(expected, {"a": [{"name": "X", "value": 0.1}], "b": "Infinity"})
    assert mismatches(expected, {"a": [{"value": 0.1, "name": "X"}], "b": "-Infinity"})
    assert mismatches({"v": 0}, {"v": 0.0})
