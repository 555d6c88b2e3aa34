"""Clarify's analysis configuration (``analysis_config.json``), parsed and validated.

The same file drives ``biaswatch analyze``, the baselining job and the monitor; the keys and
their meaning are Clarify's. Unknown keys (``predictor``, ``report``, …) are kept and ignored.
"""

from __future__ import annotations

from collections.abc import Sequence
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

DatasetType = Literal["text/csv", "application/jsonlines", "application/x-parquet"]
DATASET_TYPES: tuple[str, ...] = ("text/csv", "application/jsonlines", "application/x-parquet")


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
        if self.dataset_type == "application/jsonlines" and self.features is None:
            raise ValueError("'features' (a JMESPath) is required for application/jsonlines")
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
        problems = exc.errors()
        first = problems[0]
        field = _dotted(first["loc"])
        value = first.get("input")
        # A union reports one error per member type; count the fields, not the members.
        others = len({_dotted(p["loc"]) for p in problems} - {field})
        raise ConfigError(
            f"{source}: {field or 'config'} = {_show(value)}: {first['msg']}"
            + (f" (and {others} more invalid field{'s' * (others > 1)})" if others else ""),
            field=field,
            value=value,
        ) from exc


def _dotted(location: Sequence[int | str]) -> str:
    parts: list[str] = []
    for part in location:
        if isinstance(part, int):
            parts.append(f"[{part}]")
        elif part.startswith(("function-", "literal[", "list[", "str", "int", "float", "bool")):
            continue  # pydantic's union-member labels say nothing to a user
        else:
            parts.append(("." if parts else "") + part)
    return "".join(parts)


def _show(value: object) -> str:
    text = orjson.dumps(value, default=repr).decode() if value is not None else "null"
    return text if len(text) <= 80 else text[:77] + "..."
