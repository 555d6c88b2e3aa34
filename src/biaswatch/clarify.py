"""``sagemaker.clarify``'s configs for bias monitoring, with the same names and checks.

``BiasConfig``, ``DataConfig``, ``ModelConfig`` and ``ModelPredictedLabelConfig`` build the
Clarify analysis config as the SDK does. The differences: ``DataConfig`` may name a
``predicted_label`` column (then no model is called), and ``ModelConfig`` calls an HTTP
inference endpoint (``endpoint_name`` registered in biaswatch with a URL, or ``model_url``) or a
Python ``predictor`` callable instead of a SageMaker model.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from biaswatch.errors import ConfigError

__all__ = ["BiasConfig", "DataConfig", "ModelConfig", "ModelPredictedLabelConfig"]

log = logging.getLogger(__name__)

_DATASET_TYPES = (
    "text/csv",
    "application/jsonlines",
    "application/json",
    "application/x-parquet",
    "application/x-image",
)


class BiasConfig:
    """The label, the facets and the group variable of a bias analysis (SageMaker's)."""

    def __init__(
        self,
        label_values_or_threshold: list[Any],
        facet_name: str | int | list[str | int],
        facet_values_or_threshold: list[Any] | None = None,
        group_name: str | None = None,
    ) -> None:
        names = facet_name if isinstance(facet_name, list) else [facet_name]
        if not names:
            raise AssertionError("Please provide at least one facet")
        if isinstance(facet_name, list):
            values = facet_values_or_threshold or [None] * len(names)
            if len(values) != len(names):
                raise ConfigError(
                    "The number of facet names doesn't match the number of facet values"
                )
        else:
            values = [facet_values_or_threshold]
        facets = []
        for name, value in zip(names, values, strict=True):
            facet: dict[str, Any] = {"name_or_index": name}
            if value is not None:
                facet["value_or_threshold"] = value
            facets.append(facet)
        self.analysis_config: dict[str, Any] = {
            "label_values_or_threshold": label_values_or_threshold,
            "facet": facets,
        }
        if group_name is not None:
            self.analysis_config["group_variable"] = group_name

    def get_config(self) -> dict[str, Any]:
        """The analysis-config part: label values, facets, group variable."""
        return dict(self.analysis_config)


class DataConfig:
    """Where the dataset is, its shape, and where results go (SageMaker's, plus a local path)."""

    def __init__(
        self,
        s3_data_input_path: str,
        s3_output_path: str,
        s3_analysis_config_output_path: str | None = None,
        label: str | int | None = None,
        headers: list[str] | None = None,
        features: str | None = None,
        dataset_type: str = "text/csv",
        s3_compression_type: str = "None",
        joinsource: str | int | None = None,
        facet_dataset_uri: str | None = None,
        facet_headers: list[str] | None = None,
        predicted_label_dataset_uri: str | None = None,
        predicted_label_headers: list[str] | None = None,
        predicted_label: str | int | None = None,
        excluded_columns: list[str | int] | None = None,
        segmentation_config: Any = None,
        time_series_data_config: Any = None,
    ) -> None:
        if dataset_type not in _DATASET_TYPES:
            raise ConfigError(
                f"Invalid dataset_type '{dataset_type}'. Please check the API documentation for"
                " the supported dataset types."
            )
        if dataset_type == "application/json" and features is None:
            raise ConfigError("features JMESPath is required for application/json dataset_type")
        self.s3_data_input_path = s3_data_input_path
        self.s3_output_path = s3_output_path
        self.s3_analysis_config_output_path = s3_analysis_config_output_path
        self.label = label
        self.headers = headers
        self.features = features
        self.dataset_type = dataset_type
        self.predicted_label = predicted_label
        self.excluded_columns = excluded_columns
        ignored = {
            "joinsource": joinsource,
            "facet_dataset_uri": facet_dataset_uri,
            "facet_headers": facet_headers,
            "predicted_label_dataset_uri": predicted_label_dataset_uri,
            "predicted_label_headers": predicted_label_headers,
            "segmentation_config": segmentation_config,
            "time_series_data_config": time_series_data_config,
        }
        if s3_compression_type not in ("None", None):
            ignored["s3_compression_type"] = s3_compression_type
        given = sorted(name for name, value in ignored.items() if value is not None)
        if given:
            raise ConfigError(f"biaswatch does not support DataConfig({', '.join(given)}) yet")

    def get_config(self) -> dict[str, Any]:
        """The analysis-config part: dataset type, headers, label, features, predictions."""
        config: dict[str, Any] = {"dataset_type": self.dataset_type}
        for key in ("headers", "label", "features", "predicted_label", "excluded_columns"):
            value = getattr(self, key)
            if value is not None:
                config[key] = value
        return config


class ModelPredictedLabelConfig:
    """How the model's output becomes a predicted label (SageMaker's)."""

    def __init__(
        self,
        label: str | int | None = None,
        probability: str | int | None = None,
        probability_threshold: float | None = None,
        label_headers: list[str] | None = None,
    ) -> None:
        if probability_threshold is not None:
            try:
                float(probability_threshold)
            except (TypeError, ValueError):
                raise TypeError(
                    f"Invalid probability_threshold {probability_threshold}. Please choose one"
                    " that can be cast to float."
                ) from None
        self.label = label
        self.probability = probability
        self.probability_threshold = probability_threshold
        self.label_headers = label_headers

    def get_predictor_config(self) -> tuple[float | None, dict[str, Any]]:
        """The threshold and the predictor keys, as the SDK returns them."""
        predictor = {
            key: value
            for key, value in (
                ("label", self.label),
                ("probability", self.probability),
                ("label_headers", self.label_headers),
            )
            if value is not None
        }
        return self.probability_threshold, predictor


class ModelConfig:
    """The model that makes the baseline's predictions.

    SageMaker's arguments are accepted. biaswatch calls, in this order of preference:

    - ``predictor``: a Python callable, rows of features in, one prediction per row out;
    - ``model_url``: any HTTP inference endpoint;
    - ``endpoint_name``: an endpoint registered in biaswatch with a URL
      (``biaswatch endpoints register NAME --capture-uri … --url …``).

    Requests are ``content_type`` (CSV, JSON Lines or JSON, shaped by ``content_template`` and
    ``record_template``) and answers ``accept_type``, sent ``records_per_request`` at a time.
    A ``model_name`` alone names a SageMaker model, which cannot be called from here.
    """

    def __init__(
        self,
        model_name: str | None = None,
        instance_count: int | None = None,
        instance_type: str | None = None,
        accept_type: str | None = None,
        content_type: str | None = None,
        content_template: str | None = None,
        record_template: str | None = None,
        custom_attributes: str | None = None,
        accelerator_type: str | None = None,
        endpoint_name_prefix: str | None = None,
        target_model: str | None = None,
        endpoint_name: str | None = None,
        time_series_model_config: Any = None,
        *,
        predictor: Callable[[list[list[Any]]], Sequence[Any]] | None = None,
        model_url: str | None = None,
        records_per_request: int = 500,
    ) -> None:
        del instance_count, instance_type, accelerator_type, endpoint_name_prefix
        del target_model, time_series_model_config
        self.model_name = model_name
        self.endpoint_name = endpoint_name
        self.model_url = model_url
        self.accept_type = accept_type
        self.content_type = content_type
        self.content_template = content_template
        self.record_template = record_template
        self.custom_attributes = custom_attributes
        self.predictor = predictor
        self.records_per_request = records_per_request
