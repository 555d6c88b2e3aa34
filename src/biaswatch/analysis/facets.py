"""Facets: which rows form the sensitive side *d* of each facet entry.

A categorical facet is coded by value; each entry names the codes that make up *d* (one value
in one-vs-rest, or the configured values). A continuous facet is coded 0/1 by its threshold,
and its entry's label is the interval ``(t, max]`` Clarify prints.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from biaswatch.analysis.columns import Column, DataType, code_mask, converted_values, display
from biaswatch.config import FacetConfig, Value
from biaswatch.errors import ConfigError, ConfigMismatchError

__all__ = ["FacetAxis", "FacetEntry", "encode_facet", "matching_codes", "threshold_of"]


@dataclass(frozen=True, slots=True)
class FacetEntry:
    """One ``{value_or_threshold, metrics}`` entry: its label and the codes that form *d*."""

    value_or_threshold: str
    sensitive: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class FacetAxis:
    """A facet column encoded for counting: a code per row, and the entries to report."""

    name: str
    codes: npt.NDArray[np.integer[Any]]
    n_codes: int
    entries: tuple[FacetEntry, ...]

    def sensitive_mask(self, entry: FacetEntry) -> npt.NDArray[np.bool_]:
        """The rows in *d* for ``entry``."""
        return code_mask(self.codes, self.n_codes, entry.sensitive)


def matching_codes(
    uniques: Sequence[object], values: Sequence[Value], column: Column
) -> tuple[int, ...]:
    """Codes of the distinct values equal to any configured value, as pandas' ``==`` compares.

    When nothing matches, the configured values are converted to the column's type and tried
    again (Clarify's ``convert_positive_label_values``): ``[1]`` then matches a column of ``"1"``.
    """
    matched = _equal_codes(uniques, values)
    if matched:
        return matched
    converted = converted_values(values, column.python_type())
    return _equal_codes(uniques, converted) if converted is not None else ()


def _equal_codes(uniques: Sequence[object], values: Sequence[Value]) -> tuple[int, ...]:
    return tuple(
        code
        for code, unique in enumerate(uniques)
        if unique is not None and any(unique == value for value in values)
    )


def threshold_of(values: Sequence[Value] | None, *, field: str) -> float:
    """The single numeric threshold of a continuous facet or label (Clarify converts strings)."""
    if not values:
        raise ConfigError(
            f"{field}: threshold values must be provided for continuous features", field=field
        )
    first = values[0]
    if isinstance(first, int | float):
        return first
    try:
        return float(first)
    except ValueError:
        raise ConfigError(
            f"{field} = {first!r}: facet/label value provided must be a single numeric threshold"
            " for continuous data",
            field=field,
            value=first,
        ) from None


def encode_facet(column: Column, config: FacetConfig, *, field: str, strict: bool) -> FacetAxis:
    """Encode a facet column and list its entries, following Clarify's facet rules.

    With ``strict``, configured values that match no row, or a threshold that no value is
    above, raise :class:`ConfigMismatchError`; otherwise their entry is kept, and its metrics
    report an empty facet, as Clarify's do.
    """
    values = config.value_or_threshold
    if column.data_type(values, binary_is_categorical=False) is DataType.CONTINUOUS:
        axis = _encode_threshold(column, threshold_of(values, field=field))
        if strict and not axis.codes.any():
            raise _empty_above(column, values, field=field)
        return axis
    factorized = column.factorize()
    if values is None:
        entries = tuple(
            # A missing value gets its own entry, whose d is empty (NaN equals nothing).
            FacetEntry(display(unique), () if unique is None else (code,))
            for code, unique in enumerate(factorized.uniques)
        )
    else:
        sensitive = matching_codes(factorized.uniques, values, column)
        if strict and not sensitive:
            raise ConfigMismatchError(
                f"{field} = {list(values)!r}: no row of facet column {column.name!r} has"
                f" {'this value' if len(values) == 1 else 'these values'}; values present:"
                f" {_sample(factorized.uniques)}",
                field=field,
                value=list(values),
            )
        entries = (FacetEntry(",".join(str(v) for v in values), sensitive),)
    return FacetAxis(column.name, factorized.codes, len(factorized.uniques), entries)


def _encode_threshold(column: Column, threshold: float) -> FacetAxis:
    numbers = column.numbers()
    with np.errstate(invalid="ignore"):
        sensitive = numbers > threshold
    top = _maximum(numbers)
    return FacetAxis(
        column.name,
        sensitive.view(np.int8),
        2,
        (FacetEntry(interval_label(threshold, top), (1,)),),
    )


def _maximum(numbers: npt.NDArray[np.float64] | npt.NDArray[np.int64]) -> float:
    if numbers.dtype.kind == "f":
        return float(np.nanmax(numbers)) if not np.isnan(numbers).all() else float("nan")
    return int(numbers.max())


def _empty_above(column: Column, values: list[Value] | None, *, field: str) -> ConfigMismatchError:
    """The error for a threshold that leaves the sensitive group *d* empty."""
    numbers = column.numbers()
    present = numbers[~np.isnan(numbers)] if numbers.dtype.kind == "f" else numbers
    if present.size:
        low, high = present.min().item(), present.max().item()
        shown = f"its values range from {low} to {high}; choose a threshold below {high}"
        if {low, high} <= {0, 1}:
            shown += " ([0] makes d the rows whose value is 1)"
    else:
        shown = "it has no values"
    return ConfigMismatchError(
        f"{field} = {values!r}: no row of facet column {column.name!r} is above the threshold,"
        " so the sensitive group d is empty. The column is read as continuous (Clarify's rule"
        " for floats, and for integers with at least 5 % distinct values), and a threshold t"
        f" selects the rows whose value is > t: {shown}",
        field=field,
        value=values,
    )


def interval_label(threshold: float, top: float) -> str:
    """The ``(t, max]`` label Clarify prints for a threshold (``pd.IntervalIndex.from_breaks``).

    The breaks are the threshold and the data's maximum unless ``abs(max)`` is already a
    threshold; they print as integers only when both are integers.

    Examples
    --------
    >>> interval_label(40, 90.0)
    '(40.0, 90.0]'
    >>> interval_label(100, 225)
    '(100, 225]'
    >>> interval_label(95, 90.0)
    '(90.0, 95.0]'
    >>> interval_label(90, 90)
    ''
    """
    breaks: list[float] = [threshold]
    if abs(top) not in breaks:
        breaks.append(top)
    if len(breaks) < 2:
        return ""
    low, high = sorted(breaks)
    if not all(isinstance(b, int) and not isinstance(b, bool) for b in breaks):
        low, high = float(low), float(high)
    return f"({low}, {high}]"


def _sample(uniques: Sequence[object], limit: int = 10) -> str:
    shown = ", ".join(repr(u) for u in uniques[:limit] if u is not None)
    return shown + (f", … ({len(uniques)} in all)" if len(uniques) > limit else "")
