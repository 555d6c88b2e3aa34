"""A violation rule in words, beside each violation: what was compared, and what it means.

Examples
--------
>>> from biaswatch.config.rules import ViolationRules
>>> rule_in_words(ViolationRules(), "DAR", 0.76, -0.37)
'|0.76| > |−0.37|: farther from 0 than the constraint allows'
>>> rule_in_words(ViolationRules(rule="ideal"), "DI", 0.2, 0.9)
'|0.2 − 1| > |0.9 − 1|: farther from the ideal 1 than the constraint allows'
"""

from __future__ import annotations

import math

from biaswatch.config.rules import ViolationRules, ideal_value

__all__ = ["rule_in_words"]


def _number(value: float) -> str:
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    return f"{value:.4g}".replace("-", "−")


def rule_in_words(
    rules: ViolationRules,
    metric: str,
    value: float,
    constraint: float,
    bounds: tuple[float, float] | None = None,
) -> str:
    """Why ``value`` of ``metric`` violates ``constraint`` under ``rules``, in one line."""
    tolerance = rules.tolerances.get(metric, 0.0)
    plus = f" + {_number(tolerance)}" if tolerance else ""
    ideal = ideal_value(metric)
    if rules.rule == "sagemaker":
        text = (
            f"|{_number(value)}| > |{_number(constraint)}|{plus}: farther from 0 than the"
            " constraint allows"
        )
        if ideal:
            text += (
                f" (SageMaker's rule compares sizes: for {metric}, whose ideal is"
                f" {_number(ideal)}, it flags a rise above the constraint, never a fall)"
            )
        return text
    if rules.rule == "ideal":
        return (
            f"|{_number(value)} − {_number(ideal)}| > |{_number(constraint)} −"
            f" {_number(ideal)}|{plus}: farther from the ideal {_number(ideal)} than the"
            " constraint allows"
        )
    allowed = abs(constraint - ideal) + tolerance
    shown = "?" if bounds is None else f"[{_number(bounds[0])}, {_number(bounds[1])}]"
    return (
        f"the whole confidence interval {shown} lies outside {_number(ideal)} ±"
        f" {_number(allowed)}: significantly farther from the ideal than the constraint allows"
    )
