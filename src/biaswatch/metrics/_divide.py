"""Clarify's division rule, shared by the kernels."""

from __future__ import annotations

INFINITY = float("inf")


def divide(numerator: float, denominator: float) -> float:
    """Divide as Clarify does: ``0/0`` is ``0.0`` and ``x/0`` is ``±inf`` by the sign of ``x``.

    Examples
    --------
    >>> divide(1, 4)
    0.25
    >>> divide(0, 0)
    0.0
    >>> divide(-3, 0)
    -inf
    """
    if denominator == 0:
        if numerator == 0:
            return 0.0
        return -INFINITY if numerator < 0 else INFINITY
    return numerator / denominator
