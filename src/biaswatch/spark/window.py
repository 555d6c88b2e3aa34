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

import re
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import pyarrow as pa

from biaswatch.analysis import AnalysisResult, analyze, requested_metrics
from biaswatch.analysis.aggregate import analysed_names
from biaswatch.capture.assembly import NUMBER, TableLayout, describe_label_mismatch
from biaswatch.capture.batch import manifest_files
from biaswatch.capture.diagnostics import Diagnostics, MalformedSample
from biaswatch.capture.endpoint import capture_folder
from biaswatch.capture.window import Window
from biaswatch.config import AnalysisConfig
from biaswatch.config.batch_format import BatchFormat
from biaswatch.errors import ConfigError
from biaswatch.metrics import MetricCode, Stage
from biaswatch.records import NULL_MARKERS, DecodingOptions, Malformed
from biaswatch.spark.counting import COUNT, FIRST, FT_SAMPLE, ORDER, dataset_of_counts, sampled_rows
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
    """A frame of the files (``index``, ``uri``), spread over twice the session's task slots."""
    rows = [(index, uri) for index, uri in enumerate(uris)]
    frame = session.createDataFrame(rows, "index long, uri string")
    return frame.repartition(max(1, min(len(uris), _task_slots(session) * 2)))


def _task_slots(session: Any) -> int:
    """How many tasks the session runs at once.

    Spark Connect does not tell its clients: there, the session's shuffle partitions.
    """
    if type(session).__module__.startswith("pyspark.sql.connect"):
        return int(session.conf.get("spark.sql.shuffle.partitions"))
    return int(session.sparkContext.defaultParallelism)


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

    def read(files: list[str], kept: list[str]) -> tuple[Any, Any]:
        return _decoded(session, files, native, fallback, schema, kept)

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

    def read(files: list[str], kept: list[str]) -> tuple[Any, Any]:
        rows = _files(session, files).mapInArrow(decode, _ddl(schema)).select(*kept).cache()
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
    session: Any,
    files: list[str],
    native: Any,
    fallback: Any,
    schema: pa.Schema,
    kept: list[str] | None = None,
) -> tuple[Any, Any]:
    """``files``' lines decoded by Spark (``native``) or, where it cannot, by ``fallback``.

    Only the ``kept`` columns of ``schema`` are kept (all by default). Returns the rows and
    the cached frame to free after them: when Spark decoded every line (the usual case), its
    rows, a view of the cached lines; else those and the Python decoder's rows of the other
    lines, cached.
    """
    from pyspark.sql import functions as F

    read = partial(read_lines, settings=storage_settings())
    lines = _files(session, files).mapInArrow(read, _ddl(LINES))
    lines = lines.where(F.col("text").isNull() | F.col("text").rlike("\\S"))  # not blank
    kept = kept or schema.names
    parsed = native(lines).select(*dict.fromkeys([*kept, NATIVE, *LINES.names])).cache()
    decoded = parsed.where(F.col(NATIVE)).select(*kept)
    if fallback_lines(parsed).isEmpty():
        return decoded, parsed
    try:
        rest = fallback_lines(parsed).mapInArrow(fallback, _ddl(schema)).select(*kept)
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
    post = requested_metrics(config.methods.post_training_bias, Stage.POST_TRAINING)
    flip_test = any(spec.code is MetricCode.FT for spec in post)
    labels_schema = truth_schema(layout.label)
    native = partial(native_labels, label=layout.label)
    fallback = partial(decode_ground_truth, options=options, schema=labels_schema)
    cached: list[Any] = []  # the frames to free at the end
    try:
        records, cached_records = read(files, _kept(layout, config, flip_test=flip_test))
        cached.append(cached_records)
        predicted, features = records.columns[OUTPUT], records.columns[OUTPUT + 1 :]
        labels, cached_labels = _decoded(session, truths, native, fallback, labels_schema)
        cached.append(cached_labels)
        truth = _latest_labels(labels, layout.label)
        joined = _joined(records, truth, layout, predicted).cache()
        cached.append(joined)
        columns = analysed_names([*features, layout.label, predicted], config)
        groups = _Groups.of(_grouped(joined, columns), layout, predicted)
        found = replace(
            found,
            ground_truth_read=labels.where(F.col("problem").isNull()).count(),
            records_read=groups.lines(),
            malformed_records=groups.lines(malformed=True),
            rows_outside_window=groups.rows(OUTSIDE),
            rows_decoded=groups.rows(None),
            rows_without_ground_truth=groups.rows(None) - groups.usable - groups.unusable,
            unusable_rows=groups.unusable,
            rows=groups.usable,
            malformed_samples=_samples(joined, groups),
        )
        if groups.usable == 0:
            return SparkWindow(None, found)
        dataset = dataset_of_counts(groups.counts, columns, config, source="the window")
        sample = None
        if flip_test:
            usable = joined.where(groups.usable_rows()).select(
                *features, layout.label, predicted, ORDER
            )
            sample = sampled_rows(
                usable, config, rows=groups.usable, limit=ft_sample, source="the window"
            )
            found = replace(found, ft_rows=sample.rows)
        return SparkWindow(analyze(dataset, config, strict=False, ft_rows=sample), found)
    finally:
        for frame in cached:
            frame.unpersist()


def _kept(layout: TableLayout, config: AnalysisConfig, *, flip_test: bool) -> list[str]:
    """The decoded columns a window needs: every feature for FT, else only those analysed."""
    features, predicted = _columns(layout)
    schema = capture_schema(features, predicted)
    if flip_test:
        return list(schema.names)
    wanted = {*analysed_names([*features, layout.label, predicted], config), *layout.required}
    return [*schema.names[: OUTPUT + 1], *(name for name in features if name in wanted)]


def _latest_labels(labels: Any, label: str) -> Any:
    """Each id (``key``) and its labels by position (``__labels``) from its latest upload.

    As the local engine reads ground truth, an id uploaded again is replaced as a whole: the
    latest line wins, by hour folder, file name and line. A label's ``order`` less its position
    is the order of its line.
    """
    from pyspark.sql import functions as F

    uploads = (
        labels.where(F.col("problem").isNull())
        .groupBy("key")
        .agg(
            F.collect_list(
                F.struct(
                    (F.col("order") - F.col("record")).alias("u"),
                    F.col("record").alias("r"),
                    F.col(label).alias("v"),
                )
            ).alias("__all")
        )
    )
    latest = F.array_max(F.transform("__all", lambda x: x.getField("u")))
    chosen = F.array_sort(F.filter("__all", lambda x: x.getField("u") == latest))
    return uploads.select("key", F.transform(chosen, lambda x: x.getField("v")).alias("__labels"))


def _joined(records: Any, truth: Any, layout: TableLayout, predicted: str) -> Any:
    """The records with their labels, each row's final problem, and why it is not usable.

    The local engine's rules (``WindowAssembler`` in :mod:`biaswatch.capture.assembly`):
    labels pair with a request's records by position, so a request (a capture line, or one
    batch-transform record) whose ground truth holds another number of labels than the
    request has records is malformed as a whole: every row of it gets that problem
    (:data:`_MISMATCH`), and the request counts once (its row 0). A row without problem is
    *paired* when its id has labels; a paired row the analysis cannot use has a reason
    (``__unusable``): a missing label, prediction, facet or group value, or a label that is not
    a number where the label values are numbers. (The rule of labels outside 0/1 needs the
    whole window: :class:`_Groups` applies it.) The analysed values of a row with a problem
    are nulled, so that such rows fall into few groups.
    """
    from pyspark.sql import functions as F

    labelled = records.join(truth, "key", "left")
    labels = F.col("__labels")
    mismatch = F.col("key").isNotNull() & labels.isNotNull() & (F.size(labels) != F.col("size"))
    problem = F.when(mismatch, F.lit(_MISMATCH)).otherwise(F.col("problem"))
    framed = labelled.select(
        "*",
        problem.alias("__problem"),
        F.when(mismatch, (F.col("record") == 0).cast("long"))
        .otherwise(F.col("first"))
        .alias("__counts"),
        F.when(labels.isNotNull(), F.size(labels)).alias("__label_count"),
    )
    fine = F.col("__problem").isNull()
    paired = fine & labels.isNotNull()
    label = F.when(paired, F.get(labels, F.col("record").cast("int")))
    framed = framed.withColumn(layout.label, label).withColumn("__paired", paired)

    def missing(name: str) -> Any:
        return F.col(name).isNull() | F.col(name).isin(NULL_MARKERS)

    rules = [
        (missing(layout.label), "the label is missing"),
        (missing(predicted), "the prediction is missing"),
        *((missing(n), f"{n!r} is missing") for n in layout.required if n in records.columns),
    ]
    if layout.numeric_labels:
        rules.append((~F.col(layout.label).rlike(NUMBER), "the label is not a number"))
    reason = F.lit(None).cast("string")
    for condition, why in reversed(rules):
        reason = F.when(F.coalesce(condition, F.lit(False)), F.lit(why)).otherwise(reason)
    values = [*records.columns[OUTPUT:], layout.label]  # the prediction, features, label
    return framed.select(
        "key",
        "record",
        F.col("order").alias(ORDER),
        F.col("__problem").alias("problem"),
        "file",
        "line",
        "size",
        "__counts",
        "__label_count",
        "__paired",
        F.when(F.col("__paired"), reason).alias("__unusable"),
        *(F.when(fine, F.col(name)).alias(name) for name in values),
    )


def _grouped(joined: Any, columns: list[str]) -> pa.Table:
    """The joined rows counted by problem, pairing, reason and analysed values (one pass)."""
    from pyspark.sql import functions as F

    keys = ["problem", "__paired", "__unusable", *columns]
    return (
        joined.groupBy(*keys)
        .agg(
            F.count(F.lit(1)).alias(COUNT),
            F.sum("__counts").alias("__lines"),
            F.min(ORDER).alias(FIRST),
        )
        .toArrow()
    )


_ZERO_ONE = "the label is neither 0 nor 1"
_INTEGER = re.compile(r"^\s*[-+]?\d+\s*$", re.ASCII)  # (as Java reads \s and \d)


@dataclass(frozen=True, slots=True)
class _Groups:
    """The window's rows counted by group, read on the driver: its accounting, and the counts.

    ``counts`` holds the usable rows' groups (the analysed values, ``COUNT`` and ``FIRST``);
    ``zero_one`` says whether labels outside 0/1 are dropped: the local engine's rule where
    every usable label is an integer and every prediction is 0 or 1 and the label values
    are 0/1.
    """

    table: pa.Table
    counts: pa.Table
    label: str
    zero_one: bool
    usable: int
    unusable: int

    @classmethod
    def of(cls, table: pa.Table, layout: TableLayout, predicted: str) -> _Groups:
        import pyarrow.compute as pc

        paired = table.filter(pc.fill_null(table.column("__paired"), False))
        fine = paired.filter(pc.is_null(paired.column("__unusable")))
        labels = fine.column(layout.label).to_pylist()
        zero_one = bool(
            layout.numeric_labels
            and set(layout.label_values) <= {0, 1}
            and fine.num_rows
            and all(v is not None and _INTEGER.match(v) for v in labels)
            and set(fine.column(predicted).to_pylist()) <= {"0", "1"}
        )
        if zero_one:
            keep = pa.array([int(v) in (0, 1) for v in labels], pa.bool_())
            fine = fine.filter(keep)
        usable = int(pc.sum(fine.column(COUNT)).as_py() or 0)
        unusable = int(pc.sum(paired.column(COUNT)).as_py() or 0) - usable
        return cls(table, fine, layout.label, zero_one, usable, unusable)

    def rows(self, problem: str | None) -> int:
        """How many rows have ``problem`` (None: the decoded rows)."""
        return sum(
            n
            for p, n in zip(self._problems(), self.table.column(COUNT).to_pylist(), strict=True)
            if p == problem
        )

    def lines(self, *, malformed: bool = False) -> int:
        """How many requests were read (each once per problem it has), or were malformed."""
        return sum(
            n
            for p, n in zip(self._problems(), self.table.column("__lines").to_pylist(), strict=True)
            if not malformed or p not in (None, OUTSIDE)
        )

    def has(self, *problems: str) -> bool:
        """Whether some row has one of ``problems``."""
        return any(p in problems for p in self._problems())

    def others(self) -> bool:
        """Whether some row has another problem than those of the window's own rules."""
        return any(p not in (None, OUTSIDE, _MISMATCH) for p in self._problems())

    def usable_rows(self) -> Any:
        """The condition of the rows the analysis uses."""
        from pyspark.sql import functions as F

        usable = F.col("__paired") & F.col("__unusable").isNull()
        if self.zero_one:
            usable = usable & F.col(self.label).try_cast("long").isin(0, 1)
        return F.coalesce(usable, F.lit(False))

    def _problems(self) -> list[str | None]:
        problems: list[str | None] = self.table.column("problem").to_pylist()
        return problems


def _samples(joined: Any, groups: _Groups) -> tuple[MalformedSample, ...]:
    """The first malformed requests in the order read, with their reasons; then unusable rows.

    Those with labels outside 0/1 come last; each kind is read only when there are some.
    """
    from pyspark.sql import functions as F

    problem = F.col("problem")
    found: list[tuple[int, MalformedSample]] = []
    if groups.others():
        chosen = joined.where(problem.isNotNull() & ~problem.isin(OUTSIDE, _MISMATCH))
        found += [
            (r[ORDER], MalformedSample(r["file"], r["line"], r["problem"]))
            for r in chosen.orderBy(ORDER).limit(_SAMPLES).collect()
        ]
    if groups.has(_MISMATCH):
        chosen = joined.where((problem == _MISMATCH) & (F.col("record") == 0))
        found += [
            (
                r[ORDER],
                MalformedSample(
                    r["file"],
                    r["line"],
                    describe_label_mismatch(r["key"], labels=r["__label_count"], records=r["size"]),
                ),
            )
            for r in chosen.orderBy(ORDER).limit(_SAMPLES).collect()
        ]
    samples = [sample for _, sample in sorted(found, key=lambda pair: pair[0])][:_SAMPLES]
    if groups.unusable and len(samples) < _SAMPLES:
        unusable = F.coalesce(F.col("__paired"), F.lit(False)) & ~groups.usable_rows()
        why = F.coalesce(F.col("__unusable"), F.lit(_ZERO_ONE))
        chosen = joined.where(unusable).select("file", "line", ORDER, why.alias("why"))
        samples += [
            MalformedSample(r["file"], r["line"], r["why"])
            for r in chosen.orderBy(F.col("why") == _ZERO_ONE, ORDER)
            .limit(_SAMPLES - len(samples))
            .collect()
        ]
    return tuple(samples)
