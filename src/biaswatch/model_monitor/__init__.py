"""``sagemaker.model_monitor``'s bias-drift API, run by biaswatch: change the import, keep the code.

::

    from biaswatch.clarify import BiasConfig, DataConfig, ModelConfig, ModelPredictedLabelConfig
    from biaswatch.model_monitor import ModelBiasMonitor, EndpointInput, CronExpressionGenerator

Every name a bias workflow imports from ``sagemaker.model_monitor`` is here, with the SDK's
meaning (``NetworkConfig`` is accepted and ignored). The SDK's other monitors (data quality,
model quality, explainability) are not part of biaswatch: importing them says so. biaswatch's
own: the receivers of ``create_monitoring_schedule(notifications=…)`` (``WebhookNotification``,
``SlackNotification``, ``EmailNotification``).
"""

from __future__ import annotations

from biaswatch.capture.config import DataCaptureConfig
from biaswatch.config.notifications import (
    EmailNotification,
    SlackNotification,
    WebhookNotification,
)
from biaswatch.errors import UnexpectedStatusError
from biaswatch.model_monitor.files import (
    Constraints,
    ConstraintViolations,
    MonitoringOutput,
    Statistics,
)
from biaswatch.model_monitor.inputs import (
    BatchTransformInput,
    BiasAnalysisConfig,
    DatasetFormat,
    EndpointInput,
    MonitoringDatasetFormat,
    NetworkConfig,
)
from biaswatch.model_monitor.monitor import ModelBiasModelMonitor, ModelBiasMonitor
from biaswatch.model_monitor.processing import BaseliningJob, MonitoringExecution
from biaswatch.schedule import CronExpressionGenerator

__all__ = [
    "BaseliningJob",
    "BatchTransformInput",
    "BiasAnalysisConfig",
    "ConstraintViolations",
    "Constraints",
    "CronExpressionGenerator",
    "DataCaptureConfig",
    "DatasetFormat",
    "EmailNotification",
    "EndpointInput",
    "ModelBiasModelMonitor",
    "ModelBiasMonitor",
    "MonitoringDatasetFormat",
    "MonitoringExecution",
    "MonitoringOutput",
    "NetworkConfig",
    "SlackNotification",
    "Statistics",
    "UnexpectedStatusException",
    "WebhookNotification",
]

#: SageMaker's name for the error ``wait()`` raises when a job failed.
UnexpectedStatusException = UnexpectedStatusError

#: ``sagemaker.model_monitor`` names that biaswatch does not offer, and why.
_OTHER_MONITORS = {
    "ModelMonitor": "data-quality",
    "DefaultModelMonitor": "data-quality",
    "ModelQualityMonitor": "model-quality",
    "ModelExplainabilityMonitor": "explainability",
    "ExplainabilityAnalysisConfig": "explainability",
}


def __getattr__(name: str) -> object:
    kind = _OTHER_MONITORS.get(name)
    if kind is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    raise ImportError(
        f"{name} is SageMaker's {kind} monitoring, which biaswatch does not offer: biaswatch"
        " monitors bias drift (ModelBiasMonitor)",
        name=name,
    )
