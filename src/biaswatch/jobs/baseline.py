"""The baselining job: a reference dataset's bias metrics, which become the constraints.

It reads the dataset as Clarify does (CSV, JSON Lines, one JSON document, Parquet), takes
predictions from a predicted-label column of the dataset or from a Python predictor, computes
both stages, and writes ``analysis_config.json``, ``analysis.json`` (the constraints) and
``report.html``. Asked for noise-aware constraints (``noise``), it also writes
``noise_aware_constraints.json``: the constraints widened to the sampling noise of a monitoring
window (:mod:`biaswatch.constraints.noise`); ``analysis.json`` stays exactly what Clarify
writes.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from biaswatch.analysis import (
    AnalysisResult,
    Dataset,
    analysis_document,
    analyze,
    dataset_from_table,
    read_dataset,
)
from biaswatch.config import AnalysisConfig, config_from_dict
from biaswatch.config.settings import engine_setting, spark_ft_sample
from biaswatch.constraints.noise import NOISE_AWARE_FILE, WindowNoise, noise_aware_constraints
from biaswatch.errors import BiaswatchError, ConfigError
from biaswatch.report import render_report
from biaswatch.storage import delete_file, join, json_bytes, locate, read_bytes, write_bytes
from biaswatch.store import BaseliningJobRow, JobStatus, Store

__all__ = ["BaselineOutcome", "Predictor", "record_baselining_job", "run_baselining_job"]

# A predictor takes the feature rows (lists of values) and returns one prediction per row.
Predictor = Callable[[list[list[Any]]], Sequence[Any]]
PREDICTION_COLUMN = "predicted_label"


@dataclass(frozen=True, slots=True)
class BaselineOutcome:
    """Where the baseline's files are, and its result.

    ``noise_aware_uri`` and ``noise_aware`` are the noise-aware constraints' file and document,
    when the job was asked for them.
    """

    output_uri: str
    analysis_uri: str
    analysis: dict[str, Any]
    result: AnalysisResult
    noise_aware_uri: str | None = None
    noise_aware: dict[str, Any] | None = None


def _local_copy(uri: str, folder: str) -> Path:
    location = locate(uri)
    if location.local:
        return Path(location.path)
    path = Path(folder) / Path(location.path).name
    path.write_bytes(read_bytes(uri))
    return path


def run_baselining_job(
    dataset_uri: str,
    analysis_config: dict[str, Any],
    *,
    output_uri: str,
    predictor: Predictor | None = None,
    engine: str | None = None,
    noise: WindowNoise | None = None,
) -> BaselineOutcome:
    """Compute the baseline of ``dataset_uri`` and write its files under ``output_uri``.

    With ``predictor``, the feature rows (every column but the label, the dataset's own
    predictions and the ``excluded_columns``, which Clarify does not send to the model either)
    go to it in one call and its answers become the ``predicted_label`` column, in place of
    any predictions the dataset has; otherwise the config's ``predicted_label`` names a column
    of the dataset. ``engine`` (default ``$BIASWATCH_ENGINE``) ``spark`` counts
    the dataset with Spark; a baseline with a predictor is computed locally. With ``noise``, the
    noise-aware constraints for windows of ``noise.expected_window_rows`` rows are written too
    (``noise_aware_constraints.json``), from the counts of either engine.
    """
    config = config_from_dict(analysis_config, source="the baseline's analysis config")
    if predictor is None and (engine or engine_setting()) == "spark":
        if not config.predicts:
            config.refuse_predictor_block("baseline's post-training metrics")
            raise ConfigError(
                "a baseline needs predictions: name the predicted_label column of the dataset,"
                " or give a model",
                field="predicted_label",
            )
        from biaswatch.spark import analyze_with_spark, spark_session

        result = analyze_with_spark(
            spark_session(), dataset_uri, config, ft_sample=spark_ft_sample()
        )
        return _write(
            result, analysis_config, dataset_uri=dataset_uri, output_uri=output_uri, noise=noise
        )
    with tempfile.TemporaryDirectory(prefix="biaswatch-baseline-") as folder:
        dataset = read_dataset(_local_copy(dataset_uri, folder), config)
    if predictor is not None:
        rows = _feature_rows(dataset, config)
        predictions = list(predictor(rows))
        if len(predictions) != len(rows):
            raise ConfigError(
                f"the predictor returned {len(predictions)} predictions for {len(rows)} rows",
                field="model_config",
                value=len(predictions),
            )
        own = [name for name in (dataset.predicted_label, dataset.probability) if name]
        table = dataset.table.drop_columns(own).append_column(
            PREDICTION_COLUMN, pa.array(predictions)
        )
        # The table's columns are named now (a JSON label path is resolved already).
        config = config.model_copy(
            update={
                "label": dataset.label,
                "predicted_label": PREDICTION_COLUMN,
                "probability": None,
                "dataset_type": "text/csv",
            }
        )
        dataset = dataset_from_table(table, config, source=dataset.source)
    elif not config.predicts:
        config.refuse_predictor_block("baseline's post-training metrics")
        raise ConfigError(
            "a baseline needs predictions: name the predicted_label column of the dataset, or"
            " give a model",
            field="predicted_label",
        )
    return _write(
        analyze(dataset, config),
        analysis_config,
        dataset_uri=dataset_uri,
        output_uri=output_uri,
        noise=noise,
    )


def _feature_rows(dataset: Dataset, config: AnalysisConfig) -> list[list[Any]]:
    """The rows a model is asked about: the dataset's feature columns, in order."""
    left_out = {dataset.label, dataset.predicted_label, dataset.probability}
    for ref in config.excluded_columns or ():
        left_out.add(dataset.resolve(ref, field="excluded_columns"))
    names = [name for name in dataset.table.column_names if name not in left_out]
    return [list(row.values()) for row in dataset.table.select(names).to_pylist()]


def _write(
    result: AnalysisResult,
    analysis_config: dict[str, Any],
    *,
    dataset_uri: str,
    output_uri: str,
    noise: WindowNoise | None,
) -> BaselineOutcome:
    """Write the baseline's ``analysis_config.json``, ``analysis.json`` and ``report.html``.

    With ``noise``, also ``noise_aware_constraints.json``.
    """
    document = analysis_document(result)
    analysis_uri = join(output_uri, "analysis.json")
    widened = noise_aware_constraints(result, noise) if noise is not None else None
    write_bytes(join(output_uri, "analysis_config.json"), json_bytes(analysis_config))
    write_bytes(analysis_uri, json_bytes(document))
    widened_uri = join(output_uri, NOISE_AWARE_FILE)
    if widened is not None:
        write_bytes(widened_uri, json_bytes(widened))
    else:
        # An earlier job's widened constraints in this folder would no longer fit analysis.json.
        delete_file(widened_uri)
    report = render_report(result, title="Bias baseline", subtitle=f"dataset {dataset_uri}")
    write_bytes(join(output_uri, "report.html"), report.encode())
    shown_uri = None if widened is None else widened_uri
    return BaselineOutcome(output_uri, analysis_uri, document, result, shown_uri, widened)


def record_baselining_job(
    store: Store,
    name: str,
    dataset_uri: str,
    analysis_config: dict[str, Any],
    *,
    output_uri: str,
    predictor: Predictor | None = None,
    clock: Callable[[], datetime],
    noise: WindowNoise | None = None,
) -> BaselineOutcome:
    """Run :func:`run_baselining_job` and record it in the store (``Failed`` with the reason).

    ``noise`` asks for noise-aware constraints too (see :func:`run_baselining_job`).
    """
    row = BaseliningJobRow(
        name=name,
        status=JobStatus.IN_PROGRESS.value,
        analysis_config=analysis_config,
        output_uri=output_uri,
        failure_reason=None,
        created_at=clock(),
        ended_at=None,
    )
    store.save_baselining_job(row)
    try:
        outcome = run_baselining_job(
            dataset_uri, analysis_config, output_uri=output_uri, predictor=predictor, noise=noise
        )
    except BiaswatchError as exc:
        row.status, row.failure_reason, row.ended_at = JobStatus.FAILED.value, str(exc), clock()
        store.save_baselining_job(row)
        raise
    row.status, row.ended_at = JobStatus.COMPLETED.value, clock()
    store.save_baselining_job(row)
    return outcome
