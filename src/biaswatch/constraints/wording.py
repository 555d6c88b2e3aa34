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

from biaswatch.config.rules import ViolationRules, ideal_value
from biaswatch.metrics import readable

__all__ = ["rule_in_words"]


def rule_in_words(
    rules: ViolationRules,
    metric: str,
    value: float,
    constraint: float,
    bounds: tuple[float, float] | None = None,
) -> str:
    """Why ``value`` of ``metric`` violates ``constraint`` under ``rules``, in one line."""
    tolerance = rules.tolerances.get(metric, 0.0)
    plus = f" + {readable(tolerance)}" if tolerance else ""
    ideal = ideal_value(metric)
    if rules.rule == "sagemaker":
        text = (
            f"|{readable(value)}| > |{readable(constraint)}|{plus}: farther from 0 than the"
            " constraint allows"
        )
        if ideal:
            text += (
                f" (SageMaker's rule compares sizes: for {metric}, whose ideal is"
                f" {readable(ideal)}, it flags a rise above the constraint, never a fall)"
            )
        return text
    if rules.rule == "ideal":
        return (
            f"|{readable(value)} − {readable(ideal)}| > |{readable(constraint)} −"
            f" {readable(ideal)}|{plus}: farther from the ideal {readable(ideal)} than the"
            " constraint allows"
        )
    allowed = abs(constraint - ideal) + tolerance
    shown = "?" if bounds is None else f"[{readable(bounds[0])}, {readable(bounds[1])}]"
    return (
        f"the whole confidence interval {shown} lies outside {readable(ideal)} ±"
        f" {readable(allowed)}: significantly farther from the ideal than the constraint allows"
    )
