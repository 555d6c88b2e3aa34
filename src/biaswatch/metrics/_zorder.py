"""Z-order (Morton) sorting of points, so that neighbour queries run in a cache-friendly order."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

_BITS = 64
_MOST_BITS_PER_COORDINATE = 32  # a float64 holds 2**32 - 1 exactly; 2**64 - 1 overflows


def z_order(points: npt.NDArray[np.float64]) -> npt.NDArray[np.intp]:
    """The permutation that sorts ``points`` (rows) along a Z-order curve.

    Each coordinate is quantised to ``64 // dimensions`` bits (32 at most) over its range, and
    the bits are interleaved, so rows close in space end up close in the order. Queries of a
    KD-tree made in this order touch the same nodes one after another, which is several times
    faster than a random order for large query sets; each query's answer is unchanged.

    Examples
    --------
    >>> z_order(np.array([[1.0, 1.0], [0.0, 0.0], [1.0, 0.0]])).tolist()
    [1, 2, 0]
    """
    rows, dimensions = points.shape
    if rows < 2 or dimensions == 0:
        return np.arange(rows, dtype=np.intp)
    bits = max(min(_BITS // dimensions, _MOST_BITS_PER_COORDINATE), 1)
    dimensions = min(dimensions, _BITS)
    low = points[:, :dimensions].min(axis=0)
    span = points[:, :dimensions].max(axis=0) - low
    scale = np.where(span > 0, ((1 << bits) - 1) / np.where(span > 0, span, 1.0), 0.0)
    quantised = ((points[:, :dimensions] - low) * scale).astype(np.uint64)
    code = np.zeros(rows, dtype=np.uint64)
    for bit in range(bits - 1, -1, -1):
        for dimension in range(dimensions):
            code <<= np.uint64(1)
            code |= (quantised[:, dimension] >> np.uint64(bit)) & np.uint64(1)
    return np.argsort(code, kind="stable")
