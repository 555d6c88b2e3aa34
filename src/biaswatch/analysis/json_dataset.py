"""JSON datasets: JSON Lines (a record per line) and one JSON document, read into a table.

Both find the features by the config's ``features`` JMESPath, and the label, predicted label and
probability by theirs: per record for JSON Lines (``features``, ``label``), over the whole
document for JSON (``instances[*].features``, ``instances[*].label``, where each path gives one
value per record). The columns are named alike: ``headers`` name the features, the label takes
the header after them (the last one, as Clarify names it) or else its JMESPath, and the
predicted label and probability columns are named by their JMESPaths.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jmespath
import jmespath.exceptions
import jmespath.parser
import orjson
import pyarrow as pa

from biaswatch.config import AnalysisConfig
from biaswatch.errors import ConfigError, EmptyWindowError, SchemaError
from biaswatch.records import values_column

__all__ = ["JsonTable", "read_json_document", "read_jsonlines"]


@dataclass(frozen=True, slots=True)
class JsonTable:
    """The table read from a JSON dataset, and the names its label and outputs were given."""

    table: pa.Table
    label: str
    predicted_label: str | None
    probability: str | None


def _compile(expression: str, *, field: str) -> jmespath.parser.ParsedResult:
    try:
        return jmespath.compile(expression)
    except jmespath.exceptions.JMESPathError as exc:
        raise ConfigError(
            f"{field} = {expression!r} is not a valid JMESPath expression: {exc}",
            field=field,
            value=expression,
        ) from exc


def _outputs(config: AnalysisConfig) -> dict[str, tuple[str, jmespath.parser.ParsedResult]]:
    """The label's, predicted label's and probability's paths, by the field that names them."""
    return {
        field: (str(ref), _compile(str(ref), field=field))
        for field, ref in (
            ("label", config.label),
            ("predicted_label", config.predicted_label),
            ("probability", config.probability),
        )
        if ref is not None
    }


def read_jsonlines(path: Path, config: AnalysisConfig) -> JsonTable:
    """Read JSON Lines records: features by the ``features`` JMESPath, the rest by theirs."""
    assert config.features is not None
    features = _compile(config.features, field="features")
    outputs = _outputs(config)
    rows: list[list[Any]] = []
    values: dict[str, list[Any]] = {field: [] for field in outputs}
    for number, record in _lines(path):
        found = features.search(record)
        if not isinstance(found, list):
            raise SchemaError(
                f"{path}, line {number}: features {config.features!r} is not a list",
                path=str(path),
                line=number,
                field="features",
                value=config.features,
            )
        if rows and len(found) != len(rows[0]):
            raise SchemaError(
                f"{path}, line {number}: expected {len(rows[0])} features, got {len(found)}",
                path=str(path),
                line=number,
            )
        rows.append(found)
        for field, (_, expression) in outputs.items():
            values[field].append(expression.search(record))
    if not rows:
        raise EmptyWindowError(f"dataset {str(path)!r} has no records", path=str(path))
    return _table(path, rows, values, config)


def read_json_document(path: Path, config: AnalysisConfig) -> JsonTable:
    """Read one JSON document: each JMESPath gives a list with one entry per record.

    ``features`` must give a list of rows (lists of values), and the label, predicted label
    and probability paths a list of as many values. A JMESPath projection leaves out records
    whose value is missing or null, so a record without a label makes the lists disagree: that
    is an error naming both counts.
    """
    assert config.features is not None
    features = _compile(config.features, field="features")
    outputs = _outputs(config)
    try:
        document = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise SchemaError(
            f"{path}: invalid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}",
            path=str(path),
            line=exc.lineno,
        ) from exc
    rows = features.search(document)
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise SchemaError(
            f"{path}: features {config.features!r} must give a list of records, each a list of"
            f" feature values; it gives {_shape(rows)}",
            path=str(path),
            field="features",
            value=config.features,
        )
    for number, row in enumerate(rows, start=1):
        if len(row) != len(rows[0]):
            raise SchemaError(
                f"{path}, record {number}: expected {len(rows[0])} features, got {len(row)}",
                path=str(path),
                field="features",
                value=config.features,
            )
    if not rows:
        raise EmptyWindowError(f"dataset {str(path)!r} has no records", path=str(path))
    values: dict[str, list[Any]] = {}
    for field, (text, expression) in outputs.items():
        found = expression.search(document)
        if not isinstance(found, list) or len(found) != len(rows):
            raise SchemaError(
                f"{path}: {field} {text!r} gives {_shape(found)} for {len(rows)} records"
                f" (features {config.features!r}); it must give one value per record (a"
                " JMESPath projection leaves out records whose value is missing or null)",
                path=str(path),
                field=field,
                value=text,
            )
        values[field] = found
    return _table(path, rows, values, config)


def _shape(found: Any) -> str:
    if found is None:
        return "nothing (no such path in the document)"
    if isinstance(found, list):
        return f"{len(found)} value{'s' * (len(found) != 1)}"
    return f"a single {type(found).__name__} value (not a list)"


def _table(
    path: Path, rows: list[list[Any]], values: dict[str, list[Any]], config: AnalysisConfig
) -> JsonTable:
    """Name and type the columns: features by ``headers``, the rest as the module says."""
    width = len(rows[0])
    headers = config.headers or [f"feature_{i}" for i in range(width)]
    if len(headers) not in (width, width + 1):
        raise ConfigError(
            f"headers: {len(headers)} names for {width} features",
            field="headers",
            value=headers,
        )
    label = headers[width] if len(headers) > width else str(config.label)
    names = {field: str(getattr(config, field)) for field in values} | {"label": label}
    columns = [*headers[:width], *names.values()]
    if len(set(columns)) != len(columns):
        duplicated = sorted({n for n in columns if columns.count(n) > 1})
        raise SchemaError(
            f"{path}: duplicate column names {duplicated}", field="headers", value=duplicated
        )
    table = pa.table(
        [values_column([row[i] for row in rows]) for i in range(width)]
        + [values_column(values[field]) for field in names],
        names=columns,
    )
    return JsonTable(table, label, names.get("predicted_label"), names.get("probability"))


def _lines(path: Path) -> Iterator[tuple[int, Any]]:
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield number, orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                raise SchemaError(
                    f"{path}, line {number}: invalid JSON: {exc.msg}", path=str(path), line=number
                ) from exc
