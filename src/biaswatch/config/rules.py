"""Violation rules: when a metric's drift from its baseline is an alert (opt-in; see docs/rules.md).

``sagemaker`` (the default) is SageMaker's ``abs(current) > abs(baseline)``. ``ideal``
measures each metric's distance from its ideal value (1 for DI, 0 for the others):
``|current − ideal| > |baseline − ideal|``. ``significant`` alerts only when the current
value's whole confidence interval lies beyond the allowed range ``ideal ± |baseline − ideal|``
(the schedule must compute intervals). ``tolerances`` widen the allowed distance per metric,
and a facet entry with fewer than ``min_facet_size`` rows in *d* is reported but never alerts.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["IDEAL_VALUES", "ViolationRules", "ideal_value"]

IDEAL_VALUES = {"DI": 1.0}
"""Each metric's ideal (no-bias) value where it is not 0."""


def ideal_value(metric: str) -> float:
    """The value a metric has without bias: 1 for DI (a ratio), 0 for every difference.

    Examples
    --------
    >>> ideal_value("DI"), ideal_value("DPPL")
    (1.0, 0.0)
    """
    return IDEAL_VALUES.get(metric, 0.0)


class ViolationRules(BaseModel):
    """How a schedule decides that a metric violates its baseline."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rule: Literal["sagemaker", "ideal", "significant"] = "sagemaker"
    tolerances: dict[str, float] = Field(default_factory=dict)
    min_facet_size: int = Field(default=0, ge=0)

    @property
    def is_sagemakers(self) -> bool:
        """Whether this is exactly SageMaker's rule (the default)."""
        return self.rule == "sagemaker" and not self.tolerances and not self.min_facet_size
