"""The format of a batch-transform job's output files, from SageMaker's ``dataset_format``.

SageMaker's ``BatchTransformInput`` names it with ``MonitoringDatasetFormat``:
``{"Csv": {"Header": true}}``, ``{"Json": {"Line": true}}`` or ``{"Parquet": {}}``. Inside a
monitoring container (and from ``DatasetFormat``) the keys are lowercase: ``{"csv":
{"header": …}}``, ``{"json": {"line": …}}`` (``"lines"`` from ``DatasetFormat.json``) or
``{"parquet": {}}``. :func:`parse_dataset_format` reads any of them once, when a schedule is
defined, so that a format that cannot be read fails then and not at every run.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from biaswatch.config.validation import shown
from biaswatch.errors import ConfigError

__all__ = ["ACCEPTED_SHAPES", "BatchFormat", "parse_dataset_format"]

ACCEPTED_SHAPES = (
    '{"Csv": {"Header": true|false}}, {"Json": {"Line": true|false}}, {"Parquet": {}} (or'
    " their lowercase forms), or none to detect the format from each file"
)
"""What ``dataset_format`` may be, as error messages say it."""

_OPTIONS = {
    "csv": {"header", "output_columns_position"},
    "json": {"line", "lines"},
    "parquet": set(),
}


class BatchFormat(StrEnum):
    """How the records of a batch-transform output file are written.

    The values are the CLI's names (``--dataset-format``).
    """

    CSV = "csv"
    """CSV records without a header: ``features…, output…, inference id, inference time``."""
    CSV_HEADER = "csv-header"
    """CSV records after a header line (which is not read)."""
    JSON_LINES = "jsonl"
    """One JSON object per line."""
    JSON = "json"
    """One JSON document: an array of objects, one object, or objects one after another."""
    PARQUET = "parquet"
    """A Parquet file: one row per record."""

    @classmethod
    def named(cls, name: str, *, field: str = "dataset_format") -> BatchFormat:
        """The format of a CLI name (``csv``, ``csv-header``, ``json``, ``jsonl``, ``parquet``).

        Examples
        --------
        >>> BatchFormat.named("jsonl")
        <BatchFormat.JSON_LINES: 'jsonl'>
        >>> BatchFormat.named("avro", field="--dataset-format")
        Traceback (most recent call last):
        ...
        biaswatch.errors.ConfigError: --dataset-format = 'avro': not one of csv, csv-header, ...
        """
        try:
            return cls(name)
        except ValueError:
            choices = ", ".join(member.value for member in cls)
            raise ConfigError(
                f"{field} = {name!r}: not one of {choices}", field=field, value=name
            ) from None

    def dataset_format(self) -> dict[str, Any]:
        """SageMaker's ``MonitoringDatasetFormat`` of this format.

        Examples
        --------
        >>> BatchFormat.CSV_HEADER.dataset_format()
        {'Csv': {'Header': True}}
        >>> BatchFormat.JSON_LINES.dataset_format()
        {'Json': {'Line': True}}
        """
        if self in (BatchFormat.CSV, BatchFormat.CSV_HEADER):
            return {"Csv": {"Header": self is BatchFormat.CSV_HEADER}}
        if self is BatchFormat.PARQUET:
            return {"Parquet": {}}
        return {"Json": {"Line": self is BatchFormat.JSON_LINES}}


def parse_dataset_format(given: object, *, field: str = "dataset_format") -> BatchFormat | None:
    """The batch format SageMaker's ``dataset_format`` names; None (or ``{}``): detect it.

    An absent ``Header`` means no header; an absent ``Line`` a JSON document (which reads a
    JSON Lines file too). ``output_columns_position`` (``DatasetFormat.csv``'s) is accepted
    and has no effect: a transform job joins the model's output after the input's features.

    Examples
    --------
    >>> parse_dataset_format({"Csv": {"Header": True}})
    <BatchFormat.CSV_HEADER: 'csv-header'>
    >>> parse_dataset_format({"json": {"line": True}})
    <BatchFormat.JSON_LINES: 'jsonl'>
    >>> parse_dataset_format(None) is None
    True
    >>> parse_dataset_format({"Avro": {}})
    Traceback (most recent call last):
    ...
    biaswatch.errors.ConfigError: dataset_format = {"Avro":{}}: 'Avro' is not a batch output ...
    """
    if given is None or given == {}:
        return None

    def rejected(why: str) -> ConfigError:
        return ConfigError(
            f"{field} = {shown(given)}: {why}; expected {ACCEPTED_SHAPES}", field=field, value=given
        )

    if not isinstance(given, dict):
        raise rejected(f"a format is a JSON object, not {type(given).__name__}")
    if len(given) != 1:
        raise rejected(f"name one format, not {len(given)}")
    [(name, options)] = given.items()
    kind = str(name).lower()
    if kind not in _OPTIONS:
        raise rejected(f"{name!r} is not a batch output format")
    if not isinstance(options, dict):
        raise rejected(f"the options of {name!r} are a JSON object")
    unknown = [key for key in options if str(key).lower() not in _OPTIONS[kind]]
    if unknown:
        raise rejected(f"{name!r} has no option {unknown[0]!r}")
    position = {str(k).lower(): v for k, v in options.items()}.get("output_columns_position")
    if position not in (None, "START", "END"):
        raise rejected(f"output_columns_position is START or END, not {position!r}")
    flags = [key for key in options if str(key).lower() in ("header", "line", "lines")]
    if len(flags) > 1:
        raise rejected(f"{name!r} has {len(flags)} options for one flag")
    flag = options[flags[0]] if flags else False
    if not isinstance(flag, bool):
        raise rejected(f"{flags[0]} is true or false, not {flag!r}")
    if kind == "csv":
        return BatchFormat.CSV_HEADER if flag else BatchFormat.CSV
    if kind == "json":
        return BatchFormat.JSON_LINES if flag else BatchFormat.JSON
    return BatchFormat.PARQUET
