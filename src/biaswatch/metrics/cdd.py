"""Conditional demographic disparity, shared by CDDL (labels) and CDDPL (predictions)."""

from __future__ import annotations

import numpy as np

from biaswatch.metrics._divide import divide
from biaswatch.metrics.counts import FacetCounts
from biaswatch.metrics.value import MetricValue

__all__ = ["cdd"]


def cdd(counts: FacetCounts, *, predicted: bool) -> MetricValue:
    r"""Conditional demographic disparity of labels (``predicted=False``) or predictions.

    For each group *g*: :math:`D_g` is *d*'s share of the group's rejections and :math:`A_g`
    its share of the group's acceptances (0 where the group has none);
    :math:`CDD = \sum_g n_g (D_g - A_g) / \sum_g n_g`. Positive values mean *d* is rejected
    more than it is accepted. Range ``[-1, 1]``; 0 means no disparity within groups.
    Rows whose group is missing count in the totals but weigh nothing, as in Clarify.

    Examples
    --------
    >>> import numpy as np
    >>> cells = np.zeros((1, 2, 2, 2), dtype=np.int64)
    >>> cells[0, 0, 1, 0] = 3; cells[0, 1, 0, 0] = 2; cells[0, 1, 1, 0] = 1
    >>> cdd(FacetCounts(cells, grouped=True), predicted=False).value
    0.75
    """
    if not counts.grouped:
        return MetricValue.failed("Group variable is empty or not provided")
    # Sum away the other outcome: by_outcome[g, side, outcome].
    by_outcome = counts.cells.sum(axis=2 if predicted else 3)
    overall = by_outcome.sum(axis=(0, 1))
    if overall[1] == 0:
        return MetricValue.failed("No positive labels in set")
    if overall[0] == 0:
        return MetricValue.failed("No negative labels in set")
    sizes = by_outcome.sum(axis=(1, 2)).astype(np.float64)
    if counts.missing_group:
        by_outcome = by_outcome.copy()
        by_outcome[-1] = 0
        sizes[-1] = 0.0
    accepted = by_outcome[:, :, 1].sum(axis=1)
    rejected = by_outcome[:, :, 0].sum(axis=1)
    share_accepted = np.divide(
        by_outcome[:, 1, 1], accepted, out=np.zeros(len(sizes)), where=accepted != 0
    )
    share_rejected = np.divide(
        by_outcome[:, 1, 0], rejected, out=np.zeros(len(sizes)), where=rejected != 0
    )
    disparity = share_rejected - share_accepted
    return MetricValue(float(divide(np.sum(sizes * disparity), np.sum(sizes))))
