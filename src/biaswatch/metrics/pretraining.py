"""Pre-training metrics: they compare the labels of facet *d* with those of the rest, *a*.

Every kernel takes a ``FacetCounts`` and returns a ``MetricValue``; the error messages and the
order in which emptiness is checked are Clarify's, metric by metric.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from biaswatch.metrics.cdd import cdd
from biaswatch.metrics.counts import FacetCounts
from biaswatch.metrics.value import MetricValue

__all__ = ["cddl", "ci", "dpl", "js", "kl", "ks", "lp", "tvd"]

_NO_COMMON_OUTCOME = "No instance of common facet found, dataset may be too small"

FloatArray = npt.NDArray[np.float64]


def ci(counts: FacetCounts) -> MetricValue:
    r"""Class Imbalance (CI): :math:`(n_a - n_d) / (n_a + n_d)`.

    Range ``[-1, 1]``; 0 means both sides have as many rows, positive values mean *d* is
    under-represented.

    Examples
    --------
    >>> from biaswatch.metrics._examples import example_counts
    >>> ci(example_counts()).value
    0.2
    """
    a, d = counts.sides()
    if a.n == 0:
        return MetricValue.failed(
            "CI: negated facet set is empty. Check that x[~facet] has non-zero length."
        )
    if d.n == 0:
        return MetricValue.failed(
            "CI: facet set is empty. Check that x[facet] has non-zero length."
        )
    return MetricValue(float(a.n - d.n) / (a.n + d.n))


def dpl(counts: FacetCounts) -> MetricValue:
    r"""Difference in Positive Proportions in Labels (DPL): :math:`q_a - q_d`, a minus d.

    :math:`q = n^{(1)} / n`. Range ``[-1, 1]``; 0 means both sides have the same share of
    positive labels, positive values mean *d* has fewer.

    Examples
    --------
    >>> from biaswatch.metrics._examples import example_counts
    >>> dpl(example_counts()).value
    0.25
    """
    a, d = counts.sides()
    if a.n == 0:
        return MetricValue.failed("Negative facet set is empty.")
    if d.n == 0:
        return MetricValue.failed("Facet set is empty.")
    return MetricValue(a.label_positive / a.n - d.label_positive / d.n)


def _label_distributions(counts: FacetCounts) -> tuple[FloatArray, FloatArray] | None:
    """The label distributions of *a* and *d*, kept only where both are non-zero (Clarify's rule).

    The outcomes are ordered (negative, positive); nothing is renormalised after an outcome is
    dropped, which is why KL can be negative.
    """
    a, d = counts.sides()
    kept = [
        (a_count / a.n, d_count / d.n)
        for a_count, d_count in (
            (a.label_negative, d.label_negative),
            (a.label_positive, d.label_positive),
        )
        if a_count > 0 and d_count > 0
    ]
    if not kept:
        return None
    return np.array([p for p, _ in kept]), np.array([q for _, q in kept])


def _over_label_distributions(
    counts: FacetCounts, divergence: Callable[[FloatArray, FloatArray], Any]
) -> MetricValue:
    """Apply ``divergence`` to the aligned label distributions, or fail as Clarify does."""
    distributions = _label_distributions(counts)
    if distributions is None:
        return MetricValue.failed(_NO_COMMON_OUTCOME)
    return MetricValue(float(divergence(*distributions)))


def _jensen_shannon(p_a: FloatArray, p_d: FloatArray) -> Any:
    mean = (p_a + p_d) / 2
    return 0.5 * (np.sum(p_a * np.log(p_a / mean)) + np.sum(p_d * np.log(p_d / mean)))


def kl(counts: FacetCounts) -> MetricValue:
    r"""Kullback-Liebler Divergence (KL): :math:`\sum_k P_a(k) \ln(P_a(k)/P_d(k))`.

    Over the label outcomes that both sides have. 0 means equal label distributions.

    Examples
    --------
    >>> from biaswatch.metrics._examples import example_counts
    >>> round(kl(example_counts()).value, 6)
    0.143841
    """
    return _over_label_distributions(counts, lambda p_a, p_d: np.sum(p_a * np.log(p_a / p_d)))


def js(counts: FacetCounts) -> MetricValue:
    r"""Jensen-Shannon Divergence (JS): :math:`\frac12[KL(P_a, P) + KL(P_d, P)]`.

    :math:`P = (P_a + P_d)/2`. Range ``[0, ln 2]``; 0 means equal label distributions.

    Examples
    --------
    >>> from biaswatch.metrics._examples import example_counts
    >>> round(js(example_counts()).value, 6)
    0.033822
    """
    return _over_label_distributions(counts, _jensen_shannon)


def lp(counts: FacetCounts) -> MetricValue:
    r"""L-p Norm (LP): :math:`\lVert P_a - P_d \rVert_2`.

    Range ``[0, √2]``; 0 means equal label distributions.

    Examples
    --------
    >>> from biaswatch.metrics._examples import example_counts
    >>> round(lp(example_counts()).value, 6)
    0.353553
    """
    return _over_label_distributions(counts, lambda p_a, p_d: np.linalg.norm(p_a - p_d, 2))


def tvd(counts: FacetCounts) -> MetricValue:
    r"""Total Variation Distance (TVD): :math:`\frac12 \lVert P_a - P_d \rVert_1`.

    Range ``[0, 1]``; 0 means equal label distributions.

    Examples
    --------
    >>> from biaswatch.metrics._examples import example_counts
    >>> round(tvd(example_counts()).value, 6)
    0.25
    """
    return _over_label_distributions(counts, lambda p_a, p_d: 0.5 * np.linalg.norm(p_a - p_d, 1))


def ks(counts: FacetCounts) -> MetricValue:
    r"""Kolmogorov-Smirnov Distance (KS): :math:`\max_k |P_a(k) - P_d(k)|`.

    Range ``[0, 1]``; 0 means equal label distributions.

    Examples
    --------
    >>> from biaswatch.metrics._examples import example_counts
    >>> round(ks(example_counts()).value, 6)
    0.25
    """
    return _over_label_distributions(counts, lambda p_a, p_d: np.linalg.norm(p_a - p_d, np.inf))


def cddl(counts: FacetCounts) -> MetricValue:
    """Conditional Demographic Disparity in Labels (CDDL).

    See :func:`~biaswatch.metrics.cdd.cdd`.

    Examples
    --------
    >>> from biaswatch.metrics._examples import example_counts
    >>> cddl(example_counts()).error
    'Group variable is empty or not provided'
    """
    return cdd(counts, predicted=False)
