"""SageMaker's monitoring inputs.

``EndpointInput``, ``BatchTransformInput``, the batch dataset formats, and the monitor's
``BiasAnalysisConfig``.
"""

from __future__ import annotations

from typing import Any

from biaswatch.clarify import BiasConfig

__all__ = ["BatchTransformInput", "BiasAnalysisConfig", "EndpointInput", "MonitoringDatasetFormat"]


_ATTRIBUTE_NAMES = (
    "start_time_offset",
    "end_time_offset",
    "features_attribute",
    "inference_attribute",
    "probability_attribute",
    "probability_threshold_attribute",
    "exclude_features_attribute",
)


class _Attributes:
    """The window offsets and payload attributes both inputs share."""

    start_time_offset: str | None
    end_time_offset: str | None
    features_attribute: str | None
    inference_attribute: str | None
    probability_attribute: str | None
    probability_threshold_attribute: float | None
    exclude_features_attribute: str | None

    def _set_attributes(self, values: dict[str, Any]) -> None:
        for name in _ATTRIBUTE_NAMES:
            value = values.get(name)
            # The API types attributes as strings; an int index from the SDK is accepted.
            if name in ("inference_attribute", "probability_attribute") and value is not None:
                value = str(value)
            setattr(self, name, value)

    def attributes(self) -> dict[str, Any]:
        """The offsets and attributes that are set."""
        return {
            name: getattr(self, name)
            for name in _ATTRIBUTE_NAMES
            if getattr(self, name) is not None
        }


class EndpointInput(_Attributes):
    """A real-time endpoint's captured data as the monitor's input (SageMaker's signature)."""

    def __init__(
        self,
        endpoint_name: str,
        destination: str = "/opt/ml/processing/input/endpoint",
        s3_input_mode: str = "File",
        s3_data_distribution_type: str = "FullyReplicated",
        start_time_offset: str | None = None,
        end_time_offset: str | None = None,
        features_attribute: str | None = None,
        inference_attribute: str | int | None = None,
        probability_attribute: str | int | None = None,
        probability_threshold_attribute: float | None = None,
        exclude_features_attribute: str | None = None,
    ) -> None:
        self.endpoint_name = endpoint_name
        self.destination = destination
        self.s3_input_mode = s3_input_mode
        self.s3_data_distribution_type = s3_data_distribution_type
        self._set_attributes(dict(locals()))


class BatchTransformInput(_Attributes):
    """A batch-transform job's capture as the monitor's input; ``dataset_format`` is optional."""

    def __init__(
        self,
        data_captured_destination_s3_uri: str,
        destination: str = "/opt/ml/processing/input",
        dataset_format: dict[str, Any] | None = None,
        s3_input_mode: str = "File",
        s3_data_distribution_type: str = "FullyReplicated",
        start_time_offset: str | None = None,
        end_time_offset: str | None = None,
        features_attribute: str | None = None,
        inference_attribute: str | int | None = None,
        probability_attribute: str | int | None = None,
        probability_threshold_attribute: float | None = None,
        exclude_features_attribute: str | None = None,
    ) -> None:
        self.data_captured_destination_s3_uri = data_captured_destination_s3_uri
        self.destination = destination
        self.dataset_format = dataset_format
        self.s3_input_mode = s3_input_mode
        self.s3_data_distribution_type = s3_data_distribution_type
        self._set_attributes(dict(locals()))


class MonitoringDatasetFormat:
    """The format of batch-transform output (SageMaker's request shapes)."""

    @staticmethod
    def csv(header: bool = True) -> dict[str, Any]:
        """CSV output, with or without a header row."""
        return {"Csv": {"Header": header}}

    @staticmethod
    def json(lines: bool = True) -> dict[str, Any]:
        """JSON (Lines) output."""
        return {"Json": {"Line": lines}}

    @staticmethod
    def parquet() -> dict[str, Any]:
        """Parquet output (not read by biaswatch yet)."""
        return {"Parquet": {}}


class BiasAnalysisConfig:
    """The monitor's analysis config: a ``BiasConfig`` plus the headers and the label."""

    def __init__(
        self, bias_config: BiasConfig, headers: list[str] | None = None, label: str | None = None
    ) -> None:
        self.analysis_config = bias_config.get_config()
        if headers is not None:
            self.analysis_config["headers"] = headers
        if label is not None:
            self.analysis_config["label"] = label

    def _to_dict(self) -> dict[str, Any]:
        return dict(self.analysis_config)
