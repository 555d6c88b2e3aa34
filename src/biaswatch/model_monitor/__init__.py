"""``sagemaker.model_monitor``'s bias-drift API, run by biaswatch: change the import, keep the code.

::

    from biaswatch.clarify import BiasConfig, DataConfig, ModelConfig, ModelPredictedLabelConfig
    from biaswatch.model_monitor import ModelBiasMonitor, EndpointInput, CronExpressionGenerator
"""

from __future__ import annotations

from biaswatch.capture.config import DataCaptureConfig
from biaswatch.model_monitor.files import (
    Constraints,
    ConstraintViolations,
    MonitoringExecution,
    MonitoringOutput,
)
from biaswatch.model_monitor.inputs import (
    BatchTransformInput,
    BiasAnalysisConfig,
    EndpointInput,
    MonitoringDatasetFormat,
)
from biaswatch.model_monitor.monitor import BaseliningJob, ModelBiasModelMonitor, ModelBiasMonitor
from biaswatch.schedule import CronExpressionGenerator

__all__ = [
    "BaseliningJob",
    "BatchTransformInput",
    "BiasAnalysisConfig",
    "ConstraintViolations",
    "Constraints",
    "CronExpressionGenerator",
    "DataCaptureConfig",
    "EndpointInput",
    "ModelBiasModelMonitor",
    "ModelBiasMonitor",
    "MonitoringDatasetFormat",
    "MonitoringExecution",
    "MonitoringOutput",
]
