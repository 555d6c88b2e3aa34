"""The demo's monitor, through the SageMaker-compatible facade: baseline, schedule, backfill.

The schedule analyses hourly windows of the endpoint's capture (``-PT1H`` to ``-PT0H``, cut at
the inference time, so the execution at T reads exactly the traffic of ``[T - 1 h, T)``) and
computes only :data:`METHODS`: the post-training metrics that an hour of traffic measures well
enough and that the injected bias moves away from zero (see ``docs/decisions/0017-demo.md``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import datetime
from typing import Any

import numpy as np

from biaswatch.clarify import BiasConfig, DataConfig, ModelConfig, ModelPredictedLabelConfig
from biaswatch.demo.dataset import FEATURES, FEMALE, LABEL
from biaswatch.demo.model import IncomeModel
from biaswatch.metrics import MetricCode
from biaswatch.model_monitor import (
    BaseliningJob,
    CronExpressionGenerator,
    EndpointInput,
    ModelBiasMonitor,
    MonitoringExecution,
)
from biaswatch.storage import json_bytes, write_bytes

__all__ = [
    "FACET",
    "METHODS",
    "REEVALUATE_WITHIN",
    "SCHEDULE_NAME",
    "analysis_config",
    "backfill",
    "create_schedule",
    "suggest_baseline",
    "write_json",
]

SCHEDULE_NAME = "demo-income-bias"
FACET = "sex"
METHODS = (MetricCode.DAR, MetricCode.DPPL, MetricCode.RD)
#: Slots this recent are rerun when their late labels arrive.
REEVALUATE_WITHIN = "P1D"


def _bias_config() -> BiasConfig:
    return BiasConfig(
        label_values_or_threshold=[1], facet_name=FACET, facet_values_or_threshold=[FEMALE]
    )


def analysis_config(threshold: float) -> dict[str, Any]:
    """The schedule's Clarify analysis config: the baseline's, with only :data:`METHODS`."""
    return {
        "dataset_type": "text/csv",
        "headers": [*FEATURES, LABEL],
        "label": LABEL,
        **_bias_config().get_config(),
        "probability_threshold": threshold,
        "methods": {"post_training_bias": {"methods": [code.value for code in METHODS]}},
    }


def suggest_baseline(
    monitor: ModelBiasMonitor,
    *,
    dataset_uri: str,
    output_uri: str,
    model: IncomeModel,
    window_rows: int,
) -> BaseliningJob:
    """Run the baselining job on the reference CSV (features and label, no header row).

    The predictions come from the model itself (``ModelConfig(predictor=…)``). SageMaker's rule
    has no tolerance and an hour is a small sample, so the job also writes noise-aware
    constraints for windows of ``window_rows`` rows (``job.suggested_constraints(
    noise_aware=True)``, :mod:`biaswatch.constraints.noise`); the rule stays SageMaker's.
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


def create_schedule(
    monitor: ModelBiasMonitor,
    *,
    endpoint_name: str,
    analysis_config_uri: str,
    constraints_uri: str,
    ground_truth_uri: str,
    output_uri: str,
    threshold: float,
) -> None:
    """Create the hourly schedule over the endpoint's capture, re-evaluated for a day."""
    monitor.create_monitoring_schedule(
        monitor_schedule_name=SCHEDULE_NAME,
        endpoint_input=EndpointInput(
            endpoint_name=endpoint_name,
            start_time_offset="-PT1H",
            end_time_offset="-PT0H",
            probability_threshold_attribute=threshold,
        ),
        ground_truth_input=ground_truth_uri,
        analysis_config=analysis_config_uri,
        constraints=constraints_uri,
        output_s3_uri=output_uri,
        schedule_cron_expression=CronExpressionGenerator.hourly(),
        enable_cloudwatch_metrics=True,
        cut_at_inference_time=True,
        reevaluate_within=REEVALUATE_WITHIN,
        facet_value_labels={"0": "female", "1": "male"},
    )


def write_json(uri: str, document: dict[str, Any]) -> str:
    """Write a JSON document (indented) and return its URI."""
    write_bytes(uri, json_bytes(document))
    return uri


def backfill(
    monitor: ModelBiasMonitor,
    times: Sequence[datetime],
    *,
    workers: int,
    on_done: Callable[[MonitoringExecution], None] | None = None,
) -> list[MonitoringExecution]:
    """Run the executions of ``times``, ``workers`` at a time (as the scheduler's pool does).

    Each execution runs in its own worker process; ``on_done`` is called, in this thread, as
    each one ends. Returns the executions in the order of ``times``.
    """
    done: dict[datetime, MonitoringExecution] = {}
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="biaswatch-demo") as pool:
        futures = {pool.submit(monitor.run_execution, moment): moment for moment in times}
        for future in as_completed(futures):
            execution = future.result()
            done[futures[future]] = execution
            if on_done is not None:
                on_done(execution)
    return [done[moment] for moment in times]
