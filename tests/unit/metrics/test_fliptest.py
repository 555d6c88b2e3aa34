"""The flip test: sklearn's kNN with Clarify's parameters, whatever order the queries run in."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.neighbors import KNeighborsClassifier

from biaswatch.metrics import MetricValue, ft
from biaswatch.metrics._zorder import z_order


def clarify_ft(features: np.ndarray, sensitive: np.ndarray, predicted: np.ndarray) -> float:
    """FT as Clarify computes it: rows in their original order, one query at a time."""
    advantaged = ~sensitive
    knn = KNeighborsClassifier(
        n_neighbors=5 if advantaged.sum() > 9 else 1, weights="uniform", algorithm="auto",
        leaf_size=30, p=2, metric="minkowski",
    )  # fmt: skip
    knn.fit(features[advantaged], predicted[advantaged])
    d_rows = np.flatnonzero(sensitive)
    up = down = 0
    for row in d_rows:
        neighbour_vote = bool(knn.predict(features[row : row + 1])[0])
        up += predicted[row] and not neighbour_vote
        down += neighbour_vote and not predicted[row]
    return (up - down) / len(d_rows)


@given(
    features=hnp.arrays(
        np.float64,
        st.tuples(st.integers(2, 80), st.integers(1, 3)),
        elements=st.integers(0, 3).map(float),  # few distinct values: many equidistant neighbours
    ),
    data=st.data(),
)
def test_equals_clarify_row_by_row_even_with_ties(
    features: np.ndarray, data: st.DataObject
) -> None:
    rows = len(features)
    sensitive = np.array(data.draw(st.lists(st.booleans(), min_size=rows, max_size=rows)))
    predicted = np.array(data.draw(st.lists(st.booleans(), min_size=rows, max_size=rows)))
    result = ft(features, sensitive=sensitive, predicted=predicted, n_jobs=1)
    if not sensitive.any() or sensitive.all():
        assert result.value is None
        return
    assert result.value == clarify_ft(features, sensitive, predicted)


def test_errors_in_clarify_order() -> None:
    x = np.zeros((4, 1))
    flags = np.array([True, False, True, False])
    assert ft(x, sensitive=np.zeros(4, bool), predicted=flags) == MetricValue.failed(
        "Facet set is empty"
    )
    assert ft(x, sensitive=np.ones(4, bool), predicted=flags) == MetricValue.failed(
        "Negated Facet set is empty"
    )
    assert ft(None, sensitive=flags, predicted=flags) == MetricValue.failed(
        "FlipTest does not support non-numeric columns"
    )


def test_missing_feature_values_give_sklearn_message() -> None:
    x = np.array([[0.0], [np.nan], [1.0], [2.0]])
    result = ft(x, sensitive=np.array([True, False, False, True]), predicted=np.ones(4, bool))
    assert result.error is not None
    assert "NaN" in result.error


def test_no_feature_columns_gives_sklearn_message() -> None:
    flags = np.array([True, False, True, False])
    result = ft(np.empty((4, 0)), sensitive=flags, predicted=flags)
    assert result.error is not None
    assert "0 feature(s)" in result.error


@pytest.mark.parametrize("rows", [1, 2, 17])
def test_z_order_is_a_permutation(rows: int) -> None:
    points = np.random.default_rng(rows).normal(size=(rows, 3))
    assert sorted(z_order(points).tolist()) == list(range(rows))


def test_z_order_keeps_neighbours_together() -> None:
    grid = np.array([[x, y] for x in range(4) for y in range(4)], dtype=float)
    order = z_order(grid)
    # The first four points of a Z-order walk over a 4×4 grid are its lower-left 2×2 block.
    assert {tuple(p) for p in grid[order[:4]]} == {(0, 0), (0, 1), (1, 0), (1, 1)}
