"""Baseline constraints and violations: SageMaker's bias-drift check."""

from __future__ import annotations

from typing import TYPE_CHECKING

from biaswatch._lazy import lazy_exports

if TYPE_CHECKING:
    from biaswatch.constraints.violations import (
        CHECK_TYPE,
        Violation,
        check_bias_drift,
        facet_sizes,
        recorded_violations,
        violations_document,
    )

__all__ = [
    "CHECK_TYPE",
    "Violation",
    "check_bias_drift",
    "facet_sizes",
    "recorded_violations",
    "violations_document",
]

__getattr__, __dir__ = lazy_exports(__name__, __file__)
