"""The rest of SageMaker's bias-monitoring API: processing-job descriptions, wait and stop,
baselining jobs, schedule descriptions, updates, imports and the checks made at creation.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.s3_server import silent_server
from tests.unit.test_model_monitor import T, create

from biaswatch.capture.registry import register_endpoint
from biaswatch.clarify import BiasConfig, DataConfig, ModelConfig
from biaswatch.errors import ConfigError
from biaswatch.model_monitor import (
    BaseliningJob,
    BatchTransformInput,
    DatasetFormat,
    EndpointInput,
    ModelBiasMonitor,
    MonitoringDatasetFormat,
    MonitoringExecution,
    NetworkConfig,
    Statistics,
    UnexpectedStatusException,
)
from biaswatch.status import ExecutionStatus
from biaswatch.store import Store


def test_the_names_a_bias_workflow_imports() -> None:
    network = NetworkConfig(security_group_ids=["sg-1"], subnets=["subnet-1"])
    assert network._to_request_dict() == {
        "EnableNetworkIsolation": False,
        "VpcConfig": {"SecurityGroupIds": ["sg-1"], "Subnets": ["subnet-1"]},
    }
    assert NetworkConfig(encrypt_inter_container_traffic=True)._to_request_dict() == {
        "EnableNetworkIsolation": False,
        "EnableInterContainerTrafficEncryption": True,
    }
    assert DatasetFormat.csv(header=False) == {
        "csv": {"header": False, "output_columns_position": "START"}
    }
    assert DatasetFormat.json() == {"json": {"lines": True}}
    assert DatasetFormat.sagemaker_capture_json() == {"sagemakerCaptureJson": {}}
    assert Statistics.from_string('{"version": 0.0}').body_dict == {"version": 0.0}
    # The constructor accepts a NetworkConfig (ignored), as the SDK's does.
    ModelBiasMonitor(role="r", network_config=network)


@pytest.mark.parametrize(
    ("name", "kind"),
    [("ModelQualityMonitor", "model-quality"), ("DefaultModelMonitor", "data-quality")],
)
def test_other_monitors_say_they_are_not_offered(name: str, kind: str) -> None:
    with pytest.raises(ImportError, match=f"{name} is SageMaker's {kind} monitoring"):
        exec(f"from biaswatch.model_monitor import {name}")
    with pytest.raises(ImportError, match="cannot import name 'Nonsense'"):
        exec("from biaswatch.model_monitor import Nonsense")


def test_an_execution_is_described_as_a_processing_job(monitor: ModelBiasMonitor) -> None:
    create(monitor)
    execution = monitor.run_execution(scheduled_time=T)
    described = execution.describe()
    name = "model-bias-monitoring-202611241000-" + execution.job_name.rsplit("-", 1)[1]
    assert execution.job_name == name
    assert len(name) <= 63
    assert described["ProcessingJobName"] == name
    assert described["ProcessingJobArn"] == (
        f"arn:biaswatch:sagemaker:local:000000000000:processing-job/{name}"
    )
    # The SDK's MonitoringExecution.from_processing_arn takes the name from the sixth part.
    assert described["ProcessingJobArn"].split(":")[5][len("processing-job/") :] == name
    assert described["ProcessingJobStatus"] == "Failed"
    assert described["ExitMessage"] == described["FailureReason"]
    assert described["FailureReason"].startswith("no captured records in")
    assert described["MonitoringExecutionStatus"] == "Failed"
    assert described["ScheduledTime"] == T
    assert described["EndpointName"] == "ep"
    assert described["MonitoringScheduleArn"].endswith(":monitoring-schedule/s")
    assert described["ProcessingStartTime"] <= described["ProcessingEndTime"]
    output = described["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]
    assert output["S3Uri"] == execution.output.destination
    inputs = {i["InputName"]: i["S3Input"]["S3Uri"] for i in described["ProcessingInputs"]}
    assert inputs["groundtruth_input"] == "/tmp/gt"
    assert inputs["endpoint_input"].endswith("capture/ep/AllTraffic")
    with pytest.raises(UnexpectedStatusException, match=f"Error for Processing job {name}: Failed"):
        execution.wait(logs=False)
    summary = monitor.describe_schedule()["LastMonitoringExecutionSummary"]
    assert summary["ProcessingJobArn"] == described["ProcessingJobArn"]
    assert summary["MonitoringJobDefinitionName"] == monitor.job_definition_name
    assert "ProcessingJobStatus" not in summary
    # The same name in any process (derived, not stored): a fresh read gives it too.
    assert MonitoringExecution(execution.row).job_name == name


def test_processing_statuses_and_exit_messages(monitor: ModelBiasMonitor) -> None:
    create(monitor)
    execution = monitor.run_execution(scheduled_time=T)
    row = execution.row
    cases = {
        ExecutionStatus.COMPLETED: (
            "Completed",
            "Completed: Job completed successfully with no violations.",
        ),
        ExecutionStatus.COMPLETED_WITH_VIOLATIONS: (
            "Completed",
            "CompletedWithViolations: Job completed successfully with 2 violations.",
        ),
        ExecutionStatus.STOPPED: ("Stopped", "the reason"),
        ExecutionStatus.IN_PROGRESS: ("InProgress", None),
    }
    for status, (processing, message) in cases.items():
        row.status, row.counts, row.failure_reason = status.value, {"violations": 2}, "the reason"
        shown = MonitoringExecution(row)
        described = shown.describe()
        assert (described["ProcessingJobStatus"], described.get("ExitMessage")) == (
            processing,
            message,
        )
        if status.finished:
            shown.wait()  # violations and Stopped do not raise


def test_wait_blocks_until_the_execution_ends(monitor: ModelBiasMonitor) -> None:
    create(monitor)
    row = monitor.store.add_execution("s", T, now=T)
    execution = MonitoringExecution(row, monitor.store, clock=lambda: T)
    raised: list[UnexpectedStatusException] = []

    def waiting() -> None:
        try:
            execution.wait(poll=0.05)
        except UnexpectedStatusException as exc:
            raised.append(exc)

    waiter = threading.Thread(target=waiting)
    waiter.start()
    time.sleep(0.3)
    assert waiter.is_alive()  # Pending: it waits
    monitor.run_execution(scheduled_time=T)
    waiter.join(timeout=60)
    assert not waiter.is_alive()
    (error,) = raised
    assert "Failed. Reason: no captured records in" in str(error)
    assert (error.actual_status, error.allowed_statuses) == ("Failed", ("Completed", "Stopped"))


def test_stop_ends_a_running_execution_and_its_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with silent_server() as (url, connected):
        stalled_storage(monkeypatch, url)
        # The capture is on a storage that never answers: the worker blocks reading it.
        register_endpoint("stalled", "s3://bucket/capture")
        monitor = ModelBiasMonitor(
            store=Store.open(f"sqlite:///{tmp_path / 's.db'}"), clock=lambda: T
        )
        create(monitor, endpoint_input="stalled", ground_truth_input=str(tmp_path))
        stop_while_it_runs(monitor, connected)


def stalled_storage(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "BIASWATCH_S3_ENDPOINT_URL": url,
    }.items():
        monkeypatch.setenv(name, value)


def stop_while_it_runs(monitor: ModelBiasMonitor, connected: threading.Event) -> None:
    results: list[MonitoringExecution] = []
    runner = threading.Thread(target=lambda: results.append(monitor.run_execution(T)))
    runner.start()
    deadline = time.monotonic() + 60
    while (row := monitor.store.execution_at("s", T)) is None or row.lease_owner is None:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    execution = MonitoringExecution(row, monitor.store, clock=lambda: T)
    assert execution.describe()["ProcessingJobStatus"] == "InProgress"
    assert connected.wait(timeout=60)  # the worker is reading the capture, and blocked
    stopped_at = time.monotonic()
    execution.stop()
    assert execution.row.status == "Stopped"
    runner.join(timeout=30)
    assert not runner.is_alive()
    assert time.monotonic() - stopped_at < 10  # the worker was ended, not waited for
    (result,) = results
    assert result.row.status == "Stopped"
    assert result.row.failure_reason is not None
    assert result.row.failure_reason.startswith("stopped on request at ")
    assert "run_execution(rerun=True)" in result.row.failure_reason
    assert result.describe()["ProcessingJobStatus"] == "Stopped"
    assert monitor.store.attempts(row.id)[0].status == "Stopped"
    execution.stop()  # a finished execution is left as it is
    assert execution.row.status == "Stopped"


def test_baselining_jobs_are_processing_jobs(monitor: ModelBiasMonitor, tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text("sex,x,y\n0,1,1\n1,2,0\n0,30,1\n1,25,0\n")
    job = monitor.suggest_baseline(
        data_config=DataConfig(str(tmp_path / "d.csv"), str(tmp_path / "out"), label="y"),
        bias_config=BiasConfig([1], "sex", [0]),
        model_config=ModelConfig(predictor=lambda rows: [int(r[1] > 20) for r in rows]),
        job_name="my-baseline",
    )
    job.wait(logs=False)  # AWS's examples call it: the job has ended already
    described = monitor.describe_latest_baselining_job()
    assert described == job.describe()
    assert described["ProcessingJobName"] == "my-baseline"
    assert described["ProcessingJobStatus"] == "Completed"
    assert described["ProcessingJobArn"].endswith(":processing-job/my-baseline")
    output = described["ProcessingOutputConfig"]["Outputs"][0]
    assert (output["OutputName"], output["S3Output"]["S3Uri"]) == (
        "analysis_result",
        str(tmp_path / "out"),
    )
    inputs = {i["InputName"]: i["S3Input"]["S3Uri"] for i in described["ProcessingInputs"]}
    assert inputs == {
        "dataset": str(tmp_path / "d.csv"),
        "analysis_config": str(tmp_path / "out" / "analysis_config.json"),
    }
    assert monitor.baselining_jobs == [job]
    assert job.baseline_statistics() is None
    assert job.suggested_constraints("analysis.json").body_dict == (
        job.suggested_constraints().body_dict
    )
    # A job that failed: wait() raises with its reason.
    with pytest.raises(ConfigError):
        monitor.suggest_baseline(
            data_config=DataConfig(str(tmp_path / "d.csv"), str(tmp_path / "o2"), label="nope"),
            bias_config=BiasConfig([1], "sex", [0]),
            model_config=ModelConfig(predictor=lambda rows: [1 for _ in rows]),
            job_name="broken",
        )
    broken = BaseliningJob("broken", str(tmp_path / "o2"), {}, {}, store=monitor.store)
    assert broken.describe()["ProcessingJobStatus"] == "Failed"
    with pytest.raises(UnexpectedStatusException, match=r"Failed\. Reason: .*'nope'"):
        broken.wait()


def test_model_name_alone_names_a_model_biaswatch_cannot_call(
    monitor: ModelBiasMonitor, tmp_path: Path
) -> None:
    (tmp_path / "d.csv").write_text("sex,x,y\n0,1,1\n1,2,0\n")
    with pytest.raises(ConfigError, match=r"ModelConfig\(model_name='churn-xgb'\) names a"):
        monitor.suggest_baseline(
            data_config=DataConfig(str(tmp_path / "d.csv"), str(tmp_path / "out"), label="y"),
            bias_config=BiasConfig([1], "sex", [0]),
            model_config=ModelConfig(
                model_name="churn-xgb", instance_count=1, instance_type="ml.m5.xlarge"
            ),
        )


def test_describe_schedule_and_attach_agree(monitor: ModelBiasMonitor) -> None:
    create(monitor)
    described = monitor.describe_schedule()
    assert described["MonitoringScheduleArn"] == (
        "arn:biaswatch:sagemaker:local:000000000000:monitoring-schedule/s"
    )
    assert described["EndpointName"] == "ep"
    config = described["MonitoringScheduleConfig"]
    assert config["ScheduleConfig"] == {"ScheduleExpression": "cron(0 * ? * * *)"}
    name = config["MonitoringJobDefinitionName"]
    assert name == monitor.job_definition_name
    assert name.startswith("model-bias-job-definition-2")
    assert len(name) <= 63
    attached = ModelBiasMonitor.attach("s", store=monitor.store, clock=lambda: T)
    assert attached.job_definition_name == name
    # A cron change keeps the job definition; any other change makes a new one (as SageMaker).
    monitor.update_monitoring_schedule(schedule_cron_expression="cron(0 3 ? * * *)")
    assert (
        monitor.describe_schedule()["MonitoringScheduleConfig"]["MonitoringJobDefinitionName"]
        == name
    )
    time.sleep(0.002)
    monitor.update_monitoring_schedule(ground_truth_input="/tmp/gt2")
    renamed = monitor.describe_schedule()["MonitoringScheduleConfig"]["MonitoringJobDefinitionName"]
    assert renamed != name
    assert renamed == monitor.job_definition_name
    assert ModelBiasMonitor.attach("s", store=monitor.store).job_definition_name == renamed


def test_a_one_time_schedule_shows_its_window(monitor: ModelBiasMonitor) -> None:
    create(
        monitor,
        schedule_cron_expression="NOW",
        data_analysis_start_time="-PT5H",
        data_analysis_end_time="-PT1H",
    )
    assert monitor.describe_schedule()["MonitoringScheduleConfig"]["ScheduleConfig"] == {
        "ScheduleExpression": "NOW",
        "DataAnalysisStartTime": "-PT5H",
        "DataAnalysisEndTime": "-PT1H",
    }


def definition(monitor: ModelBiasMonitor) -> dict[str, Any]:
    row = monitor.store.schedule("s")
    assert row is not None
    return row.definition


def test_update_accepts_aws_settings_and_applies_the_rest(
    monitor: ModelBiasMonitor, tmp_path: Path
) -> None:
    create(monitor)
    monitor.update_monitoring_schedule(
        role="arn:aws:iam::111122223333:role/r",
        instance_count=2,
        instance_type="ml.m5.large",
        volume_size_in_gb=50,
        volume_kms_key="k",
        output_kms_key="k",
        network_config=NetworkConfig(enable_network_isolation=True),
    )
    monitor.update_monitoring_schedule(
        max_runtime_in_seconds=1800,
        data_analysis_start_time="-PT3H",
        data_analysis_end_time="-PT1H",
        env={"TEAM": "risk"},
    )
    current = definition(monitor)
    assert current["max_runtime_in_seconds"] == 1800
    assert current["environment"] == {"TEAM": "risk"}
    window = current["endpoint_input"]
    assert (window["start_time_offset"], window["end_time_offset"]) == ("-PT3H", "-PT1H")
    assert window["endpoint_name"] == "ep"
    # Switch to a batch-transform input, then back to an endpoint.
    monitor.update_monitoring_schedule(
        batch_transform_input=BatchTransformInput(
            data_captured_destination_s3_uri=str(tmp_path / "batch"),
            dataset_format=MonitoringDatasetFormat.csv(header=False),
        )
    )
    current = definition(monitor)
    assert current["endpoint_input"] is None
    assert current["batch_transform_input"]["data_captured_destination_s3_uri"] == str(
        tmp_path / "batch"
    )
    assert "EndpointName" not in monitor.describe_schedule()
    monitor.update_monitoring_schedule(
        endpoint_input=EndpointInput("ep", start_time_offset="-PT2H")
    )
    current = definition(monitor)
    assert current["batch_transform_input"] is None
    assert current["endpoint_input"]["start_time_offset"] == "-PT2H"


def test_update_refuses_what_create_refuses(monitor: ModelBiasMonitor, tmp_path: Path) -> None:
    create(monitor)
    with pytest.raises(ConfigError, match="Need to have either batch_transform_input"):
        monitor.update_monitoring_schedule(
            endpoint_input="ep",
            batch_transform_input=BatchTransformInput(str(tmp_path / "b")),
        )
    with pytest.raises(ConfigError, match=r"^Both data_analysis_start_time and"):
        monitor.update_monitoring_schedule(schedule_cron_expression="NOW")
    with pytest.raises(ConfigError, match="must come before its end offset"):
        monitor.update_monitoring_schedule(data_analysis_start_time="-PT0H")
    with pytest.raises(ConfigError, match="max_runtime_in_seconds = 0"):
        monitor.update_monitoring_schedule(max_runtime_in_seconds=0)
    with pytest.raises(ConfigError, match=r"violation_rules\.min_facet_size = -1") as e:
        monitor.update_monitoring_schedule(violation_rules={"min_facet_size": -1})
    assert e.value.field == "violation_rules.min_facet_size"
    monitor.update_monitoring_schedule(violation_rules={"rule": "ideal"}, reevaluate_within="P1D")
    assert definition(monitor)["violation_rules"]["rule"] == "ideal"
    monitor.update_monitoring_schedule(violation_rules=None, reevaluate_within=None)
    assert definition(monitor)["violation_rules"]["rule"] == "sagemaker"
    assert definition(monitor)["reevaluate_within"] is None
    with pytest.raises(TypeError, match=r"unexpected arguments \['colour'\]"):
        monitor.update_monitoring_schedule(colour="red")
    assert definition(monitor)["endpoint_input"]["start_time_offset"] == "-PT1H"


def test_problems_fail_at_creation_not_at_run_time(
    monitor: ModelBiasMonitor, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(ConfigError, match="rule='significant' compares confidence intervals") as e:
        create(monitor, violation_rules={"rule": "significant"})
    assert e.value.field == "confidence_level"
    with pytest.raises(ConfigError, match=r'monitoring schedule: violation_rules\.rule = "loud"'):
        create(monitor, violation_rules={"rule": "loud"})
    with pytest.raises(ConfigError, match=r"post_analytics_processor_script '.*nope\.py' does not"):
        create(monitor, post_analytics_processor_script=str(tmp_path / "nope.py"))
    with pytest.raises(ConfigError, match="analyses at most 24 hours") as e:
        create(
            monitor,
            schedule_cron_expression="NOW",
            data_analysis_start_time="-P2D",
            data_analysis_end_time="-PT0H",
        )
    assert "spans 48 hours" in str(e.value)
    assert e.value.field == "data_analysis_start_time"
    assert monitor.store.schedules() == []
    with caplog.at_level(logging.WARNING):
        create(monitor, ground_truth_input=str(tmp_path / "labels-to-come"))
    assert "labels-to-come' does not exist yet" in caplog.text
    caplog.clear()
    (tmp_path / "labels").mkdir()
    monitor.update_monitoring_schedule(ground_truth_input=str(tmp_path / "labels"))
    assert "does not exist" not in caplog.text


def test_a_schedule_without_constraints_checks_no_violations(
    monitor: ModelBiasMonitor, tmp_path: Path
) -> None:
    # The docs' sample without a baseline: suggested_constraints() is None, analysis_config set.
    create(monitor, constraints=monitor.suggested_constraints(), statistics=None)
    assert definition(monitor)["baseline_constraints_uri"] is None


def test_an_execution_read_without_a_store() -> None:
    row_time = datetime(2026, 1, 1, tzinfo=UTC)
    from biaswatch.store import ExecutionRow

    row = ExecutionRow(
        id=1,
        schedule_name="x",
        scheduled_time=row_time,
        status="Completed",
        created_at=row_time,
        started_at=row_time,
        ended_at=row_time + timedelta(minutes=1),
        attempts=1,
        attempt=1,
    )
    execution = MonitoringExecution(row)
    assert execution.attempts() == []
    assert "EndpointName" not in execution.describe()
    with pytest.raises(ConfigError, match="cannot be stopped"):
        execution.stop()
