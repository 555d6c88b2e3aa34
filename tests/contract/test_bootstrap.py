"""Bootstrap intervals from the count tensor: calibrated, and the same as a row bootstrap.

Simulated data with a known bias: a population where women (d) are predicted positive less
often than men (a). The true DPPL is the difference of the two prediction rates.
"""

from __future__ import annotations

import numpy as np

from biaswatch.metrics import REGISTRY, CountTensor, FacetCounts, MetricCode
from biaswatch.metrics.bootstrap import bootstrap_intervals

KERNEL = REGISTRY[MetricCode.DPPL].kernel
assert KERNEL is not None
DPPL = {MetricCode.DPPL: KERNEL}
SHARE_D, RATE_A, RATE_D = 0.35, 0.45, 0.30
TRUE_DPPL = RATE_A - RATE_D  # q_a − q_d


def sample(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    facet = (rng.random(n) < SHARE_D).astype(np.int64)
    predicted = rng.random(n) < np.where(facet == 1, RATE_D, RATE_A)
    label = rng.random(n) < 0.4
    return facet, label, predicted


def counts_of(facet: np.ndarray, label: np.ndarray, predicted: np.ndarray) -> FacetCounts:
    tensor = CountTensor.from_codes(
        group=None, facet=facet, label=label, predicted=predicted, n_groups=1, n_facet_values=2
    )
    return tensor.facet([1])


def test_95_percent_intervals_cover_the_true_value_93_to_97_percent_of_the_time() -> None:
    rng = np.random.default_rng(2026)
    covered = 0
    repetitions = 1000
    for repetition in range(repetitions):
        counts = counts_of(*sample(rng, 1500))
        interval = bootstrap_intervals(counts, DPPL, resamples=400, seed=repetition)[
            MetricCode.DPPL
        ]
        assert interval is not None
        covered += interval.lower <= TRUE_DPPL <= interval.upper
    assert 0.93 <= covered / repetitions <= 0.97, covered


def test_count_bootstrap_equals_row_bootstrap_in_distribution() -> None:
    rng = np.random.default_rng(7)
    facet, label, predicted = sample(rng, 800)
    kernel = REGISTRY[MetricCode.DPPL].kernel
    assert kernel is not None
    resamples = 2000
    rows = []
    for _ in range(resamples):
        chosen = rng.integers(0, len(facet), len(facet))
        value = kernel(counts_of(facet[chosen], label[chosen], predicted[chosen])).value
        assert value is not None
        rows.append(value)
    counts = counts_of(facet, label, predicted)
    flat = counts.cells.reshape(-1)
    draws = np.random.default_rng(8).multinomial(flat.sum(), flat / flat.sum(), size=resamples)
    cells = [
        kernel(FacetCounts(d.reshape(counts.cells.shape).astype(np.int64))).value for d in draws
    ]
    a, b = np.sort(rows), np.sort(np.asarray(cells, dtype=float))
    grid = np.union1d(a, b)
    ks = np.max(np.abs(np.searchsorted(a, grid, "right") / resamples
                       - np.searchsorted(b, grid, "right") / resamples))  # fmt: skip
    # Two samples of 2000 from one distribution: KS above 0.043 has probability < 5 %.
    assert ks < 0.043, ks
    assert abs(np.mean(a) - np.mean(b)) < 0.003
    assert abs(np.std(a) - np.std(b)) / np.std(a) < 0.08
