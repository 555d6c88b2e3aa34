"""Post-training metrics: they compare the model's predictions for facet *d* with the rest, *a*.

Every kernel takes a ``FacetCounts`` and returns a ``MetricValue``. Sign conventions are
Clarify's: DPPL, DCA, RD, DAR and AD are "a minus d"; DCR, SD, DRR and TE are "d minus a";
DI is "d over a". Where both sides' ratios are ``+inf`` the difference is 0, as in Clarify.
"""

from __future__ import annotations

from biaswatch.metrics._divide import INFINITY, divide
from biaswatch.metrics.cdd import cdd
from biaswatch.metrics.counts import Confusion, FacetCounts
from biaswatch.metrics.value import MetricValue

__all__ = ["ad", "cddpl", "dar", "dca", "dcr", "di", "dppl", "drr", "ge", "rd", "sd", "te"]


def _difference(first: float, second: float) -> float:
    """``first - second``, except that two infinite ratios give the integer 0 (Clarify)."""
    if first == second == INFINITY:
        return 0
    return first - second


def _emptiness(a: Confusion, d: Confusion, prefix: str = "") -> MetricValue | None:
    """Clarify's check for the confusion-based metrics: *d* first, then *a*."""
    if d.n == 0:
        return MetricValue.failed(f"{prefix}Facet set is empty")
    if a.n == 0:
        return MetricValue.failed(f"{prefix}Negated Facet set is empty")
    return None


def dppl(counts: FacetCounts) -> MetricValue:
    r"""Difference in Positive Proportions in Predicted Labels (DPPL): :math:`\hat q_a - \hat q_d`.

    :math:`\hat q = \hat n^{(1)} / n`. Range ``[-1, 1]``; 0 means both sides are predicted
    positive equally often, positive values mean *d* less often.

    Examples
    --------
    >>> from biaswatch.metrics._examples import example_counts
    >>> dppl(example_counts()).value
    0.0
    """
    a, d = counts.sides()
    if a.n == 0:
        return MetricValue.failed("Negative facet set is empty.")
    if d.n == 0:
        return MetricValue.failed("Facet set is empty.")
    return MetricValue(a.predicted_positive / a.n - d.predicted_positive / d.n)


def di(counts: FacetCounts) -> MetricValue:
    r"""Disparate Impact (DI): :math:`\hat q_d / \hat q_a`, d over a.

    Range ``[0, ∞)``; 1 means parity, values below 1 mean *d* is predicted positive less often.

    Examples
    --------
    >>> from biaswatch.metrics._examples import example_counts
    >>> di(example_counts()).value
    1.0
    """
    a, d = counts.sides()
    if a.n == 0:
        return MetricValue.failed("Negated facet set is empty")
    if d.n == 0:
        return MetricValue.failed("Facet set is empty")
    return MetricValue(divide(d.predicted_positive / d.n, a.predicted_positive / a.n))


def dca(counts: FacetCounts) -> MetricValue:
    r"""Difference in Conditional Acceptance (DCA): :math:`c_a - c_d`, a minus d.

    :math:`c = n^{(1)}/\hat n^{(1)}`, observed over predicted positives. 0 means the model
    accepts both sides in proportion to their qualified rows; positive values mean *d* is
    accepted beyond its observed positives.

    Examples
    --------
    >>> from biaswatch.metrics._examples import example_counts
    >>> dca(example_counts()).value
    0.5
    """
    a, d = counts.sides()
    if (failure := _emptiness(a, d, "DCO: ")) is not None:
        return failure
    return MetricValue(
        _difference(
            divide(a.label_positive, a.predicted_positive),
            divide(d.label_positive, d.predicted_positive),
        )
    )


def dcr(counts: FacetCounts) -> MetricValue:
    r"""Difference in Conditional Rejection (DCR): :math:`r_d - r_a`, d minus a.

    :math:`r = n^{(0)}/\hat n^{(0)}`, observed over predicted negatives. 0 means the model
    rejects both sides in proportion to their unqualified rows; positive values mean *d* is
    rejected less than its observed negatives.

    Examples
    --------
    >>> from biaswatch.metrics._examples import example_counts
    >>> dcr(example_counts()).value
    0.5
    """
    a, d = counts.sides()
    if (failure := _emptiness(a, d, "DCO: ")) is not None:
        return failure
    return MetricValue(
        _difference(
            divide(d.label_negative, d.predicted_negative),
            divide(a.label_negative, a.predicted_negative),
        )
    )


def rd(counts: FacetCounts) -> MetricValue:
    r"""Recall Difference (RD): :math:`TP_a/(TP_a+FN_a) - TP_d/(TP_d+FN_d)`, a minus d.

    Range ``[-1, 1]``; 0 means equal recall, positive values mean lower recall for *d*.

    Examples
    --------
    >>> from biaswatch.metrics._examples import example_counts
    >>> rd(example_counts()).value
    -0.33333333333333337
    """
    a, d = counts.sides()
    if (failure := _emptiness(a, d, "DLA: ")) is not None:
        return failure
    return MetricValue(_difference(divide(a.tp, a.tp + a.fn), divide(d.tp, d.tp + d.fn)))


def sd(counts: FacetCounts) -> MetricValue:
    r"""Specificity Difference (SD): :math:`TN_d/(TN_d+FP_d) - TN_a/(TN_a+FP_a)`, d minus a.

    Range ``[-1, 1]``; 0 means equal specificity, positive values mean higher specificity for *d*.

    Examples
    --------
    >>> from biaswatch.metrics._examples import example_counts
    >>> sd(example_counts()).value
    0.0
    """
    a, d = counts.sides()
    if (failure := _emptiness(a, d, "DLA: ")) is not None:
        return failure
    return MetricValue(_difference(divide(d.tn, d.tn + d.fp), divide(a.tn, a.tn + a.fp)))


def dar(counts: FacetCounts) -> MetricValue:
    r"""Difference in Acceptance Rates (DAR): :math:`TP_a/\hat n_a^{(1)} - TP_d/\hat n_d^{(1)}`.

    The difference in precision, a minus d. Range ``[-1, 1]``; 0 means equal precision.

    Examples
    --------
    >>> from biaswatch.metrics._examples import example_counts
    >>> dar(example_counts()).value
    0.16666666666666663
    """
    a, d = counts.sides()
    if (failure := _emptiness(a, d, "DLR: ")) is not None:
        return failure
    return MetricValue(
        _difference(divide(a.tp, a.predicted_positive), divide(d.tp, d.predicted_positive))
    )


def drr(counts: FacetCounts) -> MetricValue:
    r"""Difference in Rejection Rates (DRR): :math:`TN_d/\hat n_d^{(0)} - TN_a/\hat n_a^{(0)}`.

    The difference in negative predictive value, d minus a. Range ``[-1, 1]``; 0 means equal.

    Examples
    --------
    >>> from biaswatch.metrics._examples import example_counts
    >>> drr(example_counts()).value
    0.33333333333333337
    """
    a, d = counts.sides()
    if (failure := _emptiness(a, d, "DLR: ")) is not None:
        return failure
    return MetricValue(
        _difference(divide(d.tn, d.predicted_negative), divide(a.tn, a.predicted_negative))
    )


def ad(counts: FacetCounts) -> MetricValue:
    r"""Accuracy Difference (AD): :math:`acc_a - acc_d`, :math:`acc = (TP+TN)/n`.

    Range ``[-1, 1]``; 0 means equal accuracy, positive values mean *d* is predicted less
    accurately.

    Examples
    --------
    >>> from biaswatch.metrics._examples import example_counts
    >>> ad(example_counts()).value
    -0.08333333333333337
    """
    a, d = counts.sides()
    if (failure := _emptiness(a, d)) is not None:
        return failure
    accuracy_a = divide(a.tp + a.tn, a.n)
    accuracy_d = divide(d.tp + d.tn, d.n)
    if accuracy_a == accuracy_d == INFINITY:
        return MetricValue(0.0)
    return MetricValue(accuracy_a - accuracy_d)


def te(counts: FacetCounts) -> MetricValue:
    r"""Treatment Equality (TE): :math:`FN_d/FP_d - FN_a/FP_a`, d minus a.

    0 means both sides have the same ratio of false negatives to false positives; ``±inf``
    where one side has false negatives and no false positives.

    Examples
    --------
    >>> from biaswatch.metrics._examples import example_counts
    >>> te(example_counts()).value
    -1.0
    """
    a, d = counts.sides()
    if (failure := _emptiness(a, d)) is not None:
        return failure
    ratio_a = divide(a.fn, a.fp)
    ratio_d = divide(d.fn, d.fp)
    if ratio_a == ratio_d == INFINITY:
        return MetricValue(0.0)
    return MetricValue(ratio_d - ratio_a)


def cddpl(counts: FacetCounts) -> MetricValue:
    """Conditional Demographic Disparity in Predicted Labels (CDDPL).

    See :func:`~biaswatch.metrics.cdd.cdd`.

    Examples
    --------
    >>> from biaswatch.metrics._examples import example_counts
    >>> cddpl(example_counts()).error
    'Group variable is empty or not provided'
    """
    return cdd(counts, predicted=True)


def ge(counts: FacetCounts) -> MetricValue:
    r"""Generalized Entropy (GE), α = 2, over all rows (the facet plays no part).

    With benefit :math:`b_i = \hat y_i - y_i + 1` (0 for FN, 1 for TP/TN, 2 for FP) and
    :math:`\mu` its mean, :math:`GE = \frac{1}{2N}\sum_i [(b_i/\mu)^2 - 1]`. 0 means every row
    gets the same benefit. Computed from the three benefit counts; it equals Clarify's row sum
    to within a few units in the last place.

    Examples
    --------
    >>> from biaswatch.metrics._examples import example_counts
    >>> round(ge(example_counts()).value, 6)
    0.119835
    """
    overall = counts.overall()
    rows = overall.n
    if rows == 0:
        return MetricValue.failed("dataset must be non-empty")
    mean_benefit = (overall.tp + overall.tn + 2 * overall.fp) / rows
    if mean_benefit == 0:
        return MetricValue.failed(
            "All predicted labels are false negatives. There should be at least one prediction"
            " that is not false negative."
        )
    total = sum(
        count * ((benefit / mean_benefit) ** 2 - 1)
        for benefit, count in ((0, overall.fn), (1, overall.tp + overall.tn), (2, overall.fp))
    )
    return MetricValue(total / (rows * 2))
