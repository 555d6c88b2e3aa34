"""What each bias metric means for people: a one-line meaning, how to read its sign, its ideal.

*d* is the facet value being examined (e.g. ``sex = 0``), *a* every other row, as in Clarify's
documentation. The sign conventions are Clarify's: DPL, DPPL, RD, DAR, AD, CI and DCA are
"a minus d"; SD, DRR, DCR and TE are "d minus a"; DI is "d over a"; CDD is d's share of the
negative outcomes minus its share of the positive ones. The dashboard and the reports show
these texts next to every metric.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from biaswatch.metrics.registry import MetricCode

__all__ = ["GUIDE", "MetricGuide", "guide_of", "readable"]


@dataclass(frozen=True, slots=True)
class MetricGuide:
    """How to read one metric."""

    meaning: str
    """What it measures, in one line."""
    reading: str
    """What its sign and size say, and its range."""
    ideal: float
    """The value of no bias (0 for differences, 1 for DI)."""


_M = MetricCode
GUIDE: Mapping[MetricCode, MetricGuide] = MappingProxyType(
    {
        _M.CI: MetricGuide(
            "how much smaller d's share of the rows is than a's: (nₐ − n_d) / n",
            "> 0: d has fewer rows than a; < 0: more. −1 to 1",
            0.0,
        ),
        _M.DPL: MetricGuide(
            "share of positive labels in a minus that in d",
            "> 0: d has fewer positive labels than a. −1 to 1",
            0.0,
        ),
        _M.KL: MetricGuide(
            "how much d's label distribution differs from a's (Kullback-Leibler)",
            "0: the same; larger: more different",
            0.0,
        ),
        _M.JS: MetricGuide(
            "how much the label distributions of a and d differ (Jensen-Shannon, symmetric)",
            "0: the same; at most ln 2",
            0.0,
        ),
        _M.LP: MetricGuide(
            "the L2 distance between the label distributions of a and d",
            "0: the same; at most √2",
            0.0,
        ),
        _M.TVD: MetricGuide(
            "half the L1 distance between the label distributions of a and d",
            "0: the same; at most 1",
            0.0,
        ),
        _M.KS: MetricGuide(
            "the largest gap between the label distributions of a and d",
            "0: the same; at most 1",
            0.0,
        ),
        _M.CDDL: MetricGuide(
            "d's share of the negative labels minus its share of the positive ones, within each"
            " group of the group variable, averaged",
            "> 0: d gets more than its share of negative labels. −1 to 1",
            0.0,
        ),
        _M.DPPL: MetricGuide(
            "share of positive predictions in a minus that in d",
            "> 0: d is predicted positive less often than a. −1 to 1",
            0.0,
        ),
        _M.DI: MetricGuide(
            "rate of positive predictions in d divided by that in a",
            "1: equal; < 1: d is predicted positive less often; 0: never. 0 to ∞",
            1.0,
        ),
        _M.DCA: MetricGuide(
            "actual ÷ predicted positives in a minus the same in d",
            "> 0: d gets more positive predictions per actual positive than a",
            0.0,
        ),
        _M.DCR: MetricGuide(
            "actual ÷ predicted negatives in d minus the same in a",
            "> 0: d gets fewer negative predictions per actual negative than a",
            0.0,
        ),
        _M.RD: MetricGuide(
            "recall (true-positive rate) of a minus that of d",
            "> 0: d's actual positives are predicted positive less often. −1 to 1",
            0.0,
        ),
        _M.SD: MetricGuide(
            "specificity (true-negative rate) of d minus that of a",
            "> 0: d's actual negatives are predicted negative more often. −1 to 1",
            0.0,
        ),
        _M.DAR: MetricGuide(
            "precision of the positive predictions in a minus that in d",
            "> 0: d's positive predictions are right less often. −1 to 1",
            0.0,
        ),
        _M.DRR: MetricGuide(
            "precision of the negative predictions in d minus that in a",
            "> 0: d's negative predictions are right more often. −1 to 1",
            0.0,
        ),
        _M.AD: MetricGuide(
            "accuracy for a minus accuracy for d",
            "> 0: the model is less accurate for d. −1 to 1",
            0.0,
        ),
        _M.CDDPL: MetricGuide(
            "d's share of the negative predictions minus its share of the positive ones, within"
            " each group of the group variable, averaged",
            "> 0: d gets more than its share of negative predictions. −1 to 1",
            0.0,
        ),
        _M.TE: MetricGuide(
            "false negatives ÷ false positives in d minus the same in a",
            "> 0: d's errors lean more toward false negatives than a's",
            0.0,
        ),
        _M.FT: MetricGuide(
            "d's positive-prediction rate minus what it would be if each d row were predicted"
            " like its nearest a rows (flip test)",
            "< 0: d would be predicted positive more often if treated like similar a rows. −1 to 1",
            0.0,
        ),
        _M.GE: MetricGuide(
            "how unequally the benefit ŷ − y + 1 is spread over all rows (generalized entropy,"
            " α = 2)",
            "0: every row gets the same benefit; the same for every facet",
            0.0,
        ),
    }
)


def guide_of(code: str) -> MetricGuide | None:
    """The guide of a metric code (None for a code biaswatch does not know).

    Examples
    --------
    >>> guide_of("DI").ideal
    1.0
    """
    try:
        return GUIDE[MetricCode(code)]
    except ValueError:
        return None


def readable(value: float) -> str:
    """A metric value as the dashboard and reports show it: 4 significant digits, true minus.

    Examples
    --------
    >>> readable(-0.38181818), readable(float("inf")), readable(1.0)
    ('−0.3818', '∞', '1')
    """
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    return f"{value:.4g}".replace("-", "−")
