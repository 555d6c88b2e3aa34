"""Intersectional facets: a facet over several columns, e.g. sex × race (opt-in extension).

A facet whose ``name_or_index`` lists two or more columns is analysed as one categorical
column of their combinations, named ``"sex × race"`` with values such as ``"Female × Black"``;
a row with a missing part has a missing combination. Without ``value_or_threshold`` every
combination is taken in turn (one-vs-rest, in order of first appearance); with it, the values
are combinations written the same way. Everything downstream (``analysis.json``, baselines,
violations, the dashboard) sees an ordinary facet.
"""

from __future__ import annotations

from dataclasses import replace

import pyarrow as pa

from biaswatch.analysis.columns import display
from biaswatch.analysis.dataset import Dataset
from biaswatch.config import AnalysisConfig, ColumnRef, FacetConfig
from biaswatch.errors import ConfigError

__all__ = ["SEPARATOR", "combine_facets", "single"]

SEPARATOR = " × "


def combine_facets(
    dataset: Dataset, config: AnalysisConfig
) -> tuple[Dataset, AnalysisConfig, dict[str, tuple[str, ...]]]:
    """``dataset`` with a column per intersectional facet, and the config naming it.

    Also returns each combined column's parts (FT leaves them out of its features).
    """
    table, facets, parts = dataset.table, [], {}
    for index, facet in enumerate(config.facet):
        refs = facet.name_or_index
        if not isinstance(refs, list):
            facets.append(facet)
            continue
        field = f"facet[{index}].name_or_index"
        if len(refs) < 2:
            raise ConfigError(
                f"{field} = {refs!r}: an intersectional facet needs two columns or more",
                field=field,
                value=refs,
            )
        names = tuple(dataset.resolve(ref, field=field) for ref in refs)
        combined = SEPARATOR.join(names)
        if combined not in table.column_names:
            columns = [dataset.column(name).data.to_pylist() for name in names]
            values = [
                None if any(v is None for v in row) else SEPARATOR.join(display(v) for v in row)
                for row in zip(*columns, strict=True)
            ]
            table = table.append_column(combined, pa.array(values, pa.string()))
        parts[combined] = names
        facets.append(facet.model_copy(update={"name_or_index": combined}))
    if not parts:
        return dataset, config, {}
    return (
        replace(dataset, table=table, _columns={}),
        config.model_copy(update={"facet": facets}),
        parts,
    )


def single(facet: FacetConfig) -> ColumnRef:
    """The facet's one column (after :func:`combine_facets`, every facet has one)."""
    ref = facet.name_or_index
    if isinstance(ref, list):
        raise ConfigError("an intersectional facet was not combined", field="facet", value=ref)
    return ref
