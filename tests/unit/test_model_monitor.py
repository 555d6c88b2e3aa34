"""ModelBiasMonitor's validations and messages (SageMaker's), and its schedule operations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from biaswatch.clarify import BiasConfig, DataConfig, ModelPredictedLabelConfig
from biaswatch.errors import ConfigError, ScheduleError
from biaswatch.model_monitor import (
    BatchTransformInput,
    BiasAnalysisConfig,
    CronExpressionGenerator,
    EndpointInput,
    ModelBiasModelMonitor,
    ModelBiasMonitor,
)

T = datetime(2026, 11, 24, 10, tzinfo=UTC)
ANALYSIS = BiasAnalysisConfig(BiasConfig([1], "sex", [0]), headers=["sex", "x", "y"], label="y")


def create(monitor: ModelBiasMonitor, **changes: Any) -> None:
    arguments: dict[str, Any] = {
        "monitor_schedule_name": "s",
        "endpoint_input": "ep",
        "ground_truth_input": "/tmp/gt",
        "analysis_config": ANALYSIS,
        "schedule_cron_expression": CronExpressionGenerator.hourly(),
    }
    monitor.create_monitoring_schedule(**(arguments | changes))


def test_the_docs_name_is_an_alias() -> None:
    assert ModelBiasModelMonitor is ModelBiasMonitor
    assert ModelBiasMonitor.monitoring_type() == "ModelBias"


def test_ground_truth_is_required(monitor: ModelBiasMonitor) -> None:
    with pytest.raises(ValueError, match=r"^ground_truth_input can not be None\.$"):
        create(monitor, ground_truth_input=None)


@pytest.mark.parametrize("both", [True, False])
def test_exactly_one_input(monitor: ModelBiasMonitor, both: bool) -> None:
    batch = BatchTransformInput(data_captured_destination_s3_uri="/tmp/b") if both else None
    with pytest.raises(
        ValueError, match="Need to have either batch_transform_input or endpoint_input"
    ):
        create(monitor, endpoint_input="ep" if both else None, batch_transform_input=batch)


def test_now_needs_both_times(monitor: ModelBiasMonitor) -> None:
    with pytest.raises(ValueError, match="data_analysis_end_time are required") as caught:
        create(monitor, schedule_cron_expression="NOW", data_analysis_start_time="-PT1H")
    assert str(caught.value) == (
        "Both data_analysis_start_time and data_analysis_end_time are required for one time"
        " monitoring schedule "
    )


def test_analysis_config_is_mandatory_without_a_baseline(monitor: ModelBiasMonitor) -> None:
    with pytest.raises(ValueError, match=r"^analysis_config is mandatory\.$"):
        create(monitor, analysis_config=None)


def test_a_monitor_creates_one_schedule(monitor: ModelBiasMonitor) -> None:
    create(monitor)
    with pytest.raises(
        ValueError, match="already used to create an Amazon Model Monitoring Schedule"
    ):
        create(monitor, monitor_schedule_name="t")


def test_invalid_cron_and_offsets_fail_at_creation(monitor: ModelBiasMonitor) -> None:
    with pytest.raises(ScheduleError, match="6 fields"):
        create(monitor, schedule_cron_expression="cron(0 * * *)")
    with pytest.raises(ConfigError, match="start_time_offset = 'an hour ago'"):
        create(monitor, endpoint_input=EndpointInput("ep", start_time_offset="an hour ago"))
    assert monitor.store.schedules() == []


def test_an_unregistered_endpoint(monitor: ModelBiasMonitor) -> None:
    with pytest.raises(ConfigError, match="endpoint 'nope' is not registered"):
        create(monitor, endpoint_input="nope")


def test_describe_start_stop_update_delete(monitor: ModelBiasMonitor) -> None:
    create(monitor)
    described = monitor.describe_schedule()
    assert described["MonitoringScheduleStatus"] == "Scheduled"
    assert (
        described["MonitoringScheduleConfig"]["ScheduleConfig"]["ScheduleExpression"]
        == "cron(0 * ? * * *)"
    )
    monitor.stop_monitoring_schedule()
    assert monitor.describe_schedule()["MonitoringScheduleStatus"] == "Stopped"
    monitor.start_monitoring_schedule()
    monitor.update_monitoring_schedule(schedule_cron_expression=CronExpressionGenerator.daily(3))
    assert (
        monitor.describe_schedule()["MonitoringScheduleConfig"]["ScheduleConfig"][
            "ScheduleExpression"
        ]
        == "cron(0 3 ? * * *)"
    )
    monitor.update_monitoring_schedule()  # no argument: nothing happens, as in the SDK
    attached = ModelBiasMonitor.attach("s", store=monitor.store)
    assert attached.describe_schedule()["MonitoringScheduleName"] == "s"
    assert attached.list_executions() == []
    assert attached.latest_monitoring_constraint_violations() is None
    monitor.delete_monitoring_schedule()
    assert monitor.store.schedules() == []
    with pytest.raises(ValueError, match=r"^Nothing to update, please create a schedule first\.$"):
        monitor.describe_schedule()


def test_without_a_baseline_suggestions_are_none(
    monitor: ModelBiasMonitor, caplog: pytest.LogCaptureFixture
) -> None:
    # The docs' sample calls both whether or not a baselining job ran: None, with a warning.
    assert monitor.suggested_constraints() is None
    assert "No suggestion jobs were kicked off" in caplog.text
    assert monitor.baseline_statistics() is None
    with pytest.raises(ValueError, match=r"^No suggestion jobs were kicked off\.$"):
        monitor.describe_latest_baselining_job()


def test_baseline_needs_predictions(monitor: ModelBiasMonitor, tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text("sex,x,y\n0,1,1\n1,2,0\n")
    with pytest.raises(ConfigError, match="needs predictions"):
        monitor.suggest_baseline(
            data_config=DataConfig(str(tmp_path / "d.csv"), str(tmp_path / "out"), label="y"),
            bias_config=BiasConfig([1], "sex", [0]),
            model_predicted_label_config=ModelPredictedLabelConfig(probability_threshold=0.5),
        )


def test_baseline_with_a_python_predictor(monitor: ModelBiasMonitor, tmp_path: Path) -> None:
    from biaswatch.clarify import ModelConfig

    (tmp_path / "d.csv").write_text(
        "sex,x,y\n" + "".join(f"{i % 2},{i},{i % 3 == 0:d}\n" for i in range(60))
    )
    job = monitor.suggest_baseline(
        data_config=DataConfig(
            str(tmp_path / "d.csv"), str(tmp_path / "out"), label="y", headers=["sex", "x", "y"]
        ),
        bias_config=BiasConfig([1], "sex", [0]),
        model_config=ModelConfig(predictor=lambda rows: [int(r[1] > 20) for r in rows]),
    )
    constraints = monitor.suggested_constraints()
    assert constraints is not None
    document = constraints.body_dict
    assert "post_training_bias_metrics" in document
    assert job.output_uri == str(tmp_path / "out")
    assert (tmp_path / "out" / "report.html").exists()
    assert (tmp_path / "out" / "analysis_config.json").exists()


def test_backfill_runs_every_scheduled_time(monitor: ModelBiasMonitor) -> None:
    create(monitor)
    executions = monitor.backfill(start=T - timedelta(hours=2), end=T)
    assert [e.row.scheduled_time for e in executions] == [
        T - timedelta(hours=2),
        T - timedelta(hours=1),
        T,
    ]
    assert {e.describe()["MonitoringExecutionStatus"] for e in executions} == {"Failed"}
    assert executions[0].describe()["FailureReason"].startswith("no captured records in")


def test_reruns_from_the_facade_number_their_attempts(monitor: ModelBiasMonitor) -> None:
    create(monitor)
    first = monitor.run_execution(scheduled_time=T)
    assert (first.describe()["Attempt"], first.describe()["Revised"]) == (1, False)
    assert monitor.run_execution(scheduled_time=T).describe()["Attempt"] == 1  # not run again
    again = monitor.run_execution(scheduled_time=T, rerun=True)
    assert (again.describe()["Attempt"], again.describe()["Attempts"]) == (2, 2)
    assert [a["Trigger"] for a in again.attempts()] == ["manual", "manual"]
    backfilled = monitor.backfill(start=T - timedelta(hours=1), end=T, rerun="failed")
    assert [e.describe()["Attempt"] for e in backfilled] == [1, 3]
    assert backfilled[1].attempts()[0]["Trigger"] == "backfill"
    everything = monitor.backfill(start=T - timedelta(hours=1), end=T, rerun="all")
    assert [e.describe()["Attempt"] for e in everything] == [2, 4]
    assert monitor.backfill(start=T - timedelta(hours=1), end=T)[1].describe()["Attempt"] == 4
    with pytest.raises(ConfigError, match="rerun = 'some'"):
        monitor.backfill(start=T, end=T, rerun="some")  # type: ignore[arg-type]


def test_reevaluate_within_is_checked_at_creation_and_update(monitor: ModelBiasMonitor) -> None:
    with pytest.raises(ConfigError, match="reevaluate_within = 'P1M'"):
        create(monitor, reevaluate_within="P1M")
    with pytest.raises(ConfigError, match="reevaluate_within = '-P1D'"):
        create(monitor, reevaluate_within="-P1D")
    create(monitor, reevaluate_within="P2D")
    with pytest.raises(ConfigError, match="reevaluate_within = 'soon'"):
        monitor.update_monitoring_schedule(reevaluate_within="soon")
    monitor.update_monitoring_schedule(reevaluate_within="PT6H")
    row = monitor.store.schedule("s")
    assert row is not None
    assert row.definition["reevaluate_within"] == "PT6H"


def test_facet_value_labels_are_kept_and_checked(monitor: ModelBiasMonitor) -> None:
    with pytest.raises(ConfigError, match="facet_value_labels = "):
        create(monitor, facet_value_labels={"0": ""})
    with pytest.raises(ConfigError, match="facet_value_labels = "):
        create(monitor, facet_value_labels=["female"])
    create(monitor, facet_value_labels={0: "female"})
    monitor.update_monitoring_schedule(facet_value_labels={"0": "women", "1": "men"})
    row = monitor.store.schedule("s")
    assert row is not None
    assert row.definition["facet_value_labels"] == {"0": "women", "1": "men"}


def test_live_violation_window_is_checked_at_creation_and_is_no_part_of_the_job(
    monitor: ModelBiasMonitor,
) -> None:
    baseline = "/tmp/baseline/analysis.json"
    with pytest.raises(ConfigError, match=r"live_violation_window = 5: .* need a baseline"):
        create(monitor, live_violation_window=5)
    with pytest.raises(ConfigError, match="live_violation_window = 0: "):
        create(monitor, live_violation_window=0, constraints=baseline)
    batch = BatchTransformInput(data_captured_destination_s3_uri="/tmp/b")
    with pytest.raises(ConfigError, match=r"live_violation_window = 5: .* need an endpoint_input"):
        create(
            monitor,
            endpoint_input=None,
            batch_transform_input=batch,
            live_violation_window=5,
            constraints=baseline,
        )
    create(monitor, live_violation_window=5, constraints=baseline)
    job = monitor.job_definition_name
    assert monitor.describe_schedule()["LiveViolationWindowMinutes"] == 5
    monitor.update_monitoring_schedule(live_violation_window=15)
    assert monitor.job_definition_name == job  # biaswatch's alerting, not SageMaker's job
    assert monitor.describe_schedule()["LiveViolationWindowMinutes"] == 15
    monitor.update_monitoring_schedule(live_violation_window=None)
    assert "LiveViolationWindowMinutes" not in monitor.describe_schedule()
