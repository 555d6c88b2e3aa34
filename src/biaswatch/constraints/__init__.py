"""Baseline constraints and violations: SageMaker's bias-drift check."""

from __future__ import annotations

from biaswatch.constraints.violations import (
    CHECK_TYPE,
    Violation,
    check_bias_drift,
    violations_document,
)

__all__ = [
    "CHECK_TYPE",
    "Violation",
    "check_bias_drift",
    "violations_document",
]
