"""The count kernels over a batch of count tensors (bootstrap resamples), vectorised with numpy.

``cells[r, g, side, y, ŷ]`` holds ``R`` count tensors of one facet entry (side 0 = *a*,
1 = *d*), as :class:`~biaswatch.metrics.FacetCounts` holds one. Each kernel here returns the
``R`` values of one metric as float64, with NaN where the metric is undefined (where the scalar
kernel of :data:`~biaswatch.metrics.REGISTRY` returns an error). The formulas, the order of the
emptiness checks and Clarify's division rule (``0/0 = 0``, ``x/0 = ±inf``, two infinite ratios
differ by 0) are the scalar kernels'; ``tests/unit/constraints/test_batch.py`` checks every one
against its scalar kernel on random and degenerate tensors. On four facet entries of 4,000
resamples each they take 44 ms, a Python loop of the scalar kernels 0.7 s
(``benchmarks/rules.py``).

They live here, beside their only user (noise-aware constraints), because the metric layer is
another team's; they could move to ``biaswatch.metrics`` as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import numpy.typing as npt

from biaswatch.metrics import MetricCode

__all__ = ["BATCH_KERNELS", "CountBatch", "batch_values"]

Floats = npt.NDArray[np.float64]
Cells = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class _Side:
    """One side's confusion counts, one value per resample (as floats: exact below 2**53)."""

    tp: Floats
    fp: Floats
    fn: Floats
    tn: Floats

    @classmethod
    def of(cls, block: Cells) -> _Side:
        """Read a ``[R, y, ŷ]`` block."""
        counts = block.astype(np.float64)
        return cls(tp=counts[:, 1, 1], fp=counts[:, 0, 1], fn=counts[:, 1, 0], tn=counts[:, 0, 0])

    @property
    def n(self) -> Floats:
        return self.tp + self.fp + self.fn + self.tn

    @property
    def label_positive(self) -> Floats:
        return self.tp + self.fn

    @property
    def label_negative(self) -> Floats:
        return self.tn + self.fp

    @property
    def predicted_positive(self) -> Floats:
        return self.tp + self.fp

    @property
    def predicted_negative(self) -> Floats:
        return self.tn + self.fn


@dataclass(frozen=True, slots=True)
class CountBatch:
    """``R`` count tensors of one facet entry: ``cells[r, g, side, y, ŷ]``, with its group flags."""

    cells: Cells
    grouped: bool = False
    missing_group: bool = False
    _sides: tuple[_Side, _Side] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.cells.ndim != 5 or self.cells.shape[2:] != (2, 2, 2):
            raise ValueError(f"batch cells must have shape (R, G, 2, 2, 2), got {self.cells.shape}")
        # Every kernel reads the sides: derive them once (through the frozen dataclass).
        totals = self.cells.sum(axis=1)
        object.__setattr__(self, "_sides", (_Side.of(totals[:, 0]), _Side.of(totals[:, 1])))

    def sides(self) -> tuple[_Side, _Side]:
        """The confusion counts of *a* and of *d*, summed over groups."""
        return self._sides


def _divide(numerator: Floats, denominator: Floats) -> Floats:
    """Clarify's division, elementwise: ``0/0`` is 0 and ``x/0`` is ``±inf`` by the sign of x."""
    with np.errstate(divide="ignore", invalid="ignore"):
        quotient = numerator / denominator
    by_zero = np.where(numerator == 0, 0.0, np.copysign(np.inf, numerator))
    return np.where(denominator == 0, by_zero, quotient)


def _difference(first: Floats, second: Floats) -> Floats:
    """``first - second``, except that two ``+inf`` ratios differ by 0 (Clarify)."""
    with np.errstate(invalid="ignore"):
        return np.where((first == np.inf) & (second == np.inf), 0.0, first - second)


def _undefined_where(mask: npt.NDArray[np.bool_], values: Floats) -> Floats:
    return np.where(mask, np.nan, values)


def _empty(a: _Side, d: _Side) -> npt.NDArray[np.bool_]:
    """Where either side has no rows: every facet-comparing metric is undefined there."""
    empty: npt.NDArray[np.bool_] = (a.n == 0) | (d.n == 0)
    return empty


# ---------------------------------------------------------------------------- pre-training


def _ci(batch: CountBatch) -> Floats:
    a, d = batch.sides()
    with np.errstate(divide="ignore", invalid="ignore"):
        return _undefined_where(_empty(a, d), (a.n - d.n) / (a.n + d.n))


def _dpl(batch: CountBatch) -> Floats:
    a, d = batch.sides()
    with np.errstate(divide="ignore", invalid="ignore"):
        value = a.label_positive / a.n - d.label_positive / d.n
    return _undefined_where(_empty(a, d), value)


def _label_distributions(
    batch: CountBatch,
) -> tuple[list[tuple[Floats, Floats, npt.NDArray[np.bool_]]], npt.NDArray[np.bool_]]:
    """Per outcome (negative, positive): *a*'s and *d*'s shares and where both are non-zero.

    Also where no outcome is kept (the divergences are undefined there, as in Clarify).
    """
    a, d = batch.sides()
    outcomes = []
    with np.errstate(divide="ignore", invalid="ignore"):
        for a_count, d_count in (
            (a.label_negative, d.label_negative),
            (a.label_positive, d.label_positive),
        ):
            kept = (a_count > 0) & (d_count > 0)
            outcomes.append((a_count / a.n, d_count / d.n, kept))
    none_kept = ~(outcomes[0][2] | outcomes[1][2])
    return outcomes, none_kept


def _over_outcomes(batch: CountBatch, term: Callable[[Floats, Floats], Floats]) -> Floats:
    """The sum of ``term(p_a, p_d)`` over the outcomes both sides have; NaN where none."""
    outcomes, none_kept = _label_distributions(batch)
    total = np.zeros(len(batch.cells))
    with np.errstate(divide="ignore", invalid="ignore"):
        for p_a, p_d, kept in outcomes:
            total = total + np.where(kept, term(p_a, p_d), 0.0)
    return _undefined_where(none_kept, total)


def _kl(batch: CountBatch) -> Floats:
    return _over_outcomes(batch, lambda p_a, p_d: p_a * np.log(p_a / p_d))


def _js(batch: CountBatch) -> Floats:
    outcomes, none_kept = _label_distributions(batch)
    first = np.zeros(len(batch.cells))
    second = np.zeros(len(batch.cells))
    with np.errstate(divide="ignore", invalid="ignore"):
        for p_a, p_d, kept in outcomes:
            mean = (p_a + p_d) / 2
            first = first + np.where(kept, p_a * np.log(p_a / mean), 0.0)
            second = second + np.where(kept, p_d * np.log(p_d / mean), 0.0)
    return _undefined_where(none_kept, 0.5 * (first + second))


def _lp(batch: CountBatch) -> Floats:
    return np.sqrt(_over_outcomes(batch, lambda p_a, p_d: (p_a - p_d) ** 2))


def _tvd(batch: CountBatch) -> Floats:
    return 0.5 * _over_outcomes(batch, lambda p_a, p_d: np.abs(p_a - p_d))


def _ks(batch: CountBatch) -> Floats:
    outcomes, none_kept = _label_distributions(batch)
    largest = np.zeros(len(batch.cells))
    with np.errstate(invalid="ignore"):
        for p_a, p_d, kept in outcomes:
            largest = np.maximum(largest, np.where(kept, np.abs(p_a - p_d), 0.0))
    return _undefined_where(none_kept, largest)


def _cdd(batch: CountBatch, *, predicted: bool) -> Floats:
    """CDDL or CDDPL: see :func:`biaswatch.metrics.cdd.cdd`."""
    resamples = len(batch.cells)
    if not batch.grouped:
        return np.full(resamples, np.nan)
    # by_outcome[r, g, side, outcome]: the other outcome summed away.
    by_outcome = batch.cells.sum(axis=3 if predicted else 4).astype(np.float64)
    overall = by_outcome.sum(axis=(1, 2))
    undefined = (overall[:, 1] == 0) | (overall[:, 0] == 0)
    sizes = by_outcome.sum(axis=(2, 3))
    if batch.missing_group:
        by_outcome[:, -1] = 0.0
        sizes[:, -1] = 0.0
    accepted = by_outcome[:, :, :, 1].sum(axis=2)
    rejected = by_outcome[:, :, :, 0].sum(axis=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        share_accepted = np.where(accepted != 0, by_outcome[:, :, 1, 1] / accepted, 0.0)
        share_rejected = np.where(rejected != 0, by_outcome[:, :, 1, 0] / rejected, 0.0)
    disparity = share_rejected - share_accepted
    value = _divide(np.sum(sizes * disparity, axis=1), np.sum(sizes, axis=1))
    return _undefined_where(undefined, value)


# ---------------------------------------------------------------------------- post-training


def _dppl(batch: CountBatch) -> Floats:
    a, d = batch.sides()
    with np.errstate(divide="ignore", invalid="ignore"):
        value = a.predicted_positive / a.n - d.predicted_positive / d.n
    return _undefined_where(_empty(a, d), value)


def _di(batch: CountBatch) -> Floats:
    a, d = batch.sides()
    with np.errstate(divide="ignore", invalid="ignore"):
        value = _divide(d.predicted_positive / d.n, a.predicted_positive / a.n)
    return _undefined_where(_empty(a, d), value)


def _compared(batch: CountBatch, rate: Callable[[_Side], Floats], *, a_minus_d: bool) -> Floats:
    """A difference of two per-side ratios (a minus d, or d minus a); NaN where a side is empty."""
    a, d = batch.sides()
    first, second = (rate(a), rate(d)) if a_minus_d else (rate(d), rate(a))
    return _undefined_where(_empty(a, d), _difference(first, second))


def _dca(batch: CountBatch) -> Floats:
    return _compared(
        batch, lambda s: _divide(s.label_positive, s.predicted_positive), a_minus_d=True
    )


def _dcr(batch: CountBatch) -> Floats:
    return _compared(
        batch, lambda s: _divide(s.label_negative, s.predicted_negative), a_minus_d=False
    )


def _rd(batch: CountBatch) -> Floats:
    return _compared(batch, lambda s: _divide(s.tp, s.tp + s.fn), a_minus_d=True)


def _sd(batch: CountBatch) -> Floats:
    return _compared(batch, lambda s: _divide(s.tn, s.tn + s.fp), a_minus_d=False)


def _dar(batch: CountBatch) -> Floats:
    return _compared(batch, lambda s: _divide(s.tp, s.predicted_positive), a_minus_d=True)


def _drr(batch: CountBatch) -> Floats:
    return _compared(batch, lambda s: _divide(s.tn, s.predicted_negative), a_minus_d=False)


def _ad(batch: CountBatch) -> Floats:
    return _compared(batch, lambda s: _divide(s.tp + s.tn, s.n), a_minus_d=True)


def _te(batch: CountBatch) -> Floats:
    return _compared(batch, lambda s: _divide(s.fn, s.fp), a_minus_d=False)


def _ge(batch: CountBatch) -> Floats:
    a, d = batch.sides()
    tp, fp, fn, tn = a.tp + d.tp, a.fp + d.fp, a.fn + d.fn, a.tn + d.tn
    rows = tp + fp + fn + tn
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_benefit = (tp + tn + 2 * fp) / rows
        total = (
            fn * ((0 / mean_benefit) ** 2 - 1)
            + (tp + tn) * ((1 / mean_benefit) ** 2 - 1)
            + fp * ((2 / mean_benefit) ** 2 - 1)
        )
        value = total / (rows * 2)
    return _undefined_where((rows == 0) | (mean_benefit == 0), value)


BATCH_KERNELS: Mapping[MetricCode, Callable[[CountBatch], Floats]] = MappingProxyType(
    {
        MetricCode.CI: _ci,
        MetricCode.DPL: _dpl,
        MetricCode.KL: _kl,
        MetricCode.JS: _js,
        MetricCode.LP: _lp,
        MetricCode.TVD: _tvd,
        MetricCode.KS: _ks,
        MetricCode.CDDL: lambda batch: _cdd(batch, predicted=False),
        MetricCode.DPPL: _dppl,
        MetricCode.DI: _di,
        MetricCode.DCA: _dca,
        MetricCode.DCR: _dcr,
        MetricCode.RD: _rd,
        MetricCode.SD: _sd,
        MetricCode.DAR: _dar,
        MetricCode.DRR: _drr,
        MetricCode.AD: _ad,
        MetricCode.CDDPL: lambda batch: _cdd(batch, predicted=True),
        MetricCode.TE: _te,
        MetricCode.GE: _ge,
    }
)
"""A vectorised kernel for every metric that has a count kernel (all but FT)."""


def batch_values(batch: CountBatch, code: MetricCode) -> Floats:
    """The metric ``code`` of every tensor of ``batch``; NaN where it is undefined.

    Raises
    ------
    KeyError
        If ``code`` has no count kernel (FT).
    """
    return BATCH_KERNELS[code](batch)
