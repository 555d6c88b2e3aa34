"""``ModelBiasMonitor``: SageMaker's bias-drift monitor, run by biaswatch.

Same constructor, methods, arguments and validation messages as ``sagemaker.model_monitor``'s,
so existing code runs after changing its imports. AWS-only arguments (``role``, instance and
volume settings, ``sagemaker_session``, ``network_config``) are accepted and ignored, by the
constructor and by ``update_monitoring_schedule``. Extras:
``run_execution(scheduled_time=, rerun=)`` runs one execution (or a new attempt of it) now,
``backfill(start=, end=, rerun=)`` every scheduled time in a range; ``statistics=`` and
``post_analytics_processor_script=`` are accepted by ``create_monitoring_schedule`` (the script
really runs after each execution), and ``reevaluate_within=`` reruns recent slots whose ground
truth grows.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

import orjson
from pydantic import ValidationError

from biaswatch.clarify import BiasConfig, DataConfig, ModelConfig, ModelPredictedLabelConfig
from biaswatch.config.durations import parse_period
from biaswatch.config.monitor import (
    EndpointInputDefinition,
    MonitoringJobDefinition,
)
from biaswatch.config.names import check_name
from biaswatch.config.notifications import Notification, parse_notifications
from biaswatch.config.rules import ViolationRules
from biaswatch.config.settings import biaswatch_home
from biaswatch.config.validation import config_error
from biaswatch.errors import ConfigError
from biaswatch.jobs.attempt import window_of
from biaswatch.jobs.endpoints import endpoint_url, find_endpoint
from biaswatch.jobs.runner import run_and_record
from biaswatch.jobs.worker import Worker
from biaswatch.model_monitor.files import Constraints
from biaswatch.model_monitor.inputs import BatchTransformInput, BiasAnalysisConfig, EndpointInput
from biaswatch.model_monitor.processing import (
    BaseliningJob,
    MonitoringExecution,
    arn,
    job_definition_name,
)
from biaswatch.schedule import NOW, CronSchedule, parse_schedule_expression
from biaswatch.status import ExecutionStatus, Trigger
from biaswatch.storage import exists, join, read_bytes
from biaswatch.store import ScheduleStatus, Store, process_owner

if TYPE_CHECKING:
    from biaswatch.jobs.baseline import Predictor

__all__ = ["ModelBiasModelMonitor", "ModelBiasMonitor"]

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
#: The longest window of a one-time (``NOW``) schedule, as SageMaker allows.
_ONE_TIME_LIMIT = timedelta(hours=24)
_NOW_NEEDS_TIMES = (
    "Both data_analysis_start_time and data_analysis_end_time are required for one time"
    " monitoring schedule "
)
_ONE_INPUT = (
    "Need to have either batch_transform_input or endpoint_input to create an Amazon Model"
    " Monitoring Schedule. Please provide only one of the above required inputs"
)
#: What is no part of SageMaker's job definition: changing only these keeps its name.
_NOT_THE_JOB = frozenset({"notifications", "live_violation_window"})
#: ``update_monitoring_schedule``'s biaswatch extras: definition fields of the same names.
_EXTRAS = (
    "notifications",
    "live_violation_window",
    "post_analytics_processor_script",
    "reevaluate_within",
    "facet_value_labels",
    "confidence_level",
    "violation_rules",
    "ground_truth_lookback",
    "cut_at_inference_time",
    "engine",
)
#: What ``backfill(rerun="failed")`` reruns.
_UNSUCCESSFUL = (ExecutionStatus.FAILED, ExecutionStatus.STOPPED)


def _now() -> datetime:
    return datetime.now(UTC)


class ModelBiasMonitor:
    """Monitor a model's bias drift against a baseline (SageMaker's ``ModelBiasMonitor``)."""

    JOB_DEFINITION_BASE_NAME = "model-bias-job-definition"

    def __init__(
        self,
        role: str | None = None,
        instance_count: int = 1,
        instance_type: str = "ml.m5.xlarge",
        volume_size_in_gb: int = 30,
        volume_kms_key: str | None = None,
        output_kms_key: str | None = None,
        max_runtime_in_seconds: int | None = None,
        base_job_name: str | None = None,
        sagemaker_session: Any = None,
        env: dict[str, str] | None = None,
        tags: list[dict[str, str]] | None = None,
        network_config: Any = None,
        *,
        store: Store | None = None,
        clock: Clock | None = None,
    ) -> None:
        log.debug("AWS settings (role, instances, volumes, session, network) are ignored")
        self.max_runtime_in_seconds = max_runtime_in_seconds
        self.base_job_name = base_job_name
        self.env = dict(env or {})
        self.tags = tags
        self._store = store
        self._clock = clock or _now
        self.baselining_jobs: list[BaseliningJob] = []
        self.latest_baselining_job: BaseliningJob | None = None
        self.latest_baselining_job_name: str | None = None
        self.monitoring_schedule_name: str | None = None
        self.job_definition_name: str | None = None

    @staticmethod
    def monitoring_type() -> str:
        """``ModelBias``."""
        return "ModelBias"

    @property
    def store(self) -> Store:
        """The metadata store (opened on first use)."""
        if self._store is None:
            self._store = Store.open()
        return self._store

    # ------------------------------------------------------------------ baseline

    def suggest_baseline(
        self,
        data_config: DataConfig,
        bias_config: BiasConfig,
        model_config: ModelConfig | None = None,
        model_predicted_label_config: ModelPredictedLabelConfig | None = None,
        wait: bool = False,
        logs: bool = False,
        job_name: str | None = None,
        kms_key: str | None = None,
        *,
        expected_window_rows: int | None = None,
    ) -> BaseliningJob:
        """Run the baselining job now (``wait`` is implied) and keep it as the latest.

        biaswatch's keyword-only extra: ``expected_window_rows`` (the rows a monitoring window
        will hold, an hour of traffic say) also writes ``noise_aware_constraints.json`` beside
        ``analysis.json``: each count-based metric widened to the sampling noise of a window of
        that size, so that an unchanged window rarely alerts
        (:mod:`biaswatch.constraints.noise`; 4,000 resamples, the 99.9 % quantile, seed 0).
        ``analysis.json`` stays Clarify's. A schedule this monitor creates afterwards without
        ``constraints=`` uses the widened ones (the opt-in carries through); others can be given
        them: ``constraints=job.suggested_constraints(noise_aware=True)``, or
        ``suggested_constraints("noise_aware_constraints.json")``.

        Raises
        ------
        ConfigError
            If ``expected_window_rows`` is not a whole number ≥ 1 (before the job runs).
        """
        del wait, logs, kms_key
        # Here, not at the top: a script that only runs executions does not load the analysis.
        from biaswatch.constraints.noise import WindowNoise
        from biaswatch.jobs.baseline import record_baselining_job

        noise = None if expected_window_rows is None else WindowNoise(expected_window_rows)
        name = check_name(
            job_name
            or f"{self.base_job_name or 'baseline-suggestion-job'}-{uuid.uuid4().hex[:12]}",
            field="job_name",
        )
        config: dict[str, Any] = data_config.get_config() | bias_config.get_config()
        config["methods"] = {
            "pre_training_bias": {"methods": "all"},
            "post_training_bias": {"methods": "all"},
        }
        attributes: dict[str, Any] = {"features_attribute": data_config.features}
        if model_predicted_label_config is not None:
            threshold, predictor_keys = model_predicted_label_config.get_predictor_config()
            if threshold is not None:
                config["probability_threshold"] = float(threshold)
                attributes["probability_threshold_attribute"] = float(threshold)
            if "label" in predictor_keys:
                attributes["inference_attribute"] = str(predictor_keys["label"])
            if "probability" in predictor_keys:
                attributes["probability_attribute"] = str(predictor_keys["probability"])
        predictor = self._predictor(model_config, attributes, data_config)
        if predictor is None and data_config.predicted_label is None:
            named = model_config.model_name if model_config is not None else None
            raise ConfigError(
                (
                    f"ModelConfig(model_name={named!r}) names a SageMaker model, which biaswatch"
                    " cannot call. "
                    if named
                    else ""
                )
                + "suggest_baseline needs predictions: a ModelConfig with model_url, a"
                " registered endpoint_name or a predictor, or a DataConfig(predicted_label=…)"
                " column",
                field="model_config",
                value=named,
            )
        record_baselining_job(
            self.store,
            name,
            data_config.s3_data_input_path,
            config,
            output_uri=data_config.s3_output_path,
            predictor=predictor,
            clock=self._clock,
            noise=noise,
        )
        self.latest_baselining_job = BaseliningJob(
            name,
            data_config.s3_output_path,
            config,
            attributes,
            expected_window_rows=None if noise is None else noise.expected_window_rows,
            store=self.store,
            dataset_uri=data_config.s3_data_input_path,
        )
        self.baselining_jobs.append(self.latest_baselining_job)
        self.latest_baselining_job_name = name
        return self.latest_baselining_job

    def describe_latest_baselining_job(self) -> dict[str, Any]:
        """The latest baselining job, as ``DescribeProcessingJob`` returns it.

        Raises
        ------
        ConfigError
            ``No suggestion jobs were kicked off.`` (the SDK's ``ValueError``).
        """
        if self.latest_baselining_job is None:
            raise ConfigError("No suggestion jobs were kicked off.")
        return self.latest_baselining_job.describe()

    def _predictor(
        self,
        model_config: ModelConfig | None,
        attributes: dict[str, Any],
        data_config: DataConfig,
    ) -> Predictor | None:
        """What makes the baseline's predictions: a callable, or a model behind a URL."""
        if model_config is None:
            return None
        if model_config.predictor is not None:
            return model_config.predictor
        url = model_config.model_url
        if url is None and model_config.endpoint_name:
            url = endpoint_url(self.store, model_config.endpoint_name)
        if url is None:
            return None
        dataset_type = data_config.dataset_type
        content_type = model_config.content_type or (
            dataset_type if dataset_type in ("text/csv", "application/jsonlines") else "text/csv"
        )
        custom = model_config.custom_attributes
        from biaswatch.jobs.model_endpoint import HttpPredictor
        from biaswatch.records import DecodingOptions

        return HttpPredictor(
            url,
            content_type=content_type,
            accept_type=model_config.accept_type,
            content_template=model_config.content_template,
            record_template=model_config.record_template or "$features",
            options=DecodingOptions(
                inference_attribute=attributes.get("inference_attribute"),
                probability_attribute=attributes.get("probability_attribute"),
                probability_threshold=attributes.get("probability_threshold_attribute", 0.5),
            ),
            records_per_request=model_config.records_per_request,
            headers={"X-Amzn-SageMaker-Custom-Attributes": custom} if custom else {},
        )

    def suggested_constraints(
        self, file_name: str = "analysis.json", kms_key: str | None = None
    ) -> Constraints | None:
        """The latest baseline's constraints (its ``analysis.json``); None without a baseline.

        The SDK raises ``No suggestion jobs were kicked off.`` here; the docs' sample calls it
        whether or not a baselining job ran, so biaswatch returns None (with a warning), and
        ``create_monitoring_schedule(constraints=None, analysis_config=…)`` then creates a
        schedule whose executions compute the metrics without a violation check.
        """
        del kms_key
        if self.latest_baselining_job is None:
            log.warning(
                "No suggestion jobs were kicked off: suggested_constraints() is None; a"
                " schedule created without constraints checks no violations"
            )
            return None
        return Constraints.from_s3_uri(join(self.latest_baselining_job.output_uri, file_name))

    def baseline_statistics(self) -> dict[str, Any] | None:
        """Bias baselines have no statistics: None (SageMaker raises; the docs pass it on)."""
        return None

    # ------------------------------------------------------------------ schedules

    def create_monitoring_schedule(
        self,
        endpoint_input: str | EndpointInput | None = None,
        ground_truth_input: str | None = None,
        analysis_config: str | BiasAnalysisConfig | None = None,
        output_s3_uri: str | None = None,
        constraints: Constraints | str | None = None,
        monitor_schedule_name: str | None = None,
        schedule_cron_expression: str | None = None,
        enable_cloudwatch_metrics: bool = True,
        batch_transform_input: BatchTransformInput | None = None,
        data_analysis_start_time: str | None = None,
        data_analysis_end_time: str | None = None,
        statistics: Any = None,
        post_analytics_processor_script: str | None = None,
        *,
        cut_at_inference_time: bool = False,
        ground_truth_lookback: str | None = None,
        engine: Literal["local", "spark", "auto"] | None = None,
        confidence_level: float | None = None,
        violation_rules: ViolationRules | dict[str, Any] | None = None,
        reevaluate_within: str | None = None,
        facet_value_labels: dict[str, str] | None = None,
        notifications: Sequence[str | Mapping[str, Any] | Notification] | None = None,
        live_violation_window: int | None = None,
    ) -> None:
        """Create the schedule (SageMaker's validations and messages).

        biaswatch's keyword-only extras: ``cut_at_inference_time`` keeps only records whose
        inference time is within ``[start, end)`` (SageMaker reads whole hour folders, both
        ends); ``ground_truth_lookback`` (ISO-8601, e.g. ``"P1D"``) reads ground truth from that
        long before the window's start; ``engine`` counts with ``local``, ``spark`` or ``auto``
        (default ``$BIASWATCH_ENGINE``); ``confidence_level`` adds bootstrap intervals to each
        execution's analysis; ``violation_rules`` chooses the alert rule (``docs/rules.md``);
        ``reevaluate_within`` (ISO-8601, e.g. ``"P2D"``) lets the scheduler rerun a slot of that
        period when its ground truth grows (late labels), and bounds what any rerun reads;
        ``facet_value_labels`` (``{"0": "female"}``) names facet values for people, wherever the
        dashboard and reports show them; ``notifications`` are where the schedule's events go
        (webhook URLs, ``mailto:`` addresses, or notification objects: ``docs/notifications.md``);
        ``live_violation_window`` (minutes) has the scheduler compare the endpoint's live metrics
        over that many last minutes with the baseline every minute and send ``live-violation``
        and ``live-resolved`` events (the endpoint's writer needs a ``LiveBias``).
        """
        del statistics  # accepted, as the docs pass it; bias monitoring has none
        if reevaluate_within is not None:
            parse_period(reevaluate_within, field="reevaluate_within")
        if monitor_schedule_name is not None:
            check_name(monitor_schedule_name, field="monitor_schedule_name")
        if self.job_definition_name is not None or self.monitoring_schedule_name is not None:
            raise ConfigError(
                "It seems that this object was already used to create an Amazon Model Monitoring"
                " Schedule. To create another, first delete the existing one using"
                " my_monitor.delete_monitoring_schedule()."
            )
        if not ground_truth_input:
            raise ConfigError("ground_truth_input can not be None.")
        if (batch_transform_input is not None) ^ (endpoint_input is None):
            raise ConfigError(_ONE_INPUT)
        expression = schedule_cron_expression or "cron(0 * ? * * *)"
        if expression == NOW and None in (data_analysis_start_time, data_analysis_end_time):
            raise ConfigError(_NOW_NEEDS_TIMES)
        parse_schedule_expression(expression)  # a bad expression fails here, not at run time
        name = (
            monitor_schedule_name
            or f"{self.base_job_name or 'monitoring-schedule'}-{uuid.uuid4().hex[:12]}"
        )
        definition = self._checked(
            expression,
            schedule_name=name,
            job_definition_name=_new_job_definition_name(),
            ground_truth_uri=ground_truth_input,
            output_uri=output_s3_uri or join(biaswatch_home(), "monitoring", name, "results"),
            analysis_config=self._analysis_config(analysis_config),
            baseline_constraints_uri=self._constraints_uri(constraints),
            enable_cloudwatch_metrics=enable_cloudwatch_metrics,
            cut_at_inference_time=cut_at_inference_time,
            ground_truth_lookback=ground_truth_lookback,
            engine=engine,
            confidence_level=confidence_level,
            violation_rules=violation_rules or {},
            reevaluate_within=reevaluate_within,
            facet_value_labels=_labels(facet_value_labels),
            notifications=parse_notifications(notifications),
            live_violation_window=live_violation_window,
            max_runtime_in_seconds=self.max_runtime_in_seconds,
            post_analytics_processor_script=post_analytics_processor_script,
            environment=self.env,
            **self._input(
                endpoint_input,
                batch_transform_input,
                data_analysis_start_time,
                data_analysis_end_time,
            ),
        )
        self.store.create_schedule(
            name,
            expression=expression,
            definition=definition.model_dump(mode="json"),
            now=self._clock(),
        )
        self.monitoring_schedule_name = name
        self.job_definition_name = definition.job_definition_name

    def _checked(self, expression: str, **fields: Any) -> MonitoringJobDefinition:
        """A job definition, checked as far as it can be before any execution runs.

        Bad offsets, a ``significant`` rule without ``confidence_level``, a post-analytics
        script that does not exist and a one-time (``NOW``) window over 24 hours fail here;
        a ground-truth location that does not exist yet is a warning (labels may come later).
        """
        try:
            definition = MonitoringJobDefinition(**fields)
        except ValidationError as exc:
            raise config_error(exc, source="monitoring schedule") from exc
        window = window_of(definition, self._clock())
        if expression == NOW and window.end - window.start > _ONE_TIME_LIMIT:
            hours = (window.end - window.start) / timedelta(hours=1)
            source = definition.data_input
            raise ConfigError(
                f"a one-time (NOW) schedule analyses at most 24 hours, but"
                f" data_analysis_start_time={source.start_time_offset!r} to"
                f" data_analysis_end_time={source.end_time_offset!r} spans {hours:g} hours;"
                " for a longer period create an hourly schedule and backfill() it",
                field="data_analysis_start_time",
                value=source.start_time_offset,
            )
        if definition.violation_rules.rule == "significant" and definition.confidence_level is None:
            raise ConfigError(
                "violation_rules rule='significant' compares confidence intervals: set"
                " confidence_level (e.g. 0.99) too, or choose rule 'ideal' or 'sagemaker'",
                field="confidence_level",
                value=None,
            )
        script = definition.post_analytics_processor_script
        if script and not exists(script):
            raise ConfigError(
                f"post_analytics_processor_script {script!r} does not exist: give the path or"
                " URI of a Python file that defines postprocess_handler()",
                field="post_analytics_processor_script",
                value=script,
            )
        if not exists(definition.ground_truth_uri):
            log.warning(
                "ground_truth_input %r does not exist yet: executions fail for want of labels"
                " until they are uploaded there (biaswatch ground-truth upload, or"
                " upload_ground_truth())",
                definition.ground_truth_uri,
            )
        return definition

    def _analysis_config(self, analysis_config: str | BiasAnalysisConfig | None) -> dict[str, Any]:
        if isinstance(analysis_config, BiasAnalysisConfig):
            return analysis_config._to_dict()
        if isinstance(analysis_config, str):
            document: dict[str, Any] = orjson.loads(read_bytes(analysis_config))
            return document
        if self.latest_baselining_job is not None:
            return dict(self.latest_baselining_job.analysis_config)
        raise ConfigError("analysis_config is mandatory.")

    def _constraints_uri(self, constraints: Constraints | str | None) -> str | None:
        if isinstance(constraints, Constraints):
            if constraints.file_s3_uri is None:
                raise ConfigError(
                    "constraints must have been read from (or saved to) a file", field="constraints"
                )
            return constraints.file_s3_uri
        if isinstance(constraints, str):
            return constraints
        job = self.latest_baselining_job
        if job is not None:  # its noise-aware constraints, when it was asked for them
            from biaswatch.constraints.noise import NOISE_AWARE_FILE

            name = NOISE_AWARE_FILE if job.expected_window_rows is not None else "analysis.json"
            return join(job.output_uri, name)
        return None

    def _input(
        self,
        endpoint_input: str | EndpointInput | None,
        batch_input: BatchTransformInput | None,
        start: str | None,
        end: str | None,
    ) -> dict[str, Any]:
        backfilled = (
            dict(self.latest_baselining_job.attributes) if self.latest_baselining_job else {}
        )
        if isinstance(endpoint_input, str):
            endpoint_input = EndpointInput(endpoint_name=endpoint_input)
        source: EndpointInput | BatchTransformInput = endpoint_input or batch_input  # type: ignore[assignment]
        attributes = {k: v for k, v in backfilled.items() if v is not None} | source.attributes()
        if start is not None:
            attributes["start_time_offset"] = start
        if end is not None:
            attributes["end_time_offset"] = end
        # The definition's fields, validated with the definition (errors name their field).
        if isinstance(source, EndpointInput):
            return {
                "endpoint_input": {
                    "endpoint_name": source.endpoint_name,
                    "capture_uri": self._capture_uri(source.endpoint_name),
                    **attributes,
                }
            }
        return {
            "batch_transform_input": {
                "data_captured_destination_s3_uri": source.data_captured_destination_s3_uri,
                "dataset_format": source.dataset_format,
                **attributes,
            }
        }

    def _capture_uri(self, endpoint: str) -> str:
        found = find_endpoint(self.store, endpoint)
        if found is None:
            raise ConfigError(
                f"endpoint {endpoint!r} is not registered: register it with"
                f" `biaswatch endpoints register {endpoint} --capture-uri URI`, or capture it"
                " with biaswatch's CaptureWriter",
                field="endpoint_name",
                value=endpoint,
            )
        return found.capture_uri

    def _definition(self) -> MonitoringJobDefinition:
        if self.monitoring_schedule_name is None:
            raise ConfigError("Nothing to update, please create a schedule first.")
        row = self.store.schedule(self.monitoring_schedule_name)
        if row is None:
            raise ConfigError(
                f"Monitoring schedule {self.monitoring_schedule_name!r} does not exist."
            )
        return MonitoringJobDefinition.model_validate(row.definition)

    def describe_schedule(self) -> dict[str, Any]:
        """The schedule as ``DescribeMonitoringSchedule`` returns it.

        A one-time (``NOW``) schedule's ``ScheduleConfig`` has its data-analysis times;
        ``LastMonitoringExecutionSummary`` is the latest execution's summary.
        """
        definition = self._definition()
        row = self.store.schedule(definition.schedule_name)
        assert row is not None
        schedule_config: dict[str, Any] = {"ScheduleExpression": row.expression}
        if row.expression == NOW:
            schedule_config["DataAnalysisStartTime"] = definition.data_input.start_time_offset
            schedule_config["DataAnalysisEndTime"] = definition.data_input.end_time_offset
        description: dict[str, Any] = {
            "MonitoringScheduleArn": arn("monitoring-schedule", row.name),
            "MonitoringScheduleName": row.name,
            "MonitoringScheduleStatus": row.status,
            "MonitoringType": self.monitoring_type(),
            "CreationTime": row.created_at,
            "LastModifiedTime": row.updated_at,
            "MonitoringScheduleConfig": {
                "ScheduleConfig": schedule_config,
                "MonitoringJobDefinitionName": job_definition_name(definition),
                "MonitoringType": self.monitoring_type(),
            },
        }
        if isinstance(definition.data_input, EndpointInputDefinition):
            description["EndpointName"] = definition.data_input.endpoint_name
        if definition.notifications:  # biaswatch's
            description["Notifications"] = [
                receiver.model_dump(mode="json") for receiver in definition.notifications
            ]
        if definition.live_violation_window is not None:  # biaswatch's
            description["LiveViolationWindowMinutes"] = definition.live_violation_window
        executions = self.store.executions(row.name, limit=1)
        if executions:
            description["LastMonitoringExecutionSummary"] = MonitoringExecution(
                executions[0], self.store, clock=self._clock
            ).summary()
        return description

    def send_test_notification(self) -> list[dict[str, str | None]]:
        """Send a ``test`` event to each of the schedule's receivers now (biaswatch's).

        What each receiver did: ``{"target": …, "error": None}`` when it took the message, else
        the error in words. Nothing is recorded; a schedule without notifications sends nothing.
        """
        from biaswatch.jobs.notifying import send_trial

        results = send_trial(self._definition(), now=self._clock())
        return [{"target": target, "error": error} for target, error in results]

    def _set_status(self, status: ScheduleStatus) -> None:
        definition = self._definition()
        self.store.update_schedule(definition.schedule_name, now=self._clock(), status=status)

    def start_monitoring_schedule(self) -> None:
        """Resume the schedule."""
        self._set_status(ScheduleStatus.SCHEDULED)

    def stop_monitoring_schedule(self) -> None:
        """Pause the schedule (no execution starts while it is stopped)."""
        self._set_status(ScheduleStatus.STOPPED)

    def delete_monitoring_schedule(self) -> None:
        """Delete the schedule, with its executions' records (their output files stay)."""
        definition = self._definition()
        self.store.delete_schedule(definition.schedule_name)
        self.monitoring_schedule_name = None
        self.job_definition_name = None

    def update_monitoring_schedule(
        self,
        endpoint_input: str | EndpointInput | None = None,
        ground_truth_input: str | None = None,
        analysis_config: str | BiasAnalysisConfig | None = None,
        output_s3_uri: str | None = None,
        constraints: Constraints | str | None = None,
        schedule_cron_expression: str | None = None,
        enable_cloudwatch_metrics: bool | None = None,
        role: str | None = None,
        instance_count: int | None = None,
        instance_type: str | None = None,
        volume_size_in_gb: int | None = None,
        volume_kms_key: str | None = None,
        output_kms_key: str | None = None,
        max_runtime_in_seconds: int | None = None,
        env: dict[str, str] | None = None,
        network_config: Any = None,
        batch_transform_input: BatchTransformInput | None = None,
        data_analysis_start_time: str | None = None,
        data_analysis_end_time: str | None = None,
        **extras: Any,
    ) -> None:
        """Change the schedule: SageMaker's arguments, None meaning "unchanged".

        No argument does nothing (as the SDK); the AWS-only ones (``role``, instance and
        volume settings, ``network_config``) are accepted and ignored. ``endpoint_input`` or
        ``batch_transform_input`` replaces the input (one of them); ``data_analysis_*`` set
        the window's offsets; a change of anything but the expression (or the notifications and
        the live-violation window) gives the schedule a new job-definition name, as SageMaker
        creates a new job definition. biaswatch's create-time extras may be changed too, by keyword
        (``reevaluate_within``, ``facet_value_labels``, ``post_analytics_processor_script``,
        ``confidence_level``, ``violation_rules``, ``ground_truth_lookback``,
        ``cut_at_inference_time``, ``engine``, ``notifications``, ``live_violation_window``):
        there, None clears the setting.
        """
        del role, instance_count, instance_type, volume_size_in_gb, volume_kms_key
        del output_kms_key, network_config
        unknown = sorted(set(extras) - set(_EXTRAS))
        if unknown:
            raise TypeError(f"update_monitoring_schedule() got unexpected arguments {unknown}")
        given = {
            "ground_truth_uri": ground_truth_input,
            "output_uri": output_s3_uri,
            "enable_cloudwatch_metrics": enable_cloudwatch_metrics,
            "max_runtime_in_seconds": max_runtime_in_seconds,
            "environment": None if env is None else dict(env),
        }
        update: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
        update |= extras
        if "violation_rules" in update:  # validated with the definition; None: SageMaker's
            update["violation_rules"] = update["violation_rules"] or {}
        if "facet_value_labels" in update:
            update["facet_value_labels"] = _labels(update["facet_value_labels"])
        if "notifications" in update:
            update["notifications"] = parse_notifications(update["notifications"])
        if constraints is not None:
            update["baseline_constraints_uri"] = self._constraints_uri(constraints)
        if analysis_config is not None:
            update["analysis_config"] = self._analysis_config(analysis_config)
        times = (data_analysis_start_time, data_analysis_end_time)
        if schedule_cron_expression == NOW and None in times:
            raise ConfigError(_NOW_NEEDS_TIMES)
        if schedule_cron_expression is not None:
            parse_schedule_expression(schedule_cron_expression)
        if (
            not update
            and endpoint_input is None
            and batch_transform_input is None
            and times == (None, None)
        ):
            if schedule_cron_expression is not None:
                self._update(schedule_cron_expression, None)
            return
        definition = self._definition()
        current = definition.model_dump()
        update |= self._new_input(definition, endpoint_input, batch_transform_input, *times)
        if set(update) - _NOT_THE_JOB:
            update["job_definition_name"] = _new_job_definition_name()
        row = self.store.schedule(definition.schedule_name)
        assert row is not None
        expression = schedule_cron_expression or row.expression or ""
        new = self._checked(expression, **(current | update))
        self._update(schedule_cron_expression, new)
        self.job_definition_name = new.job_definition_name

    def _update(self, expression: str | None, definition: MonitoringJobDefinition | None) -> None:
        name = self._definition().schedule_name
        self.store.update_schedule(
            name,
            now=self._clock(),
            expression=expression,
            definition=None if definition is None else definition.model_dump(mode="json"),
        )

    def _new_input(
        self,
        definition: MonitoringJobDefinition,
        endpoint_input: str | EndpointInput | None,
        batch_input: BatchTransformInput | None,
        start: str | None,
        end: str | None,
    ) -> dict[str, Any]:
        """The definition's input after an update: replaced, or with new window offsets."""
        if endpoint_input is not None and batch_input is not None:
            raise ConfigError(_ONE_INPUT)
        if endpoint_input is not None or batch_input is not None:
            chosen = self._input(endpoint_input, batch_input, start, end)
            return {"endpoint_input": None, "batch_transform_input": None} | chosen
        if start is None and end is None:
            return {}
        source = definition.data_input
        offsets = {
            "start_time_offset": start or source.start_time_offset,
            "end_time_offset": end or source.end_time_offset,
        }
        key = (
            "endpoint_input"
            if isinstance(source, EndpointInputDefinition)
            else "batch_transform_input"
        )
        return {key: source.model_dump() | offsets}

    # ------------------------------------------------------------------ executions

    def run_execution(
        self, scheduled_time: datetime | None = None, *, rerun: bool = False
    ) -> MonitoringExecution:
        """Run the execution of ``scheduled_time`` (default: the last scheduled time) now.

        A slot that has run already is returned as it is, unless ``rerun``: then it runs a new
        attempt, which also reads the ground truth uploaded since (up to now, and at most the
        schedule's ``reevaluate_within``, else 7 days, after the scheduled time). A rerun of a
        slot whose attempt is running raises :class:`~biaswatch.errors.ScheduleError`; one
        whose attempt's process is gone takes over.
        """
        moment = scheduled_time or self._last_scheduled_time()
        return self._run(moment, worker=None, trigger=Trigger.MANUAL, rerun=rerun)

    def _run(
        self, moment: datetime, *, worker: Worker | None, trigger: Trigger, rerun: bool
    ) -> MonitoringExecution:
        if moment.tzinfo is None:
            raise ConfigError(
                "scheduled_time must be an aware datetime (UTC)",
                field="scheduled_time",
                value=moment,
            )
        row = run_and_record(
            self.store,
            self._definition(),
            moment.astimezone(UTC),
            owner=process_owner(trigger.value),
            clock=self._clock,
            worker=worker,
            trigger=trigger,
            rerun=rerun,
        )
        return MonitoringExecution(row, self.store, clock=self._clock)

    def _last_scheduled_time(self) -> datetime:
        row = self.store.schedule(self._definition().schedule_name)
        assert row is not None
        schedule = parse_schedule_expression(row.expression or "")
        now = self._clock()
        if schedule is None:
            return now
        times = schedule.times_between(now - timedelta(days=400), now)
        return times[-1] if times else now

    def scheduled_times(self, start: datetime, end: datetime) -> list[datetime]:
        """The schedule's scheduled times in ``[start, end]``, oldest first."""
        definition = self._definition()
        row = self.store.schedule(definition.schedule_name)
        assert row is not None
        schedule = parse_schedule_expression(row.expression or "")
        if not isinstance(schedule, CronSchedule):
            raise ConfigError(
                "a one-time (NOW) schedule has no scheduled times to backfill",
                field="schedule_cron_expression",
            )
        for moment, field in ((start, "start"), (end, "end")):
            if moment.tzinfo is None:
                raise ConfigError(
                    f"{field} must be an aware datetime (UTC)", field=field, value=moment
                )
        return schedule.times_between(start - timedelta(microseconds=1), end)

    def backfill(
        self,
        start: datetime,
        end: datetime,
        *,
        rerun: Literal["failed", "all"] | None = None,
        on_execution: Callable[[MonitoringExecution], None] | None = None,
    ) -> list[MonitoringExecution]:
        """Run every scheduled time in ``[start, end]`` that has not run yet, oldest first.

        ``rerun="failed"`` also reruns the slots that failed (or were stopped), ``"all"`` every
        finished slot (see :meth:`run_execution`). The executions share one worker process, so
        its imports are paid once. ``on_execution`` is called with each execution as it ends (a
        progress bar, say).
        """
        if rerun not in (None, "failed", "all"):
            raise ConfigError(
                f"rerun = {rerun!r}: choose 'failed' or 'all' (or None)", field="rerun", value=rerun
            )
        times = self.scheduled_times(start, end)
        name = self._definition().schedule_name
        executions = []
        with Worker() as worker:
            for moment in times:
                existing = self.store.execution_at(name, moment)
                again = rerun == "all" or (
                    rerun == "failed"
                    and existing is not None
                    and ExecutionStatus(existing.status) in _UNSUCCESSFUL
                )
                execution = self._run(moment, worker=worker, trigger=Trigger.BACKFILL, rerun=again)
                if on_execution is not None:
                    on_execution(execution)
                executions.append(execution)
        return executions

    def list_executions(self) -> list[MonitoringExecution]:
        """The latest 100 executions, oldest first (``[-1]`` is the latest), as the SDK does."""
        if self.monitoring_schedule_name is None:
            return []
        return [
            MonitoringExecution(row, self.store, clock=self._clock)
            for row in self.store.executions(self.monitoring_schedule_name, limit=100)
        ]

    def latest_monitoring_constraint_violations(
        self, file_name: str = "constraint_violations.json"
    ) -> Any:
        """The latest execution's violations, or None (with a warning) when there is none."""
        executions = self.list_executions()
        if not executions:
            log.warning(
                "No executions found for schedule. monitoring_schedule_name: %s",
                self.monitoring_schedule_name,
            )
            return None
        return executions[-1].constraint_violations(file_name)

    @classmethod
    def attach(
        cls,
        monitor_schedule_name: str,
        sagemaker_session: Any = None,
        *,
        store: Store | None = None,
        clock: Clock | None = None,
    ) -> ModelBiasMonitor:
        """A monitor for an existing schedule."""
        del sagemaker_session
        monitor = cls(store=store, clock=clock)
        row = monitor.store.schedule(monitor_schedule_name)
        if row is None:
            raise ConfigError(f"Monitoring schedule {monitor_schedule_name!r} does not exist.")
        definition = MonitoringJobDefinition.model_validate(row.definition)
        monitor.monitoring_schedule_name = row.name
        monitor.job_definition_name = job_definition_name(definition)
        monitor.max_runtime_in_seconds = definition.max_runtime_in_seconds
        monitor.env = dict(definition.environment)
        return monitor


def _new_job_definition_name() -> str:
    """A new job-definition name, as the SDK's ``name_from_base`` makes one (≤ 63 chars)."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d-%H-%M-%S-%f")[:-3]
    return f"{ModelBiasMonitor.JOB_DEFINITION_BASE_NAME}-{stamp}"


def _labels(labels: Any) -> dict[str, str]:
    """``facet_value_labels`` checked: a mapping of facet values to names (both as text)."""
    if labels is None:
        return {}
    if not isinstance(labels, dict) or not all(
        isinstance(v, str | int | float) and isinstance(n, str) and n for v, n in labels.items()
    ):
        raise ConfigError(
            f"facet_value_labels = {labels!r}: expected a mapping of facet values to names,"
            ' such as {"0": "female"}',
            field="facet_value_labels",
            value=labels,
        )
    return {str(value): name for value, name in labels.items()}


# The name the SageMaker docs page uses.
ModelBiasModelMonitor = ModelBiasMonitor
