"""Clarify's analysis configuration (``analysis_config.json``), parsed and validated.

The same file drives ``biaswatch analyze``, the baselining job and the monitor; the keys and
their meaning are Clarify's. Unknown keys (``report``, …) are kept and ignored. A ``predictor``
block (the SageMaker model Clarify would call) is kept too: biaswatch cannot call that model, so
it is an error only when the predictions are needed and the dataset does not carry them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
    model_validator,
)

from biaswatch.config.validation import config_error, shown
from biaswatch.errors import ConfigError

__all__ = [
    "DATASET_TYPES",
    "AnalysisConfig",
    "ColumnRef",
    "FacetConfig",
    "MethodsConfig",
    "StageMethods",
    "Value",
    "parse_analysis_config",
]

# A value as the JSON gave it: 1, 1.0, "1" and true stay distinct, as they do for Clarify.
Value = StrictBool | StrictInt | StrictFloat | StrictStr
# A column named by header, or by its 0-based position.
ColumnRef = StrictStr | StrictInt

DatasetType = Literal[
    "text/csv", "application/jsonlines", "application/json", "application/x-parquet"
]
DATASET_TYPES: tuple[str, ...] = (
    "text/csv",
    "application/jsonlines",
    "application/json",
    "application/x-parquet",
)
# The dataset types whose features are found by the ``features`` JMESPath.
_JSON_TYPES = ("application/jsonlines", "application/json")


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)


class FacetConfig(_Model):
    """One facet: a column, and the sensitive values or the threshold that select *d*.

    Without ``value_or_threshold`` every value of a categorical facet is taken in turn
    (one-vs-rest, in order of first appearance).
    """

    name_or_index: ColumnRef | list[ColumnRef]
    """A column; or several, for an intersectional facet (biaswatch's extension)."""
    value_or_threshold: list[Value] | None = None

    @field_validator("value_or_threshold")
    @classmethod
    def _not_empty(cls, values: list[Value] | None) -> list[Value] | None:
        if values is not None and not values:
            raise ValueError("must list at least one value, or be left out for one-vs-rest")
        return values


class StageMethods(_Model):
    """The metrics of one stage: ``"all"`` or a list of codes."""

    methods: Literal["all"] | list[StrictStr] = "all"


class MethodsConfig(_Model):
    """Which stages to compute. A stage left out is not computed."""

    pre_training_bias: StageMethods | None = None
    post_training_bias: StageMethods | None = None


def _all_methods() -> MethodsConfig:
    return MethodsConfig(pre_training_bias=StageMethods(), post_training_bias=StageMethods())


class AnalysisConfig(_Model):
    """Clarify's analysis config: the dataset's shape, the label, the facets and the methods.

    ``methods`` defaults to both stages with ``"all"`` metrics (the monitor's config,
    ``BiasAnalysisConfig``, has no ``methods`` key; the service computes everything).
    """

    dataset_type: DatasetType = "text/csv"
    headers: list[StrictStr] | None = None
    features: StrictStr | None = None
    label: ColumnRef | None = None
    label_values_or_threshold: Annotated[list[Value], Field(min_length=1)]
    facet: Annotated[list[FacetConfig], Field(min_length=1)]
    group_variable: ColumnRef | None = None
    predicted_label: ColumnRef | None = None
    probability: ColumnRef | None = None
    probability_threshold: StrictFloat | StrictInt = 0.5
    excluded_columns: list[ColumnRef] | None = None
    methods: MethodsConfig = Field(default_factory=_all_methods)

    @model_validator(mode="after")
    def _check(self) -> AnalysisConfig:
        if self.label is None:
            raise ValueError("'label' is required: the column (or JMESPath) of the true label")
        if self.methods.pre_training_bias is None and self.methods.post_training_bias is None:
            raise ValueError("'methods' must ask for pre_training_bias, post_training_bias or both")
        if self.dataset_type in _JSON_TYPES and self.features is None:
            raise ValueError(f"'features' (a JMESPath) is required for {self.dataset_type}")
        return self

    @property
    def label_column(self) -> ColumnRef:
        """The label's column reference (validated to be present)."""
        assert self.label is not None
        return self.label

    @property
    def predicts(self) -> bool:
        """Whether the dataset carries the model's output (a predicted label or a score)."""
        return self.predicted_label is not None or self.probability is not None

    @property
    def threshold_is_set(self) -> bool:
        """Whether the config sets ``probability_threshold`` itself (not the 0.5 default)."""
        return "probability_threshold" in self.model_fields_set

    @property
    def predictor_block(self) -> Any:
        """The ``predictor`` block (a SageMaker model for Clarify to call), or None."""
        return (self.model_extra or {}).get("predictor")

    def refuse_predictor_block(self, purpose: str) -> None:
        """Raise :class:`ConfigError` when only the ``predictor`` block could make predictions.

        Called when ``purpose`` (e.g. ``"post-training metrics"``) needs predictions that the
        dataset does not carry: the block names a SageMaker model, which biaswatch cannot call.
        Without a block this does nothing (the caller says what is missing).
        """
        if self.predictor_block is None or self.predicts:
            return
        raise ConfigError(
            f"predictor = {shown(self.predictor_block)}: the 'predictor' block names a SageMaker"
            f" model to make the predictions of the {purpose}, and biaswatch cannot call a"
            " SageMaker model. Put the model's predictions in the dataset and name their column"
            " 'predicted_label' (or a column of scores 'probability', with"
            " 'probability_threshold'); or, in Python, give suggest_baseline a"
            " ModelConfig(model_url=...), a ModelConfig(predictor=<a callable>) or the"
            " endpoint_name of an endpoint registered in biaswatch with a URL (from the CLI:"
            " biaswatch baseline --model-url or --endpoint)",
            field="predictor",
            value=self.predictor_block,
        )


def parse_analysis_config(raw: bytes | str, *, source: str = "analysis config") -> AnalysisConfig:
    """Parse and validate an analysis config from JSON text.

    Raises :class:`~biaswatch.errors.ConfigError` naming the field and the value at fault, or
    the line and column of malformed JSON.

    Examples
    --------
    >>> parse_analysis_config('{"label": "y", "label_values_or_threshold": [1],'
    ...                       ' "facet": [{"name_or_index": "sex"}]}').facet[0].name_or_index
    'sex'
    >>> parse_analysis_config('{"label": "y"')
    Traceback (most recent call last):
    ...
    biaswatch.errors.ConfigError: analysis config is not valid JSON (line 1, column 14): ...
    """
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ConfigError(
            f"{source} is not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}",
            field=None,
            value=exc.doc[max(exc.pos - 20, 0) : exc.pos + 20],
        ) from exc
    if not isinstance(document, dict):
        raise ConfigError(f"{source} must be a JSON object, got {type(document).__name__}")
    return config_from_dict(document, source=source)


def config_from_dict(
    document: dict[str, Any], *, source: str = "analysis config"
) -> AnalysisConfig:
    """Validate an already-parsed analysis config; see :func:`parse_analysis_config`."""
    try:
        return AnalysisConfig.model_validate(document)
    except ValidationError as exc:
        raise config_error(exc, source=source) from exc
