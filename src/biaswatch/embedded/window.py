"""A monitoring window counted by DuckDB, when it has the common shape.

Most windows have SageMaker's common shape: one CSV record in and one CSV line out per
invocation, one plain CSV label per id, files on local disk. For those, DuckDB reads the
capture and ground-truth files with its JSON reader, checks every record, joins the records to
their labels and counts them by the analysed columns (the facets, the group, the label, the
prediction): the count tensor every metric but FT is derived from, in memory bounded by the
number of distinct combinations, not by the window. The metrics are then computed from the
counts exactly as from rows (an aggregated dataset, as the Spark engine does). FT, which needs
the feature rows, gets the joined rows in the files' order, up to ``BIASWATCH_FT_SAMPLE``.

Anything else makes :func:`count_endpoint_window` return None, and the window is read the
usual way (:func:`biaswatch.capture.read_endpoint_window`), which decodes, counts and samples
each record that is not of that shape: a malformed line, a JSON or base64 payload, several
records in a request, a label uploaded twice or as JSON, a value that is missing or that the
analysis could not use, files on S3, a window cut at inference time. The result is the same
either way; only the cost differs (``tests/unit/embedded`` compares them window by window).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pyarrow as pa

from biaswatch.analysis import (
    AnalysisResult,
    Dataset,
    analyze,
    dataset_from_table,
    requested_metrics,
)
from biaswatch.capture.assembly import TableLayout
from biaswatch.capture.diagnostics import Diagnostics
from biaswatch.capture.endpoint import capture_folder
from biaswatch.capture.window import Window
from biaswatch.config import AnalysisConfig
from biaswatch.config.settings import ft_sample
from biaswatch.metrics import MetricCode, Stage
from biaswatch.records import DecodingOptions, PayloadFormat, payload_format, text_column
from biaswatch.storage import list_hour_files, locate

__all__ = ["MEMORY_LIMIT", "CountedWindow", "count_endpoint_window"]

#: The most memory DuckDB holds while it counts a window; beyond it, it spills to disk.
MEMORY_LIMIT = "512MB"


@dataclass(frozen=True, slots=True)
class CountedWindow:
    """What DuckDB counted: the joined rows as an aggregated dataset, and the accounting.

    :meth:`analyze` derives the metrics from it, as from the rows.
    """

    dataset: Dataset
    config: AnalysisConfig
    diagnostics: Diagnostics
    ft_rows: Dataset | None = None
    """The joined rows FT runs on (all of them, in the window's order, up to the FT sample)."""

    def analyze(self) -> AnalysisResult:
        """The window's analysis (Clarify's per-metric errors where a facet is empty)."""
        return analyze(self.dataset, self.config, strict=False, ft_rows=self.ft_rows)


# A field the analysis reads is taken as it is only when its text means the same to pandas'
# typing and to Arrow's: an integer, a decimal number, or a word. Anything else (spaces,
# pandas' missing-value markers, booleans, dates, quotes) is read the usual way.
_NUMBER = r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?"
_TOKEN = rf"{_NUMBER}|[A-Za-z][A-Za-z0-9_]*"
_WORDS = ("nan", "none", "null", "na", "true", "false", "inf", "infinity")
# The fields whose JSON type matters are read as JSON (a number there makes the usual reader
# call the record malformed); the others as text, where a JSON number could only make the
# record fail the shape checks and go the usual way.
_CAPTURE_COLUMNS = {
    "eventMetadata": "STRUCT(eventId JSON, inferenceId JSON, inferenceTime JSON)",
    "captureData": "STRUCT(endpointInput STRUCT(observedContentType VARCHAR, data VARCHAR,"
    " encoding VARCHAR), endpointOutput STRUCT(observedContentType VARCHAR, data JSON,"
    " encoding VARCHAR))",
}
# The capture files, one record per line, with the fields above (``$files``, ``$columns``).
_CAPTURE = """(SELECT eventMetadata AS m, captureData.endpointInput AS i,
                 captureData.endpointOutput AS o
          FROM read_json($files, columns = $columns, format = 'newline_delimited',
                         records = true))"""
_TRUTH_COLUMNS = {
    "groundTruthData": "STRUCT(data VARCHAR, encoding VARCHAR)",
    "eventMetadata": "STRUCT(eventId JSON)",
}


def _is_string(value: str) -> str:
    """Whether a JSON value is a string: its text starts with a quote."""
    return f"coalesce(starts_with(CAST({value} AS VARCHAR), '\"'), FALSE)"


def _key(value: str) -> str:
    r"""An id to join on: its JSON text as DuckDB writes it back, the same for equal strings.

    DuckDB reads a JSON value and writes it again in one canonical form (``"\u00e9"`` and
    ``"é"`` alike), so equal ids have equal texts on both sides, without unescaping them.
    """
    return f"CAST({value} AS VARCHAR)"


# A capture record's id: its inferenceId, else its eventId.
_KEY = _key("coalesce(m.inferenceId, m.eventId)")


def _is_token(expression: str) -> str:
    words = ", ".join(f"'{word}'" for word in _WORDS)
    return f"(regexp_full_match({expression}, '{_TOKEN}') AND lower({expression}) NOT IN ({words}))"


@dataclass(frozen=True, slots=True)
class _Plan:
    """What a countable window's query reads: feature positions, and how the output decodes."""

    width: int
    fields: dict[str, int]
    """The analysed feature columns and their 1-based positions in the CSV record."""
    output_field: int | None
    """The 1-based position of the output field the prediction is in; None: the whole output."""
    scores: bool
    """Whether that field is a score (``score > threshold``) rather than a predicted label."""
    threshold: float
    ft: bool
    """Whether FT is asked for: then the joined rows are read too (up to the FT sample)."""


def _index(attribute: str | int | None) -> int | None:
    text = "" if attribute is None else str(attribute).strip()
    return int(text) if text.isdigit() else None


def _plan(layout: TableLayout, options: DecodingOptions, config: AnalysisConfig) -> _Plan | None:
    """The query's plan, or None when the window's configuration is not of the common shape."""
    names = layout.feature_names
    if names is None or len(names) < 2 or layout.exclude_features or options.features_attribute:
        return None  # (a single field could be a JSON number read as text)
    post = requested_metrics(config.methods.post_training_bias, Stage.POST_TRAINING)
    references: list[Any] = [facet.name_or_index for facet in config.facet]
    if config.group_variable is not None:
        references.append(config.group_variable)
    if any(facet.value_or_threshold is None for facet in config.facet) or not all(
        isinstance(ref, str) and ref in names for ref in references
    ):
        return None  # one-vs-rest entries follow first appearance; positions need names
    inference, probability = options.inference_attribute, options.probability_attribute
    attribute = next((str(a) for a in (inference, probability) if a is not None and str(a)), "")
    field = _index(attribute)
    if attribute and field is None:
        return None  # a JMESPath attribute: the output is not CSV
    scores = not (inference is not None and str(inference))
    return _Plan(
        width=len(names),
        fields={ref: names.index(ref) + 1 for ref in dict.fromkeys(references)},
        output_field=None if field is None else field + 1,
        scores=scores,
        threshold=float(options.probability_threshold),
        ft=any(spec.code is MetricCode.FT for spec in post),
    )


def _local_paths(uris: list[str]) -> list[str] | None:
    paths = []
    for uri in uris:
        location = locate(uri)
        if not location.local:
            return None
        paths.append(location.path)
    return paths


def count_endpoint_window(
    *,
    capture_uri: str,
    ground_truth_uri: str,
    window: Window,
    endpoint: str,
    variant: str,
    options: DecodingOptions,
    layout: TableLayout,
    config: AnalysisConfig,
) -> CountedWindow | None:
    """Count a window of the common shape with DuckDB; None when it is not of that shape.

    ``config`` is the analysis config of the window's columns (``layout.label`` and
    ``layout.predicted_column()``), as for a window read the usual way.
    """
    plan = _plan(layout, options, config)
    if plan is None or window.cut_at_inference_time:
        return None
    hours, truth_hours = window.capture_hours(), window.ground_truth_hours()
    folder = capture_folder(capture_uri, endpoint, variant)
    captures = _local_paths([f.uri for f in list_hour_files(folder, hours[0], hours[-1])])
    truths = _local_paths(
        [f.uri for f in list_hour_files(ground_truth_uri, truth_hours[0], truth_hours[-1])]
    )
    if not captures or not truths:
        return None
    import duckdb

    # Bounded memory: DuckDB spills what does not fit (the join's hash table of a very large
    # window) to its temporary directory; no result depends on the order of the records.
    with tempfile.TemporaryDirectory(prefix="biaswatch-duckdb-") as spill:
        connection = duckdb.connect(
            config={
                "memory_limit": MEMORY_LIMIT,
                "temp_directory": spill,
                "preserve_insertion_order": False,
            }
        )
        try:
            return _count(connection, captures, truths, plan, layout, config)
        except duckdb.Error:
            return None  # a line DuckDB cannot read as a record: the usual reader says which
        finally:
            connection.close()


def _shape(plan: _Plan) -> str:
    """A regular expression of one CSV record of the window's width, capturing analysed fields.

    A record with quotes, brackets or line breaks (but for the trailing ones the usual reader
    trims), or of another width, does not match: its fields come out empty, which no
    analysed value can be.
    """
    field = r'[^,"\n\r\[\]{}]*'
    parts, previous = [], 0
    for position in sorted(set(plan.fields.values())):
        gap = position - previous - 1
        parts.append((f"(?:{field},){{{gap}}}" if gap else "") + f"({field})")
        previous = position
    tail = plan.width - previous
    return "^" + ",".join(parts) + (f"(?:,{field}){{{tail}}}" if tail else "") + r"[\r\n]*$"


def _output_shape(plan: _Plan) -> str:
    r"""A regular expression of the output's JSON text, capturing the prediction's field.

    The output's JSON text as DuckDB writes it back must be a string (a number there makes the
    usual reader call the record malformed) of one line (but for trailing line breaks, written
    ``\r`` and ``\n``), without other escapes. A score must be a number; a predicted label's
    field is checked as a word or a number once counted. Anything else yields an empty field.
    """
    field = r'[^,"\\]*'
    value = f"({_NUMBER})" if plan.scores else f"({field})"
    if plan.output_field is not None:
        value = f"(?:{field},){{{plan.output_field - 1}}}{value}" + r'(?:,[^"\\]*)?'
    return f'^"{value}' + r'(?:\\[rn])*"$'


def _count(
    connection: Any,
    captures: list[str],
    truths: list[str],
    plan: _Plan,
    layout: TableLayout,
    config: AnalysisConfig,
) -> CountedWindow | None:
    # The labels first, one row per id: a window with a label to decode, or uploaded twice
    # (the latest wins), goes the usual way before its capture is read.
    connection.execute(
        f"""
        CREATE TEMP TABLE truth AS
        SELECT {_key("e")} AS key, any_value(g.data) AS label, count(*) AS copies,
               bool_and({_is_string("e")} AND g.encoding IS NOT DISTINCT FROM 'CSV') AS plain
        FROM (SELECT groundTruthData AS g, eventMetadata.eventId AS e
              FROM read_json($files, columns = $columns, format = 'newline_delimited',
                             records = true))
        GROUP BY 1
        """,
        {"files": truths, "columns": _TRUTH_COLUMNS},
    ).fetchall()
    labels_read, keys, odd_labels = connection.execute(
        f"""
        SELECT sum(copies), count(*),
               count(*) FILTER (WHERE NOT plain OR NOT coalesce({_is_token("label")}, FALSE))
        FROM truth
        """
    ).fetchall()[0]
    if not keys or odd_labels or labels_read != keys:
        return None
    # The capture: one pass that checks each record and keeps only what is counted, joined
    # to the labels and counted by (checks, analysed fields, label, prediction).
    positions = sorted(set(plan.fields.values()))
    names = [f"f{positions.index(position)}" for position in plan.fields.values()]
    predicted = _predicted(plan)
    connection.execute(
        f"""
        CREATE TEMP TABLE counted AS
        WITH capture AS (
            SELECT TRUE AS captured,
                   {_KEY} AS key,
                   {_is_string("m.eventId")} AND {_is_string("m.inferenceTime")}
                   AND (m.inferenceId IS NULL OR {_is_string("m.inferenceId")})
                   AND i.encoding IS NOT DISTINCT FROM 'CSV'
                   AND o.encoding IS NOT DISTINCT FROM 'CSV' AS plain,
                   i.observedContentType AS input_type, o.observedContentType AS output_type,
                   regexp_extract(i.data, $shape, $fields) AS fields,
                   regexp_extract(CAST(o.data AS VARCHAR), $output, 1) AS output
            FROM {_CAPTURE}
        )
        SELECT captured, copies IS NOT NULL AS labelled, capture.plain AS plain,
               input_type, output_type,
               {", ".join(f"fields.f{index} AS f{index}" for index in range(len(positions)))},
               label, {predicted} AS predicted, count(*) AS n
        FROM capture FULL JOIN truth USING (key)
        GROUP BY ALL
        """,
        {
            "files": captures,
            "columns": _CAPTURE_COLUMNS,
            "shape": _shape(plan),
            "output": _output_shape(plan),
            "fields": [f"f{index}" for index in range(len(positions))],
        },
    ).fetchall()
    prediction_ok = "predicted IS NOT NULL" if plan.scores else _is_token("predicted")
    tokens = "".join(f" AND {_is_token(name)}" for name in dict.fromkeys(names))
    records, rows, unmatched, unusual = connection.execute(
        f"""
        SELECT coalesce(sum(n) FILTER (WHERE captured), 0),
               coalesce(sum(n) FILTER (WHERE captured AND labelled), 0),
               coalesce(sum(n) FILTER (WHERE captured IS NULL), 0),
               count(*) FILTER (WHERE captured AND NOT coalesce(plain AND {prediction_ok}
                                                                {tokens}, FALSE))
        FROM counted
        """
    ).fetchall()[0]
    types = connection.execute(
        "SELECT DISTINCT input_type FROM counted WHERE captured"
        " UNION SELECT DISTINCT output_type FROM counted WHERE captured"
    ).fetchall()
    if not rows or unusual or not all(_is_csv(kind) for (kind,) in types):
        return None  # nothing to analyse (the usual reader says why), or a record to decode
    selected = ", ".join(f"{name} AS c{index}" for index, name in enumerate(names))
    counts = connection.sql(
        f"SELECT {selected}, label, predicted, n FROM counted WHERE captured AND labelled"
    ).to_arrow_table()
    columns = [f"c{index}" for index in range(len(names))]
    table = _typed(counts, dict(zip(columns, plan.fields, strict=True)), layout)
    if not _usable(table, layout):
        return None
    diagnostics = Diagnostics(
        capture_files=len(captures),
        records_read=records,
        rows_decoded=records,
        rows_without_ground_truth=records - rows,
        ground_truth_files=len(truths),
        ground_truth_read=labels_read,
        ground_truth_without_capture=unmatched,
        rows=rows,
    )
    weights = np.asarray(counts.column("n").to_numpy(), np.int64)
    dataset = dataset_from_table(table, config, source="the window", weights=weights)
    if not plan.ft:
        return CountedWindow(dataset, config, diagnostics)
    sample = ft_sample()
    ft_rows = _flip_test_rows(connection, captures, plan, layout, config, rows, sample)
    if rows > sample:
        diagnostics = replace(diagnostics, ft_rows=ft_rows.rows)
    return CountedWindow(dataset, config, diagnostics, ft_rows)


def _predicted(plan: _Plan) -> str:
    """The predicted label from the output's field (NULL where a score is not a number)."""
    if not plan.scores:
        return "output"
    threshold = f"CAST('{plan.threshold!r}' AS DOUBLE)"
    return f"CAST(CAST(NULLIF(output, '') AS DOUBLE) > {threshold} AS BIGINT)"


def _flip_test_rows(
    connection: Any,
    captures: list[str],
    plan: _Plan,
    layout: TableLayout,
    config: AnalysisConfig,
    rows: int,
    sample: int,
) -> Dataset:
    """The joined rows with every feature, in the window's order, for FT (up to ``sample``).

    All of them when there are at most ``sample``; else ``sample`` of them, chosen by a hash
    of their ids. The capture is read a second time, in its order in the files (for a sample,
    only the records whose id's hash falls below the sampled fraction), then joined to the
    labels: the rows the usual reader gives FT, in its order, so that neighbours tie alike.
    """
    names = layout.feature_names
    assert names is not None  # (a planned window has its feature names)
    chosen = ""
    if rows > sample:  # 20 % more ids than needed, then the first ``sample`` rows
        fraction = min(1.0, 1.2 * sample / rows)
        chosen = f"WHERE hash({_KEY}) < {int(fraction * (2**64 - 1))}"
    # Row ids follow the files: only a scan and a filter of single records come before the
    # table (a join there would reorder its rows); the labels are joined afterwards.
    connection.execute("SET preserve_insertion_order = true")
    connection.execute(
        f"""
        CREATE TEMP TABLE flip AS
        SELECT {_KEY} AS key, i.data AS record,
               regexp_extract(CAST(o.data AS VARCHAR), $output, 1) AS output
        FROM {_CAPTURE}
        {chosen}
        """,
        {"files": captures, "columns": _CAPTURE_COLUMNS, "output": _output_shape(plan)},
    ).fetchall()
    fields = "string_split(rtrim(record, chr(13) || chr(10)), ',')"
    columns = ", ".join(f"{fields}[{i + 1}] AS c{i}" for i in range(len(names)))
    table = connection.sql(
        f"""
        SELECT {columns}, truth.label AS label, {_predicted(plan)} AS predicted
        FROM flip JOIN truth USING (key)
        ORDER BY flip.rowid
        LIMIT {sample}
        """
    ).to_arrow_table()
    typed = _typed(table, {f"c{i}": name for i, name in enumerate(names)}, layout)
    return dataset_from_table(typed, config, source="the window (FT rows)")


def _is_csv(content_type: str | None) -> bool:
    return payload_format(content_type or "", encoding="CSV") is PayloadFormat.CSV


def _typed(rows: pa.Table, fields: dict[str, str], layout: TableLayout) -> pa.Table:
    """The query's rows typed as the usual reader types its columns.

    ``fields`` maps the query's feature columns to their names.
    """
    columns = {
        name: text_column(rows.column(field).combine_chunks()) for field, name in fields.items()
    }
    columns[layout.label] = text_column(rows.column("label").combine_chunks())
    predictions = rows.column("predicted").combine_chunks()
    if pa.types.is_string(predictions.type):
        predictions = text_column(predictions)
    columns[layout.predicted_column()] = predictions
    return pa.table(columns)


def _usable(table: pa.Table, layout: TableLayout) -> bool:
    """Whether the usual reader keeps every counted combination.

    It drops (counts and samples) a row whose label is not a number although the configured
    label values are, or is neither 0 nor 1 where 0/1 labels meet 0/1 predictions.
    """
    if not layout.numeric_labels:
        return True
    labels, predictions = table.column(layout.label), table.column(layout.predicted_column())
    if not (pa.types.is_integer(labels.type) or pa.types.is_floating(labels.type)):
        return False
    zero_one = set(layout.label_values) <= {0, 1} and pa.types.is_integer(labels.type)
    return not (
        zero_one
        and pa.types.is_integer(predictions.type)
        and set(predictions.to_pylist()) <= {0, 1}
        and not set(labels.to_pylist()) <= {0, 1}
    )
