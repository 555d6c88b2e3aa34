"""The demo's baseline, with constraints for an hour of traffic.

SageMaker flags a metric when ``abs(current) > abs(baseline)``, with no tolerance, and an hour
of traffic is a small sample: its metrics come out above the baseline's about half of the
time. The demo asks the baselining job for noise-aware constraints
(``suggest_baseline(..., expected_window_rows=...)``, :mod:`biaswatch.constraints.noise`):
each metric widened to the sampling noise of an hour's requests. The rule stays SageMaker's;
only the numbers it compares against change.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from biaswatch.clarify import DataConfig, ModelConfig, ModelPredictedLabelConfig
from biaswatch.demo.dataset import FEATURES, LABEL
from biaswatch.demo.model import IncomeModel
from biaswatch.demo.monitoring import _bias_config
from biaswatch.model_monitor import BaseliningJob, ModelBiasMonitor

__all__ = ["suggest_hourly_baseline"]


def suggest_hourly_baseline(
    monitor: ModelBiasMonitor,
    *,
    dataset_uri: str,
    output_uri: str,
    model: IncomeModel,
    window_rows: int,
) -> BaseliningJob:
    """Run the baselining job on the reference CSV, with constraints for ``window_rows`` rows.

    The CSV holds features and label, no header row; the predictions come from the model
    itself (``ModelConfig(predictor=…)``). The job writes ``analysis.json`` (Clarify's) and
    ``noise_aware_constraints.json`` (``job.suggested_constraints(noise_aware=True)``).
    """

    def predictor(rows: list[list[Any]]) -> list[int]:
        return [int(label) for label in model.predict(np.asarray(rows, dtype=np.float64))]

    return monitor.suggest_baseline(
        data_config=DataConfig(
            s3_data_input_path=dataset_uri,
            s3_output_path=output_uri,
            label=LABEL,
            headers=[*FEATURES, LABEL],
            dataset_type="text/csv",
        ),
        bias_config=_bias_config(),
        model_config=ModelConfig(predictor=predictor),
        model_predicted_label_config=ModelPredictedLabelConfig(
            probability_threshold=model.threshold
        ),
        job_name="demo-income-baseline",
        expected_window_rows=window_rows,
    )
