"""A monitoring window counted by Spark: the Spark engine of monitoring executions.

The driver lists the window's capture and ground-truth files; Spark's Python workers read them
into numbered lines; Spark decodes the lines of the common shape itself
(:mod:`biaswatch.spark.native`) and the Python workers the others
(:mod:`biaswatch.spark.decoding`, as they do batch-transform output files); Spark keeps the
latest upload of each id, joins the records to their labels, and counts the joined rows by the
analysed columns. The counts and a bounded sample of rows for FT come back, with the window's
record accounting.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import pyarrow as pa

from biaswatch.analysis import AnalysisResult, Dataset, analyze
from biaswatch.capture.assembly import NUMBER, TableLayout, describe_label_mismatch
from biaswatch.capture.batch import manifest_files
from biaswatch.capture.diagnostics import Diagnostics, MalformedSample
from biaswatch.capture.endpoint import capture_folder
from biaswatch.capture.window import Window
from biaswatch.config import AnalysisConfig
from biaswatch.config.batch_format import BatchFormat
from biaswatch.errors import ConfigError
from biaswatch.records import NULL_MARKERS, DecodingOptions, Malformed
from biaswatch.spark.counting import FT_SAMPLE, ORDER, counted_dataset, sampled_rows
from biaswatch.spark.decoding import (
    LINES,
    OUTPUT,
    OUTSIDE,
    capture_schema,
    decode_batch_outputs,
    decode_captures,
    decode_ground_truth,
    read_lines,
    storage_settings,
    truth_schema,
)
from biaswatch.spark.native import NATIVE, fallback_lines, native_captures, native_labels
from biaswatch.storage import join, list_hour_files

__all__ = ["SparkWindow", "count_batch_window", "count_endpoint_window"]

_SAMPLES = 20
_MISMATCH = "the ground truth's labels do not pair with the request's records"
"""The problem of every row of such a request (each sample gets its own reason)."""


@dataclass(frozen=True, slots=True)
class SparkWindow:
    """What Spark counted: the analysis of the joined rows, and the window's accounting."""

    result: AnalysisResult | None
    diagnostics: Diagnostics


def _ddl(schema: pa.Schema) -> str:
    """The Spark DDL of a schema of strings, bytes and 64-bit integers."""
    kinds = {pa.string(): "string", pa.int64(): "long", pa.binary(): "binary"}
    return ", ".join(f"`{f.name.replace('`', '``')}` {kinds[f.type]}" for f in schema)


def _files(session: Any, uris: list[str]) -> Any:
    rows = [(index, uri) for index, uri in enumerate(uris)]
    frame = session.createDataFrame(rows, "index long, uri string")
    return frame.repartition(max(1, min(len(uris), session.sparkContext.defaultParallelism * 2)))


def _columns(layout: TableLayout) -> tuple[list[str], str]:
    features = layout.feature_names
    if features is None or layout.exclude_features:
        raise ConfigError(
            "engine 'spark' needs the analysis config's headers (and no"
            " exclude_features_attribute); use engine 'local'",
            field="engine",
            value="spark",
        )
    return features, layout.predicted_column()


def count_endpoint_window(
    session: Any,
    *,
    capture_uri: str,
    ground_truth_uri: str,
    window: Window,
    endpoint: str,
    variant: str,
    options: DecodingOptions,
    layout: TableLayout,
    config: AnalysisConfig,
    ft_sample: int = FT_SAMPLE,
) -> SparkWindow:
    """Read, join and count an endpoint's window with Spark; analyse the counts locally.

    ``config`` is the analysis config of the joined table (its label and predicted-label
    columns are ``layout``'s). ``result`` is None when no row has ground truth.
    """
    features, predicted = _columns(layout)
    hours = window.capture_hours()
    folder = capture_folder(capture_uri, endpoint, variant)
    captures = [f.uri for f in list_hour_files(folder, hours[0], hours[-1])]
    schema = capture_schema(features, predicted)
    native = partial(
        native_captures, options=options, window=window, features=features, predicted=predicted
    )
    fallback = partial(decode_captures, options=options, window=window, schema=schema)

    def read(files: list[str]) -> tuple[Any, Any]:
        return _decoded(session, files, native, fallback, schema)

    return _count(
        session, captures, read, ground_truth_uri, window, options, layout, config, ft_sample
    )


def count_batch_window(
    session: Any,
    *,
    destination: str,
    ground_truth_uri: str,
    window: Window,
    dataset_format: BatchFormat | None,
    options: DecodingOptions,
    layout: TableLayout,
    config: AnalysisConfig,
    ft_sample: int = FT_SAMPLE,
) -> SparkWindow:
    """Read, join and count a batch-transform job's capture with Spark (see above)."""
    features, predicted = _columns(layout)
    hours = window.capture_hours()
    outputs: list[str] = []
    bad_manifests: list[MalformedSample] = []
    for manifest in list_hour_files(join(destination, "output"), hours[0], hours[-1]):
        try:
            outputs.extend(manifest_files(manifest.uri))
        except Malformed as exc:
            bad_manifests.append(MalformedSample(manifest.uri, 1, exc.reason))
    schema = capture_schema(features, predicted)
    decode = partial(
        decode_batch_outputs, options=options, schema=schema, settings=storage_settings(),
        dataset_format=dataset_format,
    )  # fmt: skip

    def read(files: list[str]) -> tuple[Any, Any]:
        rows = _files(session, files).mapInArrow(decode, _ddl(schema)).cache()
        return rows, rows

    counted = _count(
        session, outputs, read, ground_truth_uri, window, options, layout, config, ft_sample
    )
    if not bad_manifests:
        return counted
    diagnostics = counted.diagnostics
    return replace(
        counted,
        diagnostics=replace(
            diagnostics,
            malformed_records=diagnostics.malformed_records + len(bad_manifests),
            malformed_samples=(*bad_manifests, *diagnostics.malformed_samples)[:_SAMPLES],
        ),
    )


def _decoded(
    session: Any, files: list[str], native: Any, fallback: Any, schema: pa.Schema
) -> tuple[Any, Any]:
    """``files``' lines decoded by Spark (``native``) or, where it cannot, by ``fallback``.

    Returns the rows and the cached frame to free after them: when Spark decoded every line
    (the usual case), its rows, a view of the cached lines; else those and the Python
    decoder's rows of the other lines, cached.
    """
    from pyspark.sql import functions as F

    read = partial(read_lines, settings=storage_settings())
    lines = _files(session, files).mapInArrow(read, _ddl(LINES))
    lines = lines.where(F.col("text").isNull() | F.col("text").rlike("\\S"))  # not blank
    parsed = native(lines).cache()
    decoded = parsed.where(F.col(NATIVE)).select(*schema.names)
    if fallback_lines(parsed).isEmpty():
        return decoded, parsed
    try:
        rest = fallback_lines(parsed).mapInArrow(fallback, _ddl(schema))
        rows = decoded.unionByName(rest).cache()
        rows.count()
        return rows, rows
    finally:
        parsed.unpersist()


def _count(
    session: Any,
    files: list[str],
    read: Any,
    ground_truth_uri: str,
    window: Window,
    options: DecodingOptions,
    layout: TableLayout,
    config: AnalysisConfig,
    ft_sample: int,
) -> SparkWindow:
    """Decode ``files`` with ``read``, join the records to the labels, count, analyse."""
    from pyspark.sql import functions as F

    truth_hours = window.ground_truth_hours()
    truths = [f.uri for f in list_hour_files(ground_truth_uri, truth_hours[0], truth_hours[-1])]
    found = Diagnostics(capture_files=len(files), ground_truth_files=len(truths), engine="spark")
    if not files:
        return SparkWindow(None, found)
    records, cached_records = read(files)
    predicted, features = records.columns[OUTPUT], records.columns[OUTPUT + 1 :]
    labels_schema = truth_schema(layout.label)
    native = partial(native_labels, label=layout.label)
    fallback = partial(decode_ground_truth, options=options, schema=labels_schema)
    labels, cached_labels = _decoded(session, truths, native, fallback, labels_schema)
    checked: Any = None
    try:
        truth, counts = _latest_labels(labels, layout.label)
        checked, mismatched = _checked(records, counts)
        checked = checked.cache()
        summary = checked.groupBy("problem").agg(
            F.count(F.lit(1)).alias("n"), F.countDistinct(_request()).alias("lines")
        )
        by_problem = {row["problem"]: (row["n"], row["lines"]) for row in summary.collect()}
        decoded = by_problem.get(None, (0, 0))[0]
        malformed = sum(lines for p, (_, lines) in by_problem.items() if p not in (None, OUTSIDE))
        samples = _samples(checked, mismatched)
        paired = (
            checked.where(F.col("problem").isNull())
            .join(truth, ["key", "record"])
            .select(*features, layout.label, predicted, F.col("order").alias(ORDER), "file", "line")
        )
        joined, unusable, unusable_samples = _judged(paired, layout, predicted)
        joined = joined.cache()
        rows = joined.count()
        found = replace(
            found,
            ground_truth_read=labels.where(F.col("problem").isNull()).count(),
            records_read=sum(lines for _, lines in by_problem.values()),
            malformed_records=malformed,
            rows_outside_window=by_problem.get(OUTSIDE, (0, 0))[0],
            rows_decoded=decoded,
            rows_without_ground_truth=decoded - rows - unusable,
            unusable_rows=unusable,
            rows=rows,
            malformed_samples=(*samples, *unusable_samples)[:_SAMPLES],
        )
        if rows == 0:
            return SparkWindow(None, found)
        dataset: Dataset = counted_dataset(joined, config, source="the window")
        sample = None
        if config.methods.post_training_bias is not None:
            sample = sampled_rows(joined, config, rows=rows, limit=ft_sample, source="the window")
            found = replace(found, ft_rows=sample.rows)
        result = analyze(dataset, config, strict=False, ft_rows=sample)
        joined.unpersist()
        return SparkWindow(result, found)
    finally:
        if checked is not None:
            checked.unpersist()
        cached_labels.unpersist()
        cached_records.unpersist()


def _latest_labels(labels: Any, label: str) -> tuple[Any, Any]:
    """Each id's labels (by position) from its latest upload, and how many that upload holds.

    As the local engine reads ground truth, an id uploaded again is replaced as a whole: the
    latest line wins, by hour folder, file name and line. A label's ``order`` less its position
    is the order of its line.
    """
    from pyspark.sql import Window as Over
    from pyspark.sql import functions as F

    newest = (
        labels.where(F.col("problem").isNull())
        .withColumn("__upload", F.col("order") - F.col("record"))
        .withColumn("__latest", F.max("__upload").over(Over.partitionBy("key")))
        .where(F.col("__upload") == F.col("__latest"))
    )
    counts = newest.groupBy("key").agg(F.count(F.lit(1)).alias("__labels"))
    return newest.select("key", "record", label), counts


def _request() -> Any:
    """A row's request: its ``order`` less its position in the request.

    One per capture line, and one per batch-transform record (several may share a line).
    """
    from pyspark.sql import functions as F

    return F.col("order") - F.col("record")


def _checked(records: Any, counts: Any) -> tuple[Any, Any]:
    """``records`` with every row of a request that does not fit its labels marked, and those.

    The local engine's rule (``WindowAssembler._join_invocation`` in
    :mod:`biaswatch.capture.assembly`): labels pair with a request's records by position, so a
    request (a capture line, or one batch-transform record) whose ground truth holds another
    number of labels than the request has records is malformed as a whole: skipped, counted
    once and sampled. The second frame
    has one row per such request: its ``file``, ``line``, ``key``, ``order``, ``__labels`` and
    ``__records``.
    """
    from pyspark.sql import functions as F

    requests = records.groupBy(_request().alias("__request")).agg(
        F.count(F.lit(1)).alias("__records"),
        F.first("key", ignorenulls=True).alias("key"),
        F.min("order").alias("order"),
        F.first("file").alias("file"),
        F.min("line").alias("line"),
    )
    mismatched = requests.join(counts, "key").where(F.col("__labels") != F.col("__records"))
    marks = mismatched.select("__request", F.lit(_MISMATCH).alias("__mismatch"))
    checked = (
        records.withColumn("__request", _request())
        .join(marks, "__request", "left")
        .withColumn("problem", F.coalesce(F.col("__mismatch"), F.col("problem")))
        .drop("__mismatch", "__request")
    )
    return checked, mismatched


def _samples(checked: Any, mismatched: Any) -> list[MalformedSample]:
    """The first malformed requests in the order they were read, each with its reason."""
    from pyspark.sql import functions as F

    problem = F.col("problem")
    found = [
        (r["order"], MalformedSample(r["file"], r["line"], r["problem"]))
        for r in checked.where(problem.isNotNull() & ~problem.isin(OUTSIDE, _MISMATCH))
        .orderBy("order")
        .limit(_SAMPLES)
        .collect()
    ]
    found += [
        (
            r["order"],
            MalformedSample(
                r["file"],
                r["line"],
                describe_label_mismatch(r["key"], labels=r["__labels"], records=r["__records"]),
            ),
        )
        for r in mismatched.orderBy("order").limit(_SAMPLES).collect()
    ]
    return [sample for _, sample in sorted(found, key=lambda pair: pair[0])][:_SAMPLES]


def _judged(frame: Any, layout: TableLayout, predicted: str) -> tuple[Any, int, list[Any]]:
    """The joined rows the analysis can use, how many it cannot, and samples of those.

    The local engine's rules (:meth:`biaswatch.capture.assembly.WindowAssembler._judged`): a
    missing label, prediction, facet or group value; a label that is not a number where the
    label values are numbers; a label outside 0/1 where 0/1 label values meet 0/1 predictions.
    """
    from pyspark.sql import functions as F

    def missing(name: str) -> Any:
        return F.col(name).isNull() | F.col(name).isin(NULL_MARKERS)

    numeric = layout.numeric_labels
    rules = [
        (missing(layout.label), "the label is missing"),
        (missing(predicted), "the prediction is missing"),
        *((missing(n), f"{n!r} is missing") for n in layout.required if n in frame.columns),
    ]
    if numeric:
        rules.append((~F.col(layout.label).rlike(NUMBER), "the label is not a number"))
    frame, count, samples = _drop(frame, rules)
    if numeric and set(layout.label_values) <= {0, 1}:
        integer = r"^\s*[-+]?\d+\s*$"
        shape = frame.agg(
            F.min(F.col(layout.label).rlike(integer).cast("int")).alias("integers"),
            F.min(F.col(predicted).isin("0", "1").cast("int")).alias("zero_one"),
        ).first()
        if shape is not None and shape["integers"] == 1 and shape["zero_one"] == 1:
            outside = ~F.col(layout.label).cast("long").isin(0, 1)
            frame, more, more_samples = _drop(frame, [(outside, "the label is neither 0 nor 1")])
            count, samples = count + more, samples + more_samples
    return frame.drop("file", "line"), count, samples


def _drop(frame: Any, rules: list[tuple[Any, str]]) -> tuple[Any, int, list[Any]]:
    """``frame`` without the rows a rule marks; their number, and samples (first reason)."""
    from pyspark.sql import functions as F

    reason = F.lit(None).cast("string")
    for condition, why in reversed(rules):
        reason = F.when(F.coalesce(condition, F.lit(False)), F.lit(why)).otherwise(reason)
    judged = frame.withColumn("__unusable", reason).cache()
    bad = judged.where(F.col("__unusable").isNotNull())
    count = bad.count()
    samples = [
        MalformedSample(r["file"], r["line"], r["__unusable"])
        for r in (bad.orderBy(ORDER).limit(_SAMPLES).collect() if count else [])
    ]
    return judged.where(F.col("__unusable").isNull()).drop("__unusable"), count, samples
