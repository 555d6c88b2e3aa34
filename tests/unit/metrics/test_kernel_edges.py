"""The kernels' rare cases: infinite ratios on both sides, all false negatives, bootstrap limits."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from biaswatch.metrics import FacetCounts, MetricCode, MetricValue, ft, ft_available, guide_of
from biaswatch.metrics.bootstrap import bootstrap_intervals
from biaswatch.metrics.fliptest import FT_UNAVAILABLE
from biaswatch.metrics.posttraining import dca, dcr, dppl, ge


def counts(a: tuple[int, int, int, int], d: tuple[int, int, int, int]) -> FacetCounts:
    """Facet counts from (tp, fp, fn, tn) of *a* and of *d*."""
    cells = np.zeros((1, 2, 2, 2), dtype=np.int64)
    for side, (tp, fp, fn, tn) in enumerate((a, d)):
        cells[0, side] = [[tn, fp], [fn, tp]]  # cells[group, side, y, ŷ]
    return FacetCounts(cells)


def test_dca_of_two_infinite_acceptance_ratios_is_the_integer_zero() -> None:
    # No predicted positives, some observed ones: c = n(1) / 0 = inf on both sides (Clarify: 0).
    value = dca(counts((0, 0, 2, 1), (0, 0, 1, 3)))
    assert value == MetricValue(0)
    assert isinstance(value.value, int)


def test_dcr_of_two_infinite_rejection_ratios_is_the_integer_zero() -> None:
    value = dcr(counts((2, 1, 0, 0), (1, 3, 0, 0)))  # no predicted negatives, some observed
    assert value == MetricValue(0)
    assert isinstance(value.value, int)


def test_dca_of_one_infinite_ratio_stays_infinite() -> None:
    assert dca(counts((0, 0, 2, 1), (1, 1, 1, 1))).value == float("inf")


def test_ge_when_every_prediction_is_a_false_negative_is_an_error() -> None:
    value = ge(counts((0, 0, 3, 0), (0, 0, 2, 0)))
    assert value.value is None
    assert value.error is not None
    assert value.error.startswith("All predicted labels are false negatives")


@pytest.mark.parametrize(("level", "resamples"), [(0.0, 100), (1.0, 100), (1.5, 100), (0.9, 1)])
def test_bootstrap_rejects_a_level_outside_zero_one_and_fewer_than_two_resamples(
    level: float, resamples: int
) -> None:
    kernels = {MetricCode.DPPL: dppl}
    with pytest.raises(ValueError, match=r"^(level|resamples) must be"):
        bootstrap_intervals(counts((1, 1, 1, 1), (1, 1, 1, 1)), kernels, level=level,
                            resamples=resamples)  # fmt: skip


def test_bootstrap_of_no_rows_has_no_interval() -> None:
    kernels = {MetricCode.DPPL: dppl}
    assert bootstrap_intervals(counts((0, 0, 0, 0), (0, 0, 0, 0)), kernels) == {
        MetricCode.DPPL: None
    }


def test_bootstrap_of_a_metric_undefined_in_every_resample_has_no_interval() -> None:
    # d is empty in the data, so it is empty in every resample: DPPL is never defined.
    kernels = {
        MetricCode.DPPL: dppl,
        MetricCode.GE: ge,
    }
    found = bootstrap_intervals(counts((5, 3, 2, 4), (0, 0, 0, 0)), kernels, resamples=50)
    assert found[MetricCode.DPPL] is None
    interval = found[MetricCode.GE]
    assert interval is not None
    assert interval.defined == 1.0
    assert interval.lower <= interval.upper


def test_ft_without_scikit_learn_is_an_error_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sklearn.neighbors", None)  # import raises ImportError
    assert not ft_available()
    features = np.array([[0.0], [1.0], [2.0], [3.0]])
    value = ft(
        features,
        sensitive=np.array([False, False, True, True]),
        predicted=np.array([False, True, True, False]),
    )
    assert value == MetricValue.failed(FT_UNAVAILABLE)


def test_ft_with_a_missing_feature_value_reports_scikit_learns_message() -> None:
    features = np.array([[0.0], [1.0], [np.nan], [3.0]])
    value = ft(
        features,
        sensitive=np.array([False, False, True, True]),
        predicted=np.array([False, True, True, False]),
        n_jobs=1,
    )
    assert value.value is None
    assert value.error is not None
    assert "NaN" in value.error


def test_a_code_biaswatch_does_not_know_has_no_guide() -> None:
    assert guide_of("XYZ") is None
    guide = guide_of("DPPL")
    assert guide is not None
    assert guide.ideal == 0.0
