"""``biaswatch baseline``: a baselining job from the command line."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer

from biaswatch.cli.common import console, open_store, read_input
from biaswatch.errors import ConfigError

__all__ = ["baseline_command"]


def _config(path: Path) -> dict[str, Any]:
    try:
        document = orjson.loads(read_input(path, "--analysis-config"))
    except orjson.JSONDecodeError as exc:
        raise ConfigError(
            f"{path} is not valid JSON: {exc.msg}", field="--analysis-config", value=str(path)
        ) from exc
    if not isinstance(document, dict):
        raise ConfigError(
            f"{path} must hold a JSON object", field="--analysis-config", value=str(path)
        )
    return document


def _rows(value: str) -> int:
    """``--expected-window-rows``: a whole number ≥ 1, else a config error naming the value."""
    try:
        rows = int(value)
    except ValueError:
        rows = 0
    if rows < 1:
        raise ConfigError(
            f"--expected-window-rows {value!r}: expected a whole number ≥ 1 (rows in a"
            " monitoring window)",
            field="--expected-window-rows",
            value=value,
        )
    return rows


def baseline_command(
    dataset: Annotated[
        str,
        typer.Option(
            "--dataset",
            help="The reference dataset (a file or URI): CSV, JSON Lines or Parquet, as the"
            " config's dataset_type says.",
        ),
    ],
    analysis_config: Annotated[
        Path,
        typer.Option(
            "--analysis-config",
            help="The Clarify analysis config (a JSON file).",
            exists=True,
            dir_okay=False,
        ),
    ],
    output_uri: Annotated[
        str, typer.Option("--output-uri", help="Where the baseline's files go (a folder or URI).")
    ],
    name: Annotated[
        str | None,
        typer.Option("--name", help="The job's name; default: baseline-<12 hex digits>."),
    ] = None,
    model_url: Annotated[
        str | None, typer.Option("--model-url", help="Call this HTTP model for predictions.")
    ] = None,
    endpoint: Annotated[
        str | None,
        typer.Option("--endpoint", help="Call this registered endpoint's URL for predictions."),
    ] = None,
    content_type: Annotated[
        str,
        typer.Option(
            help="With a model: the request type (text/csv, application/jsonlines or"
            " application/json)."
        ),
    ] = "text/csv",
    accept_type: Annotated[
        str | None, typer.Option(help="With a model: the response type; default: the request's.")
    ] = None,
    content_template: Annotated[
        str | None,
        typer.Option(help="With a model: the JSON request template ($features, $records)."),
    ] = None,
    record_template: Annotated[
        str, typer.Option(help="With a model: the JSON template of one record in $records.")
    ] = "$features",
    label_attribute: Annotated[
        str | None,
        typer.Option(
            help="With a model: where its response holds the predicted label (a CSV column"
            " index or a JMESPath expression, e.g. predicted_label)."
        ),
    ] = None,
    probability_attribute: Annotated[
        str | None,
        typer.Option(
            help="With a model: where its response holds the score (a CSV column index or a"
            " JMESPath expression, e.g. score)."
        ),
    ] = None,
    probability_threshold: Annotated[
        float | None,
        typer.Option(help="Score above which the label is positive (default: the config's, 0.5)."),
    ] = None,
    records_per_request: Annotated[
        int, typer.Option(help="With a model: records sent per request.", min=1)
    ] = 500,
    expected_window_rows: Annotated[
        str | None,
        typer.Option(
            "--expected-window-rows",
            metavar="ROWS",
            help=(
                "Also write noise_aware_constraints.json: each count-based metric widened to"
                " the sampling noise of a monitoring window of this many rows (4,000"
                " resamples, 99.9 % quantile, seed 0), so that unchanged windows rarely"
                " alert. `schedules create --baseline-job` then uses it; add --rule ideal for"
                " DI to alert on a fall toward 0 too."
            ),
        ),
    ] = None,
) -> None:
    """Run a baselining job: a dataset's metrics as constraints.

    The dataset's bias metrics become the constraints schedules judge violations by.
    Predictions come from the config's predicted_label column, or from a model (--model-url,
    or --endpoint registered with a URL). analysis.json is the suggested constraints, as
    Clarify writes them; with --expected-window-rows, noise_aware_constraints.json beside it
    holds them widened to a window's sampling noise
    (docs/decisions/0025-noise-aware-constraints.md).
    """
    from biaswatch.constraints.noise import WindowNoise
    from biaswatch.jobs.baseline import Predictor, record_baselining_job
    from biaswatch.jobs.endpoints import endpoint_url
    from biaswatch.jobs.model_endpoint import HttpPredictor
    from biaswatch.records import DecodingOptions

    noise = None if expected_window_rows is None else WindowNoise(_rows(expected_window_rows))
    config = _config(analysis_config)
    if model_url and endpoint:
        raise ConfigError("give --model-url or --endpoint, not both", field="--endpoint")
    predictor: Predictor | None = None
    url = model_url or (endpoint_url(open_store(), endpoint) if endpoint else None)
    if url is not None:
        threshold = probability_threshold
        if threshold is None:
            threshold = float(config.get("probability_threshold", 0.5))
        predictor = HttpPredictor(
            url,
            content_type=content_type,
            accept_type=accept_type,
            content_template=content_template,
            record_template=record_template,
            options=DecodingOptions(
                inference_attribute=label_attribute,
                probability_attribute=probability_attribute,
                probability_threshold=threshold,
            ),
            records_per_request=records_per_request,
        )
    job = name or f"baseline-{uuid.uuid4().hex[:12]}"
    outcome = record_baselining_job(
        open_store(),
        job,
        dataset,
        config,
        output_uri=output_uri,
        predictor=predictor,
        clock=lambda: datetime.now(UTC),
        noise=noise,
    )
    console.print(f"Baselining job {job}: {outcome.result.rows} rows analysed.", markup=False)
    console.print(f"constraints: {outcome.analysis_uri}", markup=False)
    if noise is not None:
        console.print(
            f"noise-aware constraints (windows of {noise.expected_window_rows:,} rows):"
            f" {outcome.noise_aware_uri}",
            markup=False,
        )
