r"""Capture and ground-truth lines decoded by Spark's own functions, where they are usual.

Most lines are in SageMaker's layout, as SageMaker and biaswatch's writers write them: the
keys in their usual order, plain strings, one CSV record in (as text or base64) and one CSV
line out, one CSV label per id. Spark decodes those itself, in the JVM, without a Python
worker: one anchored regular expression per line checks the line and takes its fields apart
(``regexp_replace`` into marked groups, then ``split``), ``split`` takes the CSV fields, and
``unbase64`` decodes base64. Every other line keeps the Python decoder
(:mod:`biaswatch.spark.decoding`), which reads any layout and says what is wrong with a line,
with its file and line.

Why a pattern rather than Spark's JSON reader (``from_json`` with a schema): the JSON reader
reads lines the local engine refuses (text after the object, single quotes, a number where a
string belongs, keys in another case), so each line would need checks that make it agree; on a
million cached lines on a 2-core machine those checks and the reader took about 10 s, the
pattern about 3 s (``docs/spark.md``).

A line is decoded here only when the Python decoder reads it the same way:

- the line is exactly the layout: ``captureData`` (``endpointInput``, ``endpointOutput``, each
  ``observedContentType``, ``mode``, ``data``, ``encoding``), then ``eventMetadata``
  (``eventId``, an optional ``inferenceId`` string or null, ``inferenceTime``, an optional
  ``customAttributes``), then an optional ``eventVersion``; spaces allowed between tokens;
  strings without escapes or control characters, but for trailing ``\\n`` / ``\\r`` in a
  payload;
- the inference time is ISO-8601 as Python reads it; the event id is not empty;
- each payload is CSV (by its content type, else its encoding), its base64 strict and its bytes
  UTF-8, and holds one record without quotes or line breaks, of the window's width; the
  output's score is a plain finite number (or the predicted label is the configured column).

The rows are those the Python decoder gives (same key, order, file, line, values), so the rest
of the Spark engine does not know which way a line went; ``tests/spark/test_native_spark.py``
compares both on every line of a corpus of unusual ones, and on generated ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from biaswatch.capture.window import Window
from biaswatch.records import DecodingOptions
from biaswatch.spark.decoding import FILE_SPAN, LINE_SPAN, LINES, OUTSIDE

__all__ = ["NATIVE", "fallback_lines", "native_captures", "native_labels"]

NATIVE = "__native"
"""The column that says whether a line was decoded here (else its text is kept for Python)."""

_WS = " *+"
_TEXT = '"([^"\\\\\\x00-\\x1f]*+)"'  # a string without escapes: its text
_ANY = '"[^"\\\\\\x00-\\x1f]*+"'
# A payload's data: one line (no escapes, no line separators Python's splitlines knows), then
# only escaped line breaks (its record, and those breaks).
_DATA = '"([^"\\\\\\x00-\\x1f\\x85\\u2028\\u2029]*+)((?:\\\\[rn])*+)"'
_TIME = (
    '"([1-9][0-9]{3}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\\.[0-9]{1,6})?'
    '(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9]))"'
)
_BASE64 = "^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"
_SCORE = "^[-+]?(?:[0-9]+\\.?[0-9]*|\\.[0-9]+)(?:[eE][-+]?[0-9]+)?$"
_NOT_PLAIN = '["\\n\\r\\x0b\\x0c\\x1c\\x1d\\x1e\\x85\\u2028\\u2029]'  # splitlines' breaks, a quote
_GROUP = "\x01"  # between the groups a pattern's replacement lists (no matched line holds one)
_MATCHED = "\x02"  # what that replacement starts with


def _member(name: str, value: str) -> str:
    return f'"{name}"{_WS}:{_WS}{value}'


def _object(*members: str) -> str:
    """A JSON object of ``members`` (each a pattern; an optional one starts with its comma)."""
    parts = [members[0]] + [m if m.startswith("(?:,") else f",{_WS}{m}" for m in members[1:]]
    return f"\\{{{_WS}" + f"{_WS}".join(parts) + f"{_WS}\\}}"


def _optional(name: str, value: str) -> str:
    return f"(?:,{_WS}{_member(name, value)})?"


def _payload(name: str) -> str:
    return _member(
        name,
        _object(
            _member("observedContentType", _TEXT),
            _member("mode", _ANY),
            _member("data", _DATA),
            _member("encoding", '"(CSV|BASE64)"'),
        ),
    )


def _line(document: str) -> str:
    return f"^{_WS}{document}{_WS}\\r?\\z"


_CAPTURE = _line(
    _object(
        _member("captureData", _object(_payload("endpointInput"), _payload("endpointOutput"))),
        _member(
            "eventMetadata",
            _object(
                _member("eventId", _TEXT),
                f"(?:,{_WS}{_member('inferenceId', f'({_ANY}|null)')})?",
                _member("inferenceTime", _TIME),
                _optional("customAttributes", _ANY),
            ),
        ),
        _optional("eventVersion", _ANY),
    )
)
"""A capture line in the usual layout; groups: each payload's content type, record, trailing
breaks and encoding (input, then output), the event id, the inference id (quoted, ``null``, or
empty when absent), the inference time."""
_CAPTURE_GROUPS = 11

_TRUTH = _line(
    _object(
        _member(
            "groundTruthData",
            _object(_member("data", _DATA), _optional("encoding", '"CSV"')),
        ),
        _member("eventMetadata", _object(_member("eventId", _TEXT))),
        _optional("eventVersion", _ANY),
    )
)
"""A ground-truth line in the usual layout; groups: the label record, its trailing breaks, the
event id."""
_TRUTH_GROUPS = 3


@dataclass(frozen=True, slots=True)
class _Output:
    """How a prediction comes out of a CSV output line."""

    field: int | None
    """The 0-based field it is in; None: the output is the one field."""
    scores: bool
    """Whether the field is a score (``score > threshold``) rather than the predicted label."""
    threshold: float


def _index(attribute: str | int | None) -> int | None:
    text = "" if attribute is None else str(attribute).strip()
    return int(text) if text.isascii() and text.isdigit() else None


def _output(options: DecodingOptions) -> _Output | None:
    """How the configured attributes read a CSV output; None when one is not a plain index."""
    inference, probability = options.inference_attribute, options.probability_attribute
    attribute = next((str(a) for a in (inference, probability) if a is not None and str(a)), "")
    field = _index(attribute)
    if attribute and field is None:
        return None  # a JMESPath or a negative index: the Python decoder reads it
    scores = not (inference is not None and str(inference))
    return _Output(field, scores, float(options.probability_threshold))


def _with_groups(lines: Any, pattern: str, count: int) -> tuple[Any, Any, list[Any]]:
    """``lines`` with the match of ``pattern`` on ``text`` and its groups (one pass of it).

    Returns the frame, whether a line matched, and its groups' columns. (A column of its own:
    Spark evaluates an expression once per place it is used, and this one is the dearest.)
    """
    from pyspark.sql import functions as F

    text = F.col("text")
    listed = _MATCHED + _GROUP.join(f"${n}" for n in range(1, count + 1))
    replaced = F.regexp_replace(text, pattern, listed)
    framed = lines.withColumn("__groups", replaced)
    found = F.col("__groups")
    matched = F.coalesce(found.startswith(_MATCHED) & ~text.startswith(_MATCHED), F.lit(False))
    framed = framed.withColumn(
        "__groups", F.when(matched, F.split(F.substring(found, 2, 1 << 30), _GROUP, -1))
    )
    groups = F.col("__groups")
    return framed, groups.isNotNull(), [F.get(groups, n) for n in range(count)]


def _has_text(value: Any) -> Any:
    """Whether a record holds a printable ASCII character (Python's ``strip()`` leaves it).

    A blank record is no record, and no line, to the Python decoder.
    """
    return value.rlike("[!-~]")


def _fields(record: Any) -> Any:
    """A decoded payload's one CSV record as its fields; null when it is not one plain record."""
    from pyspark.sql import functions as F

    record = F.regexp_replace(record, "[\\r\\n]+\\z", "")
    plain = ~record.rlike(_NOT_PLAIN) & _has_text(record)
    return F.when(plain, F.split(record, ",", -1))


def _payload_fields(content_type: Any, record: Any, breaks: Any, encoding: Any) -> Any:
    """A payload's CSV fields, or null where the Python decoder would read it otherwise."""
    from pyspark.sql import functions as F

    media = F.lower(F.get(F.split(content_type, ";", 2), 0))
    csv = (content_type == "text/csv") | (
        content_type.rlike("^[ -~]*$")
        & (media.contains("csv") | (~media.contains("json") & (encoding == "CSV")))
    )
    decoded = F.unbase64(record).cast("string")
    fields = F.when(encoding == "CSV", F.split(record, ",", -1)).when(
        (breaks == "") & record.rlike(_BASE64) & F.is_valid_utf8(decoded), _fields(decoded)
    )
    return F.when(csv, fields)


def _prediction(fields: Any, output: _Output) -> tuple[Any, Any]:
    """The predicted label from an output's fields, and whether the Python decoder agrees."""
    from pyspark.sql import functions as F

    if output.field is None:
        value, present = F.get(fields, 0), F.size(fields) == 1
    else:
        value, present = F.get(fields, output.field), F.size(fields) > output.field
    if not output.scores:
        blank = (F.size(fields) == 1) & ~_has_text(value)  # a blank output has no line
        return value, present & ~blank
    score = value.try_cast("double")
    finite = score.isNotNull() & ~F.abs(score).eqNullSafe(float("inf"))
    label = F.when(score > F.lit(output.threshold), "1").otherwise("0")
    return label, present & value.rlike(_SCORE) & finite


def _order() -> Any:
    from pyspark.sql import functions as F

    return F.col("index") * FILE_SPAN + F.col("line") * LINE_SPAN


def native_captures(
    lines: Any,
    *,
    options: DecodingOptions,
    window: Window,
    features: list[str],
    predicted: str,
) -> Any:
    """Capture lines (:data:`~biaswatch.spark.decoding.LINES`, none blank) → decoded rows.

    The columns are :func:`~biaswatch.spark.decoding.capture_schema`'s, :data:`NATIVE`, and
    the line's ``index``, ``text`` and ``raw`` where it was not decoded here.
    """
    from pyspark.sql import functions as F

    text = F.col("text")
    framed, matched, groups = _with_groups(lines, _CAPTURE, _CAPTURE_GROUPS)
    framed = framed.select(
        "*",
        _payload_fields(*groups[0:4]).alias("__inputs"),
        _payload_fields(*groups[4:8]).alias("__outputs"),
        F.try_to_timestamp(groups[10]).alias("__moment"),
    )
    inputs, outputs, moment = F.col("__inputs"), F.col("__outputs"), F.col("__moment")
    event_id, inference_id = groups[8:10]
    output = _output(options)
    if output is None:
        prediction, prediction_ok = F.lit(None).cast("string"), F.lit(False)
    else:
        prediction, prediction_ok = _prediction(outputs, output)
    blank = (len(features) == 1) & ~_has_text(F.get(inputs, 0))  # no record at all
    native = matched & F.coalesce(
        (F.length(event_id) > 0)
        & moment.isNotNull()
        & (F.size(inputs) == len(features))
        & ~blank
        & prediction_ok,
        F.lit(False),
    )
    key = F.when(
        inference_id.isin("", "null"), event_id
    ).otherwise(F.substring(inference_id, 2, F.length(inference_id) - 2))  # fmt: skip
    kept = F.lit(True)
    if window.cut_at_inference_time:
        kept = (moment >= F.lit(window.start)) & (moment < F.lit(window.end))

    def inside(value: Any) -> Any:
        return F.when(kept, value)

    framed = framed.withColumn(NATIVE, native)
    native = F.col(NATIVE)
    return framed.select(
        inside(key).alias("key"),
        F.lit(0).cast("long").alias("record"),
        _order().alias("order"),
        F.when(~kept, F.lit(OUTSIDE)).alias("problem"),
        "file",
        "line",
        F.lit(1).cast("long").alias("size"),
        F.lit(1).cast("long").alias("first"),
        inside(prediction).alias(predicted),
        *(inside(F.get(inputs, i)).alias(name) for i, name in enumerate(features)),
        native.alias(NATIVE),
        "index",
        F.when(~native, text).alias("text"),
        F.when(~native, F.col("raw")).alias("raw"),
    )


def native_labels(lines: Any, *, label: str) -> Any:
    """Ground-truth lines (none blank) → one row per label (as :func:`native_captures`)."""
    from pyspark.sql import functions as F

    text = F.col("text")
    framed, matched, (record, _, event_id) = _with_groups(lines, _TRUTH, _TRUTH_GROUPS)
    native = matched & F.coalesce(
        (F.length(event_id) > 0) & _has_text(record),
        F.lit(False),
    )
    framed = framed.withColumn(NATIVE, native)
    decoded = F.col(NATIVE)
    labels = F.when(decoded, F.split(record, ",", -1)).otherwise(F.array(F.lit(None)))
    exploded = framed.select(
        "*",
        event_id.alias("__key"),
        F.posexplode(labels).alias("__position", "__label"),
    )
    return exploded.select(
        F.when(decoded, F.col("__key")).alias("key"),
        F.col("__position").cast("long").alias("record"),
        (_order() + F.col("__position")).alias("order"),
        F.lit(None).cast("string").alias("problem"),
        "file",
        "line",
        F.lit(1).cast("long").alias("size"),
        F.lit(1).cast("long").alias("first"),
        F.when(decoded, F.col("__label").cast("string")).alias(label),
        decoded.alias(NATIVE),
        "index",
        F.when(~decoded, text).alias("text"),
        F.when(~decoded, F.col("raw")).alias("raw"),
    )


def fallback_lines(parsed: Any) -> Any:
    """The lines :func:`native_captures` or :func:`native_labels` left to the Python decoder."""
    from pyspark.sql import functions as F

    return parsed.where(~F.col(NATIVE)).select(*LINES.names)
