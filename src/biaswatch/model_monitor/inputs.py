"""SageMaker's monitoring inputs.

``EndpointInput``, ``BatchTransformInput``, the dataset formats (``MonitoringDatasetFormat``
for batch capture, ``DatasetFormat``), the monitor's ``BiasAnalysisConfig``, and
``NetworkConfig`` (accepted and ignored: biaswatch runs no AWS processing job).
"""

from __future__ import annotations

from typing import Any

from biaswatch.clarify import BiasConfig

__all__ = [
    "BatchTransformInput",
    "BiasAnalysisConfig",
    "DatasetFormat",
    "EndpointInput",
    "MonitoringDatasetFormat",
    "NetworkConfig",
]


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
        """JSON Lines output (``lines=True``), or one JSON document per file."""
        return {"Json": {"Line": lines}}

    @staticmethod
    def parquet() -> dict[str, Any]:
        """Parquet output."""
        return {"Parquet": {}}


class DatasetFormat:
    """SageMaker's ``DatasetFormat`` (the data-quality monitor's), with its request shapes.

    A bias workflow may import it; a batch-transform input accepts its ``csv``/``json``
    shapes as ``dataset_format`` too.
    """

    @staticmethod
    def csv(header: bool = True, output_columns_position: str = "START") -> dict[str, Any]:
        """CSV, with or without a header row."""
        return {"csv": {"header": header, "output_columns_position": output_columns_position}}

    @staticmethod
    def json(lines: bool = True) -> dict[str, Any]:
        """JSON (Lines)."""
        return {"json": {"lines": lines}}

    @staticmethod
    def sagemaker_capture_json() -> dict[str, Any]:
        """SageMaker's data-capture JSON Lines."""
        return {"sagemakerCaptureJson": {}}


class NetworkConfig:
    """SageMaker's ``NetworkConfig``: accepted wherever the SDK takes it, and ignored.

    biaswatch's executions run in its own worker processes, not in an AWS VPC; the settings
    are kept (``_to_request_dict()``) so that code that reads them back still runs.
    """

    def __init__(
        self,
        enable_network_isolation: bool = False,
        security_group_ids: list[str] | None = None,
        subnets: list[str] | None = None,
        encrypt_inter_container_traffic: bool | None = None,
    ) -> None:
        self.enable_network_isolation = enable_network_isolation
        self.security_group_ids = security_group_ids
        self.subnets = subnets
        self.encrypt_inter_container_traffic = encrypt_inter_container_traffic

    def _to_request_dict(self) -> dict[str, Any]:
        request: dict[str, Any] = {"EnableNetworkIsolation": self.enable_network_isolation}
        if self.encrypt_inter_container_traffic is not None:
            request["EnableInterContainerTrafficEncryption"] = self.encrypt_inter_container_traffic
        if self.security_group_ids is not None or self.subnets is not None:
            request["VpcConfig"] = {
                "SecurityGroupIds": self.security_group_ids,
                "Subnets": self.subnets,
            }
        return request


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
