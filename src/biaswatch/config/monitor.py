"""A monitoring job definition: what one execution of a bias-drift schedule reads and writes.

The facade (``ModelBiasMonitor``) builds it from SageMaker's arguments; the store keeps it as
JSON; every execution runs from it. Exactly one of ``endpoint_input`` and
``batch_transform_input`` is set.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from biaswatch.config.batch_format import BatchFormat, parse_dataset_format
from biaswatch.config.durations import parse_period
from biaswatch.config.names import check_name
from biaswatch.config.notifications import Notification, parse_notifications
from biaswatch.config.rules import ViolationRules
from biaswatch.errors import ConfigError

__all__ = [
    "LATE_GROUND_TRUTH_LIMIT",
    "BatchInputDefinition",
    "EndpointInputDefinition",
    "MonitoringJobDefinition",
]

#: How long after a slot's scheduled time a rerun counts labels, unless the schedule re-evaluates.
LATE_GROUND_TRUTH_LIMIT = timedelta(days=7)


class _Input(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    start_time_offset: str = "-PT1H"
    end_time_offset: str = "-PT0H"
    features_attribute: str | None = None
    inference_attribute: str | None = None
    probability_attribute: str | None = None
    probability_threshold_attribute: float | None = None
    exclude_features_attribute: str | None = None


class EndpointInputDefinition(_Input):
    """A real-time endpoint's capture: ``<capture_uri>/<endpoint>/<variant>/yyyy/mm/dd/hh``."""

    endpoint_name: str
    capture_uri: str
    variant_name: str = "AllTraffic"

    @field_validator("endpoint_name", "variant_name")
    @classmethod
    def _named(cls, name: str, info: ValidationInfo) -> str:
        return check_name(name, field=str(info.field_name))


class BatchInputDefinition(_Input):
    """A batch-transform job's capture: manifests under ``<destination>/output/yyyy/mm/dd/hh``.

    ``dataset_format`` is kept as SageMaker's ``MonitoringDatasetFormat`` (``{"Parquet": {}}``),
    checked when the definition is made; :attr:`output_format` is what it names.
    """

    data_captured_destination_s3_uri: str
    dataset_format: dict[str, Any] | None = None

    @field_validator("dataset_format", mode="before")
    @classmethod
    def _readable(cls, given: object) -> object:
        parse_dataset_format(given)
        return given

    @property
    def output_format(self) -> BatchFormat | None:
        """The output files' format; None: detected from each file."""
        return parse_dataset_format(self.dataset_format)


class MonitoringJobDefinition(BaseModel):
    """Everything an execution needs; stored as the schedule's definition."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schedule_name: str
    endpoint_input: EndpointInputDefinition | None = None
    batch_transform_input: BatchInputDefinition | None = None
    ground_truth_uri: str
    output_uri: str
    analysis_config: dict[str, Any]
    baseline_constraints_uri: str | None = None
    ground_truth_lookback: str | None = None
    cut_at_inference_time: bool = False
    enable_cloudwatch_metrics: bool = True
    max_runtime_in_seconds: int | None = Field(default=None, gt=0)
    post_analytics_processor_script: str | None = None
    environment: dict[str, str] = Field(default_factory=dict)
    engine: Literal["local", "spark", "auto"] | None = None
    """The counting engine; None: ``$BIASWATCH_ENGINE`` (default ``local``)."""
    confidence_level: float | None = Field(default=None, gt=0, lt=1)
    """Opt-in: bootstrap confidence intervals at this level (``analysis.json`` extension)."""
    bootstrap_resamples: int = Field(default=1000, ge=100)
    violation_rules: ViolationRules = Field(default_factory=ViolationRules)
    """Opt-in alert rules; the default is SageMaker's ``abs(current) > abs(baseline)``."""
    reevaluate_within: str | None = None
    """Opt-in (ISO-8601, e.g. ``P2D``): rerun a slot this recent when its ground truth grows."""
    facet_value_labels: dict[str, str] = Field(default_factory=dict)
    """What facet values mean, for people (``{"0": "female"}``): shown beside each facet value
    in the dashboard and reports; the files keep the values themselves."""
    notifications: tuple[Notification, ...] = ()
    """Where the schedule's events are sent (a violation episode starts or grows, it ends, a
    run of failures starts, a rerun revises a result): webhooks, Slack, email."""
    live_violation_window: int | None = Field(default=None, ge=1, le=1440)
    """Opt-in, in minutes: every minute, the scheduler compares the endpoint's live metrics
    over that many last minutes with the baseline (the schedule's rules) and sends
    ``live-violation`` when live violations begin or grow, ``live-resolved`` when none has
    been seen for as long again. Needs an endpoint input, live counts and a baseline."""
    job_definition_name: str | None = None
    """SageMaker's job-definition name, given at creation and on each update of the definition
    (None for schedules created before it was kept)."""

    @field_validator("schedule_name")
    @classmethod
    def _named(cls, name: str) -> str:
        return check_name(name, field="monitor_schedule_name")

    @field_validator("notifications", mode="before")
    @classmethod
    def _notifications(cls, given: object) -> object:
        return parse_notifications(given)

    @field_validator("reevaluate_within")
    @classmethod
    def _period(cls, text: str | None) -> str | None:
        if text is not None:
            parse_period(text, field="reevaluate_within")
        return text

    def facet_label(self, value: str) -> str:
        """A facet value with its label, when the schedule names one: ``0 (female)``."""
        label = self.facet_value_labels.get(value)
        return value if label is None else f"{value} ({label})"

    @property
    def late_ground_truth_limit(self) -> timedelta:
        """How long after a scheduled time a rerun counts labels uploaded late.

        The re-evaluation period when the schedule has one (a manual rerun then counts what
        re-evaluation would), else :data:`LATE_GROUND_TRUTH_LIMIT`.
        """
        if self.reevaluate_within is None:
            return LATE_GROUND_TRUTH_LIMIT
        return parse_period(self.reevaluate_within, field="reevaluate_within")

    @model_validator(mode="after")
    def _one_input(self) -> MonitoringJobDefinition:
        if (self.endpoint_input is None) == (self.batch_transform_input is None):
            raise ValueError(
                "Need to have either batch_transform_input or endpoint_input to create an"
                " Amazon Model Monitoring Schedule. Please provide only one of the above"
                " required inputs"
            )
        minutes = self.live_violation_window
        if minutes is not None and self.endpoint_input is None:
            raise ConfigError(
                f"live_violation_window = {minutes}: live violations need an endpoint_input"
                " (live counts are kept by an endpoint's capture writer; a batch transform job"
                " has none)",
                field="live_violation_window",
                value=minutes,
            )
        if minutes is not None and self.baseline_constraints_uri is None:
            raise ConfigError(
                f"live_violation_window = {minutes}: live violations need a baseline"
                " (constraints) to compare the live values with",
                field="live_violation_window",
                value=minutes,
            )
        return self

    @property
    def data_input(self) -> EndpointInputDefinition | BatchInputDefinition:
        """The one input that is set."""
        chosen = self.endpoint_input or self.batch_transform_input
        assert chosen is not None
        return chosen
