"""The metric registry: every Clarify bias metric with its code, description and stage."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from biaswatch.metrics import posttraining, pretraining
from biaswatch.metrics.counts import FacetCounts
from biaswatch.metrics.value import MetricValue

__all__ = ["REGISTRY", "CountKernel", "MetricCode", "MetricSpec", "Stage", "metrics_of"]

CountKernel = Callable[[FacetCounts], MetricValue]


class Stage(StrEnum):
    """When a metric can be computed: on labels alone, or on a model's predictions."""

    PRE_TRAINING = "pre_training"
    POST_TRAINING = "post_training"


class MetricCode(StrEnum):
    """Clarify's metric codes (its names in ``analysis.json``)."""

    CI = "CI"
    DPL = "DPL"
    KL = "KL"
    JS = "JS"
    LP = "LP"
    TVD = "TVD"
    KS = "KS"
    CDDL = "CDDL"
    DPPL = "DPPL"
    DI = "DI"
    DCA = "DCA"
    DCR = "DCR"
    RD = "RD"
    SD = "SD"
    DAR = "DAR"
    DRR = "DRR"
    AD = "AD"
    CDDPL = "CDDPL"
    TE = "TE"
    FT = "FT"
    GE = "GE"


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """A metric's code, Clarify's description, its stage, and its kernel over counts.

    ``kernel`` is ``None`` for FT, which needs the feature rows
    (:func:`~biaswatch.metrics.fliptest.ft`).
    """

    code: MetricCode
    description: str
    stage: Stage
    kernel: CountKernel | None

    @property
    def needs_features(self) -> bool:
        """Whether the metric needs the feature rows rather than counts."""
        return self.kernel is None


_PRE, _POST = Stage.PRE_TRAINING, Stage.POST_TRAINING

REGISTRY: Mapping[MetricCode, MetricSpec] = MappingProxyType(
    {
        spec.code: spec
        for spec in (
            MetricSpec(MetricCode.CI, "Class Imbalance (CI)", _PRE, pretraining.ci),
            MetricSpec(
                MetricCode.DPL,
                "Difference in Positive Proportions in Labels (DPL)",
                _PRE,
                pretraining.dpl,
            ),
            MetricSpec(MetricCode.KL, "Kullback-Liebler Divergence (KL)", _PRE, pretraining.kl),
            MetricSpec(MetricCode.JS, "Jensen-Shannon Divergence (JS)", _PRE, pretraining.js),
            MetricSpec(MetricCode.LP, "L-p Norm (LP)", _PRE, pretraining.lp),
            MetricSpec(MetricCode.TVD, "Total Variation Distance (TVD)", _PRE, pretraining.tvd),
            MetricSpec(MetricCode.KS, "Kolmogorov-Smirnov Distance (KS)", _PRE, pretraining.ks),
            MetricSpec(
                MetricCode.CDDL,
                "Conditional Demographic Disparity in Labels (CDDL)",
                _PRE,
                pretraining.cddl,
            ),
            MetricSpec(
                MetricCode.DPPL,
                "Difference in Positive Proportions in Predicted Labels (DPPL)",
                _POST,
                posttraining.dppl,
            ),
            MetricSpec(MetricCode.DI, "Disparate Impact (DI)", _POST, posttraining.di),
            MetricSpec(
                MetricCode.DCA,
                "Difference in Conditional Acceptance (DCA)",
                _POST,
                posttraining.dca,
            ),
            MetricSpec(
                MetricCode.DCR, "Difference in Conditional Rejection (DCR)", _POST, posttraining.dcr
            ),
            MetricSpec(MetricCode.RD, "Recall Difference (RD)", _POST, posttraining.rd),
            MetricSpec(MetricCode.SD, "Specificity Difference (SD)", _POST, posttraining.sd),
            MetricSpec(
                MetricCode.DAR, "Difference in Acceptance Rates (DAR)", _POST, posttraining.dar
            ),
            MetricSpec(
                MetricCode.DRR, "Difference in Rejection Rates (DRR)", _POST, posttraining.drr
            ),
            MetricSpec(MetricCode.AD, "Accuracy Difference (AD)", _POST, posttraining.ad),
            MetricSpec(
                MetricCode.CDDPL,
                "Conditional Demographic Disparity in Predicted Labels (CDDPL)",
                _POST,
                posttraining.cddpl,
            ),
            MetricSpec(MetricCode.TE, "Treatment Equality (TE)", _POST, posttraining.te),
            MetricSpec(MetricCode.FT, "Flip Test (FT)", _POST, None),
            MetricSpec(MetricCode.GE, "Generalized Entropy (GE)", _POST, posttraining.ge),
        )
    }
)


def metrics_of(stage: Stage) -> tuple[MetricSpec, ...]:
    """The stage's metrics, sorted by code as ``analysis.json`` lists them.

    Examples
    --------
    >>> [spec.code.value for spec in metrics_of(Stage.PRE_TRAINING)]
    ['CDDL', 'CI', 'DPL', 'JS', 'KL', 'KS', 'LP', 'TVD']
    """
    return tuple(sorted((s for s in REGISTRY.values() if s.stage is stage), key=lambda s: s.code))
