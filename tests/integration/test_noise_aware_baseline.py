"""Noise-aware constraints through the facade and the CLI, on UCI German Credit.

``suggest_baseline(..., expected_window_rows=400)`` (``biaswatch baseline
--expected-window-rows 400``) writes ``noise_aware_constraints.json`` beside a Clarify-identical
``analysis.json``; schedules given it stay quiet on a window of unchanged traffic that the
plain constraints flag, and still flag a window where women's good predictions were cut —
with DI among the violations under the ``ideal`` rule only.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from tests.conftest import run_cli
from tests.german_credit import GermanCredit, load_german_credit, reference_table

from biaswatch.capture import GroundTruthRecord, upload_ground_truth
from biaswatch.capture.config import DataCaptureConfig
from biaswatch.capture.registry import register_endpoint
from biaswatch.capture.writer import CaptureWriter
from biaswatch.clarify import BiasConfig, DataConfig, ModelPredictedLabelConfig
from biaswatch.errors import ConfigError
from biaswatch.model_monitor import (
    BaseliningJob,
    CronExpressionGenerator,
    EndpointInput,
    ModelBiasMonitor,
)
from biaswatch.store import Store

T = datetime(2026, 11, 24, 10, tzinfo=UTC)
HEADERS = ["sex", "age", "housing", "credit", "prediction"]
BIAS = BiasConfig([1], "sex", [0], group_name="housing")
NOISE_AWARE = "noise_aware_constraints.json"


@pytest.fixture(scope="module")
def credit() -> GermanCredit:
    return load_german_credit()


@pytest.fixture
def reference(tmp_path: Path, credit: GermanCredit) -> Path:
    table = reference_table(credit)
    path = tmp_path / "reference.csv"
    columns = [table.column(name).to_pylist() for name in HEADERS]
    path.write_text(
        ",".join(HEADERS)
        + "\n"
        + "".join(",".join(map(str, row)) + "\n" for row in zip(*columns, strict=True))
    )
    return path


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store.open(f"sqlite:///{tmp_path / 'store.db'}")


def suggest(
    monitor: ModelBiasMonitor, reference: Path, output: Path, **extra: Any
) -> BaseliningJob:
    return monitor.suggest_baseline(
        data_config=DataConfig(
            s3_data_input_path=str(reference),
            s3_output_path=str(output),
            label="credit",
            headers=HEADERS,
            dataset_type="text/csv",
            predicted_label="prediction",
        ),
        bias_config=BIAS,
        model_predicted_label_config=ModelPredictedLabelConfig(probability_threshold=0.5),
        **extra,
    )


def test_the_baselining_job_writes_both_files(
    tmp_path: Path, reference: Path, store: Store
) -> None:
    monitor = ModelBiasMonitor(store=store, clock=lambda: T)
    job = suggest(monitor, reference, tmp_path / "noisy", expected_window_rows=400)
    plain = suggest(ModelBiasMonitor(store=store, clock=lambda: T), reference, tmp_path / "plain")
    # analysis.json stays what Clarify writes, byte for byte.
    assert (tmp_path / "noisy" / "analysis.json").read_bytes() == (
        tmp_path / "plain" / "analysis.json"
    ).read_bytes()
    assert not (tmp_path / "plain" / NOISE_AWARE).exists()
    assert job.expected_window_rows == 400
    assert plain.expected_window_rows is None

    widened = job.suggested_constraints(noise_aware=True)
    assert widened.file_s3_uri == str(tmp_path / "noisy" / NOISE_AWARE)
    parameters = widened.body_dict["biaswatch"]["noise_aware_constraints"]
    assert (parameters["expected_window_rows"], parameters["resamples"]) == (400, 4000)
    assert (parameters["quantile"], parameters["seed"]) == (0.999, 0)
    assert job.suggested_constraints().body_dict == json.loads(
        (tmp_path / "noisy" / "analysis.json").read_text()
    )
    # SageMaker's file_name argument reaches it too.
    named = monitor.suggested_constraints(NOISE_AWARE)
    assert named is not None
    assert named.body_dict == widened.body_dict
    # The opt-in carries through: this monitor's schedule uses the widened constraints.
    register_endpoint("credit", str(tmp_path / "capture"))
    monitor.create_monitoring_schedule(
        endpoint_input="credit", ground_truth_input=str(tmp_path / "gt"),
        monitor_schedule_name="noisy",
    )  # fmt: skip
    noisy = store.schedule("noisy")
    assert noisy is not None
    assert noisy.definition["baseline_constraints_uri"] == str(tmp_path / "noisy" / NOISE_AWARE)

    with pytest.raises(ConfigError) as caught:
        plain.suggested_constraints(noise_aware=True)
    assert caught.value.field == "noise_aware"
    # A plain baseline written over a noise-aware one leaves no stale widened constraints.
    suggest(monitor, reference, tmp_path / "noisy")
    assert not (tmp_path / "noisy" / NOISE_AWARE).exists()


@pytest.mark.parametrize("rows", [0, -400, 2.5, "400", True])
def test_bad_window_sizes_fail_before_the_job_runs(
    tmp_path: Path, reference: Path, store: Store, rows: Any
) -> None:
    monitor = ModelBiasMonitor(store=store, clock=lambda: T)
    with pytest.raises(ConfigError) as caught:
        suggest(monitor, reference, tmp_path / "out", expected_window_rows=rows, job_name="refused")
    assert caught.value.field == "expected_window_rows"
    assert caught.value.value is rows
    assert "expected_window_rows" in str(caught.value)
    assert monitor.latest_baselining_job is None
    assert store.baselining_job("refused") is None
    assert not (tmp_path / "out").exists()


def _capture(
    tmp_path: Path,
    credit: GermanCredit,
    rows: npt.NDArray[np.intp],
    predicted: npt.NDArray[np.bool_],
    *,
    hour: datetime,
) -> None:
    """An hour of the endpoint's traffic (sex, age, housing → good or not) and its labels."""
    config = DataCaptureConfig(
        enable_capture=True, sampling_percentage=100, destination_s3_uri=str(tmp_path / "capture")
    )
    table = reference_table(credit, rows, predicted_good=predicted)
    sex, age, housing, good = (table.column(n).to_pylist() for n in HEADERS[:4])
    truth = []
    with CaptureWriter(config, endpoint_name="credit", clock=lambda: hour) as writer:
        for number, answer in enumerate(table.column("prediction").to_pylist()):
            inference_id = f"{hour:%H}-{number}"
            writer.capture(
                request_body=f"{sex[number]},{age[number]},{housing[number]}".encode(),
                request_content_type="text/csv",
                response_body=str(answer).encode(),
                response_content_type="text/csv",
                inference_id=inference_id,
            )
            truth.append(GroundTruthRecord.of(inference_id, good[number]))
    upload_ground_truth(
        str(tmp_path / "ground-truth"), truth, collected_at=hour + timedelta(minutes=50)
    )


def test_schedules_with_noise_aware_constraints(
    tmp_path: Path, reference: Path, store: Store, credit: GermanCredit
) -> None:
    register_endpoint("credit", str(tmp_path / "capture"))
    monitor = ModelBiasMonitor(store=store, clock=lambda: T + timedelta(hours=2))
    job = suggest(monitor, reference, tmp_path / "baseline", expected_window_rows=400)
    analysis_config = str(tmp_path / "baseline" / "analysis_config.json")
    schedules = {
        "plain": (job.suggested_constraints(), "sagemaker"),
        "noise-aware": (job.suggested_constraints(noise_aware=True), "sagemaker"),
        "noise-aware-ideal": (job.suggested_constraints(noise_aware=True), "ideal"),
    }
    monitors = {}
    for name, (constraints, rule) in schedules.items():
        monitors[name] = ModelBiasMonitor(store=store, clock=lambda: T + timedelta(hours=2))
        monitors[name].create_monitoring_schedule(
            monitor_schedule_name=name,
            endpoint_input=EndpointInput(
                endpoint_name="credit", probability_threshold_attribute=0.5
            ),
            ground_truth_input=str(tmp_path / "ground-truth"),
            analysis_config=analysis_config,
            constraints=constraints,
            output_s3_uri=str(tmp_path / "reports" / name),
            schedule_cron_expression=CronExpressionGenerator.hourly(),
            cut_at_inference_time=True,
            violation_rules={"rule": rule},
        )
    rng = np.random.default_rng(3)
    # 09:00-10:00, unchanged traffic; 10:00-11:00, every woman's good prediction turned bad.
    unchanged = rng.integers(0, len(credit), size=400)
    _capture(
        tmp_path,
        credit,
        unchanged,
        credit.predicted_good[unchanged],
        hour=T - timedelta(minutes=30),
    )
    cut = rng.integers(0, len(credit), size=400)
    biased = credit.predicted_good[cut] & ~credit.female[cut]
    _capture(tmp_path, credit, cut, biased, hour=T + timedelta(minutes=30))

    def run(name: str, moment: datetime) -> tuple[str, set[str]]:
        execution = monitors[name].run_execution(scheduled_time=moment)
        described = execution.describe()
        assert described["Counts"]["rows"] == 400, described
        found = execution.constraint_violations()
        assert found is not None
        flagged = {v["metric_name"] for v in found.body_dict["violations"] if v["facet"] == "sex"}
        return described["MonitoringExecutionStatus"], flagged

    status, flagged = run("plain", T)
    assert status == "CompletedWithViolations"
    assert len(flagged) >= 5  # SageMaker's plain constraints flag unchanged traffic
    assert run("noise-aware", T) == ("Completed", set())
    assert run("noise-aware-ideal", T) == ("Completed", set())

    later = T + timedelta(hours=1)
    status, flagged = run("noise-aware", later)
    assert status == "CompletedWithViolations"
    assert {"DPPL", "CDDPL"} <= flagged
    assert "DI" not in flagged  # SageMaker's rule never flags DI falling (to 0 here)
    status, flagged = run("noise-aware-ideal", later)
    assert status == "CompletedWithViolations"
    assert {"DI", "DPPL", "CDDPL"} <= flagged


# ------------------------------------------------------------------------------------- CLI


@pytest.fixture
def analysis_config(tmp_path: Path) -> Path:
    path = tmp_path / "analysis_config.json"
    config = {
        "dataset_type": "text/csv",
        "headers": HEADERS,
        "label": "credit",
        "predicted_label": "prediction",
        "label_values_or_threshold": [1],
        "facet": [{"name_or_index": "sex", "value_or_threshold": [0]}],
        "group_variable": "housing",
        "methods": {
            "pre_training_bias": {"methods": "all"},
            "post_training_bias": {"methods": "all"},
        },
    }
    path.write_text(json.dumps(config))
    return path


def baseline_cli(reference: Path, config: Path, output: Path, *extra: str) -> int:
    return run_cli(
        [
            "baseline",
            "--dataset",
            str(reference),
            "--analysis-config",
            str(config),
            "--output-uri",
            str(output),
            *extra,
        ]
    )


def test_the_cli_writes_noise_aware_constraints(
    tmp_path: Path,
    reference: Path,
    analysis_config: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    noisy, plain = tmp_path / "noisy", tmp_path / "plain"
    arguments = ["--expected-window-rows", "400", "--name", "credit-baseline"]
    assert baseline_cli(reference, analysis_config, noisy, *arguments) == 0
    out = capsys.readouterr().out
    assert f"noise-aware constraints (windows of 400 rows): {noisy / NOISE_AWARE}" in out
    assert baseline_cli(reference, analysis_config, plain) == 0
    assert "noise-aware" not in capsys.readouterr().out
    assert (noisy / "analysis.json").read_bytes() == (plain / "analysis.json").read_bytes()
    widened = json.loads((noisy / NOISE_AWARE).read_text())
    assert widened["biaswatch"]["noise_aware_constraints"]["expected_window_rows"] == 400

    # A schedule from that baselining job takes them (and --rule ideal, for DI).
    assert run_cli(["endpoints", "register", "credit", "--capture-uri", str(tmp_path / "c")]) == 0
    create = ["schedules", "create", "credit-hourly", "--endpoint", "credit"]
    create += ["--ground-truth-uri", str(tmp_path / "gt"), "--baseline-job", "credit-baseline"]
    assert run_cli([*create, "--rule", "ideal"]) == 0
    schedule = Store.open().schedule("credit-hourly")
    assert schedule is not None
    assert schedule.definition["baseline_constraints_uri"] == str(noisy / NOISE_AWARE)
    assert schedule.definition["violation_rules"]["rule"] == "ideal"
    # Explicit constraints win: here the plain analysis.json.
    create[2] = "credit-plain"
    assert run_cli([*create, "--constraints", str(noisy / "analysis.json")]) == 0
    plain_schedule = Store.open().schedule("credit-plain")
    assert plain_schedule is not None
    assert plain_schedule.definition["baseline_constraints_uri"] == str(noisy / "analysis.json")


@pytest.mark.parametrize("rows", ["0", "-3", "abc", "2.5"])
def test_the_cli_refuses_bad_window_sizes(
    tmp_path: Path,
    reference: Path,
    analysis_config: Path,
    capsys: pytest.CaptureFixture[str],
    rows: str,
) -> None:
    output = tmp_path / "out"
    assert baseline_cli(reference, analysis_config, output, "--expected-window-rows", rows) == 2
    error = capsys.readouterr().err
    assert "--expected-window-rows" in error
    assert rows in error
    assert not output.exists()


def test_the_cli_help_describes_the_option(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["baseline", "--help"]) == 0
    help_text = " ".join(capsys.readouterr().out.split())
    assert "--expected-window-rows" in help_text
    assert "noise_aware_constraints.json" in help_text
    assert "4,000 resamples, 99.9 % quantile, seed 0" in help_text
