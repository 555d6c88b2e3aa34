"""The result of one metric: a value, or the reason it is undefined."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MetricValue"]


@dataclass(frozen=True, slots=True)
class MetricValue:
    """A metric's value, or ``value=None`` with the error Clarify reports for it.

    Undefined, error and zero are three different things: an empty facet gives
    ``MetricValue(None, "Facet set is empty")``, never ``0.0``; ``±inf`` is kept as a float.
    Where Clarify returns the integer ``0`` (both ratios infinite), so does biaswatch.

    Examples
    --------
    >>> MetricValue(0.25).defined
    True
    >>> MetricValue.failed("Facet set is empty")
    MetricValue(value=None, error='Facet set is empty')
    """

    value: float | None
    error: str | None = None

    def __post_init__(self) -> None:
        if (self.value is None) == (self.error is None):
            raise ValueError("a MetricValue holds either a value or an error, not both or neither")

    @classmethod
    def failed(cls, error: str) -> MetricValue:
        """Build an undefined value that carries ``error``."""
        return cls(None, error)

    @property
    def defined(self) -> bool:
        """Whether the metric has a value (possibly infinite)."""
        return self.value is not None
