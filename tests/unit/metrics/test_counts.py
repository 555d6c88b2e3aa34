"""The count tensor's invariants and errors."""

from __future__ import annotations

import numpy as np
import pytest

from biaswatch.metrics import REGISTRY, CountTensor, FacetCounts, MetricCode, MetricValue


def _tensor(groups: int = 1, facets: int = 2) -> CountTensor:
    return CountTensor(np.ones((groups, facets, 2, 2), dtype=np.int64))


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        (np.ones((2, 2, 2), dtype=np.int64), "shape"),
        (np.ones((1, 2, 2, 2), dtype=np.int32), "int64"),
        (-np.ones((1, 2, 2, 2), dtype=np.int64), "negative"),
    ],
)
def test_invalid_tensors(cells: np.ndarray, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        CountTensor(cells)


def test_invalid_facet_counts() -> None:
    with pytest.raises(ValueError, match="shape"):
        FacetCounts(np.ones((1, 3, 2, 2), dtype=np.int64))


def test_tensors_of_other_shapes_do_not_add() -> None:
    with pytest.raises(ValueError, match="shapes"):
        _tensor(facets=2) + _tensor(facets=3)


def test_tensors_with_other_group_axes_do_not_add() -> None:
    grouped = CountTensor(np.ones((1, 2, 2, 2), dtype=np.int64), grouped=True)
    with pytest.raises(ValueError, match="group axes"):
        _tensor() + grouped


def test_subtracting_more_than_there_is() -> None:
    with pytest.raises(ValueError, match="negative"):
        _tensor() - (_tensor() + _tensor())


def test_codes_out_of_range() -> None:
    with pytest.raises(ValueError, match="out of range"):
        CountTensor.from_codes(
            group=None,
            facet=np.array([0, 5]),
            label=np.array([True, False]),
            predicted=None,
            n_groups=1,
            n_facet_values=2,
        )


def test_counting_in_chunks_equals_counting_at_once() -> None:
    rows = (1 << 20) + 3  # more than one chunk
    rng = np.random.default_rng(1)
    facet, group = rng.integers(0, 3, rows), rng.integers(0, 4, rows)
    label, predicted = rng.random(rows) < 0.3, rng.random(rows) < 0.6
    tensor = CountTensor.from_codes(
        group=group, facet=facet, label=label, predicted=predicted, n_groups=4, n_facet_values=3
    )
    flat = np.bincount(((facet * 4 + group) * 2 + label) * 2 + predicted, minlength=48)
    assert np.array_equal(tensor.cells, flat.reshape(3, 4, 2, 2).transpose(1, 0, 2, 3))
    assert tensor.n_groups == 4
    assert tensor.n_facet_values == 3


def test_a_metric_value_is_a_value_or_an_error() -> None:
    with pytest.raises(ValueError, match="either a value or an error"):
        MetricValue(0.5, "and an error")
    with pytest.raises(ValueError, match="either a value or an error"):
        MetricValue(None)
    assert not MetricValue.failed("x").defined


def test_only_ft_needs_features() -> None:
    assert [c for c, s in REGISTRY.items() if s.needs_features] == [MetricCode.FT]
