"""The vectorised kernels give what the scalar kernels give, resample by resample."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.strategies import Codes, codes

from biaswatch.constraints._batch import BATCH_KERNELS, CountBatch, batch_values
from biaswatch.metrics import REGISTRY, FacetCounts, MetricCode

COUNT_METRICS = sorted(code for code, spec in REGISTRY.items() if spec.kernel is not None)


def _assert_same(batch: CountBatch, code: MetricCode) -> None:
    got = batch_values(batch, code)
    kernel = REGISTRY[code].kernel
    assert kernel is not None
    for r, cells in enumerate(batch.cells):
        expected = kernel(FacetCounts(cells, batch.grouped, batch.missing_group)).value
        value = float(got[r])
        if expected is None:
            assert math.isnan(value), (code, cells.tolist(), value)
        elif math.isinf(expected):
            assert value == expected, (code, cells.tolist(), value)
        else:
            assert value == pytest.approx(expected, rel=1e-12, abs=1e-15), (code, cells.tolist())


def test_every_count_metric_has_a_batch_kernel() -> None:
    assert sorted(BATCH_KERNELS) == COUNT_METRICS
    with pytest.raises(KeyError):
        batch_values(CountBatch(np.zeros((1, 1, 2, 2, 2), dtype=np.int64)), MetricCode.FT)


def _random_batch(
    rng: np.random.Generator, *, groups: int, rows: int, grouped: bool, missing: bool
) -> CountBatch:
    """Tensors from skewed cell probabilities: empty sides and cells are common."""
    resamples = 200
    probabilities = rng.dirichlet(np.full(groups * 8, 0.3), size=resamples)
    draws = np.stack([rng.multinomial(rows, p) for p in probabilities]).astype(np.int64)
    return CountBatch(draws.reshape(resamples, groups, 2, 2, 2), grouped, missing)


@pytest.mark.parametrize(
    ("groups", "grouped", "missing"), [(1, False, False), (1, True, False), (3, True, True)]
)
@pytest.mark.parametrize("rows", [0, 1, 3, 8, 40, 400])
def test_random_and_degenerate_tensors(
    groups: int, grouped: bool, missing: bool, rows: int
) -> None:
    batch = _random_batch(
        np.random.default_rng(rows + 10 * groups), groups=groups, rows=rows, grouped=grouped,
        missing=missing,
    )  # fmt: skip
    for code in COUNT_METRICS:
        _assert_same(batch, code)


@given(st.lists(codes(max_rows=30, n_facet_values=2), min_size=1, max_size=4))
def test_tensors_of_rows(datasets: list[Codes]) -> None:
    """Batches of tensors counted from rows (the engine's tensors), grouped or not."""
    first = datasets[0]
    same = [
        d
        for d in datasets
        if d.n_groups == first.n_groups
        and d.missing_group == first.missing_group
        and (d.group is None) == (first.group is None)
    ]
    cells: npt.NDArray[np.int64] = np.stack([d.tensor().facet([1]).cells for d in same])
    batch = CountBatch(cells, first.group is not None, first.missing_group)
    for code in COUNT_METRICS:
        _assert_same(batch, code)


def test_the_batch_shape_is_checked() -> None:
    with pytest.raises(ValueError, match="shape"):
        CountBatch(np.zeros((2, 2, 2, 2), dtype=np.int64))
