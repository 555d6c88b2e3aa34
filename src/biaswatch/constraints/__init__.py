"""Baseline constraints and violations: SageMaker's bias-drift check."""

from __future__ import annotations

from biaswatch.constraints.violations import (
    CHECK_TYPE,
    SECTIONS,
    Violation,
    check_bias_drift,
    metric_number,
    violations_document,
)

__all__ = [
    "CHECK_TYPE",
    "SECTIONS",
    "Violation",
    "check_bias_drift",
    "metric_number",
    "violations_document",
]
