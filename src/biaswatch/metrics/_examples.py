"""A small fixed ``FacetCounts`` that the docstring examples share."""

from __future__ import annotations

import numpy as np

from biaswatch.metrics.counts import FacetCounts


def example_counts() -> FacetCounts:
    """Six rows in *a* (TP 2, FP 1, FN 1, TN 2) and four in *d* (TP 1, FP 1, FN 0, TN 2)."""
    cells = np.zeros((1, 2, 2, 2), dtype=np.int64)
    # cells[group, side, y, ŷ]
    cells[0, 0] = [[2, 1], [1, 2]]
    cells[0, 1] = [[2, 1], [0, 1]]
    return FacetCounts(cells)
