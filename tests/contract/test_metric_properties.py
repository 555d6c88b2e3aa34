"""Properties every count-based metric in the registry must have (hypothesis)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.reference import Row, close, reference_metrics
from tests.strategies import Codes, codes, split

from biaswatch.metrics import REGISTRY, CountTensor, FacetCounts, MetricCode, Stage

COUNT_METRICS = [spec for spec in REGISTRY.values() if spec.kernel is not None]
# "a minus d" and "d minus a" differences: swapping the sides flips their sign.
ANTISYMMETRIC = {
    MetricCode.CI, MetricCode.DPL, MetricCode.DPPL, MetricCode.DCA, MetricCode.DCR,
    MetricCode.RD, MetricCode.SD, MetricCode.DAR, MetricCode.DRR, MetricCode.AD, MetricCode.TE,
}  # fmt: skip
BOUNDED = {
    MetricCode.CI, MetricCode.DPL, MetricCode.DPPL, MetricCode.RD, MetricCode.SD,
    MetricCode.DAR, MetricCode.DRR, MetricCode.AD, MetricCode.CDDL, MetricCode.CDDPL,
    MetricCode.TVD, MetricCode.KS,
}  # fmt: skip


def _swap(counts: FacetCounts) -> FacetCounts:
    return FacetCounts(counts.cells[:, ::-1].copy(), counts.grouped, counts.missing_group)


@given(codes())
def test_each_cell_counts_its_rows(data: Codes) -> None:
    cells = data.tensor().cells
    expected = np.zeros_like(cells)
    for row in range(len(data.facet)):
        group = 0 if data.group is None else data.group[row]
        expected[group, data.facet[row], int(data.label[row]), int(data.predicted[row])] += 1
    assert np.array_equal(cells, expected)


@given(st.data())
def test_counts_are_additive_over_a_split(draw: st.DataObject) -> None:
    data = draw.draw(codes())
    first, second = split(draw.draw, data)
    assert np.array_equal((first.tensor() + second.tensor()).cells, data.tensor().cells)
    assert np.array_equal((data.tensor() - second.tensor()).cells, first.tensor().cells)


@given(codes(), codes(), codes())
def test_addition_is_commutative_and_associative(x: Codes, y: Codes, z: Codes) -> None:
    shape = (2, 3)
    tensors = [
        CountTensor.from_codes(
            group=None if c.group is None else c.group % shape[0],
            facet=c.facet % shape[1],
            label=c.label,
            predicted=c.predicted,
            n_groups=shape[0],
            n_facet_values=shape[1],
            grouped=True,
        )
        for c in (x, y, z)
    ]
    a, b, c = tensors
    assert np.array_equal((a + b).cells, (b + a).cells)
    assert np.array_equal(((a + b) + c).cells, (a + (b + c)).cells)


@given(codes(min_rows=1), st.randoms(use_true_random=False))
def test_row_order_does_not_matter(data: Codes, random: object) -> None:
    order = np.arange(len(data.facet), dtype=np.intp)
    random.shuffle(order)  # type: ignore[attr-defined]
    before, after = data.tensor(), data.take(order).tensor()
    assert np.array_equal(before.cells, after.cells)
    for spec in COUNT_METRICS:
        assert spec.kernel is not None
        assert spec.kernel(before.facet([0])) == spec.kernel(after.facet([0]))


@pytest.mark.parametrize("spec", COUNT_METRICS, ids=lambda s: s.code.value)
@given(data=codes(min_rows=0, max_rows=40))
def test_kernel_equals_the_row_by_row_reference(spec: object, data: Codes) -> None:
    from biaswatch.metrics import MetricSpec

    assert isinstance(spec, MetricSpec)
    assert spec.kernel is not None
    sensitive = [0]
    got = spec.kernel(data.tensor().facet(sensitive))
    rows = [
        Row(data.group_of(i), bool(data.facet[i] in sensitive), bool(y), bool(p))
        for i, (y, p) in enumerate(zip(data.label, data.predicted, strict=True))
    ]
    value, error = reference_metrics(rows, grouped=data.group is not None)[spec.code.value]
    assert got.error == error
    if value is None:
        assert got.value is None
    else:
        assert got.value is not None
        assert close(got.value, value)
        assert type(got.value) is type(value)


@pytest.mark.parametrize("code", sorted(ANTISYMMETRIC), ids=str)
@given(data=codes(min_rows=1))
def test_differences_change_sign_when_a_and_d_swap(code: MetricCode, data: Codes) -> None:
    kernel = REGISTRY[code].kernel
    assert kernel is not None
    counts = data.tensor().facet([0])
    forward, backward = kernel(counts), kernel(_swap(counts))
    if forward.value is None or backward.value is None:
        return
    if math.isinf(forward.value):
        # x/0 on one side only: the swapped difference is the opposite infinity.
        assert backward.value == -forward.value
    else:
        assert close(forward.value, -backward.value)


@given(data=codes(min_rows=1))
def test_disparate_impact_is_reciprocal(data: Codes) -> None:
    kernel = REGISTRY[MetricCode.DI].kernel
    assert kernel is not None
    counts = data.tensor().facet([0])
    forward, backward = kernel(counts).value, kernel(_swap(counts)).value
    if forward is None or backward is None or forward in (0.0, math.inf) or backward == 0.0:
        return
    assert close(forward * backward, 1.0)


@pytest.mark.parametrize("spec", COUNT_METRICS, ids=lambda s: s.code.value)
@given(data=codes(min_rows=0))
def test_values_stay_in_range(spec: object, data: Codes) -> None:
    from biaswatch.metrics import MetricSpec

    assert isinstance(spec, MetricSpec)
    assert spec.kernel is not None
    value = spec.kernel(data.tensor().facet([0])).value
    if value is None:
        return
    assert not math.isnan(value)
    if spec.code in BOUNDED:
        assert -1.0 <= value <= 1.0
    if spec.code in (MetricCode.DI, MetricCode.LP, MetricCode.JS, MetricCode.GE):
        assert value >= 0.0
    if spec.code is MetricCode.JS:
        assert value <= math.log(2) + 1e-12


def test_every_stage_has_its_metrics() -> None:
    pre = {s.code.value for s in REGISTRY.values() if s.stage is Stage.PRE_TRAINING}
    post = {s.code.value for s in REGISTRY.values() if s.stage is Stage.POST_TRAINING}
    assert pre == {"CI", "DPL", "KL", "JS", "LP", "TVD", "KS", "CDDL"}
    assert post == {
        "DPPL", "DI", "DCA", "DCR", "RD", "SD", "DAR", "DRR", "AD", "CDDPL", "TE", "FT", "GE",
    }  # fmt: skip
