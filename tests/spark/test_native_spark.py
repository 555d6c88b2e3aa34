"""Spark's own decoding (:mod:`biaswatch.spark.native`) against the Python decoder, line by line.

Every line is given to both: where Spark decodes a line, its rows must be exactly the Python
decoder's; the lines of the common shape must be decoded by Spark (else the fast path would be
dead code that always agrees). The corpus holds the shapes the checks are there for: trailing
text, numbers where strings belong, duplicated or re-cased keys, escapes, base64 that Spark
alone would accept, scores Python reads otherwise; hypothesis adds mutations of a usual line.
"""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.capture_data import WINDOW, T

from biaswatch.capture import Window
from biaswatch.records import DecodingOptions
from biaswatch.spark.decoding import (
    LINES,
    capture_schema,
    decode_captures,
    decode_ground_truth,
    truth_schema,
)
from biaswatch.spark.native import NATIVE, native_captures, native_labels

pytestmark = pytest.mark.xdist_group("spark")

FEATURES = ["a", "b", "c"]
SCHEMA = capture_schema(FEATURES, "predicted_label")
LABELS = truth_schema("label")
CUT = Window.from_offsets(T, "-PT1H", "-PT0H", cut_at_inference_time=True)
INSIDE = (T - timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
LATER = (T + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ")


def document(**changes: Any) -> dict[str, Any]:
    """A usual capture record, with ``changes`` at dotted paths (None removes a field)."""
    found: dict[str, Any] = {
        "captureData": {
            "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT",
                              "data": "1,25,x", "encoding": "CSV"},
            "endpointOutput": {"observedContentType": "text/csv; charset=utf-8",
                               "mode": "OUTPUT", "data": "0.9\n", "encoding": "CSV"},
        },
        "eventMetadata": {"eventId": "e-1", "inferenceId": "1", "inferenceTime": INSIDE},
        "eventVersion": "0",
    }  # fmt: skip
    for path, value in changes.items():
        *parents, leaf = path.split(".")
        target = found
        for parent in parents:
            target = target[parent]
        if value is None:
            target.pop(leaf, None)
        else:
            target[leaf] = value
    return found


def line(**changes: Any) -> str:
    changed = document(**{k.replace("__", "."): v for k, v in changes.items()})
    return json.dumps(changed, ensure_ascii=False)


def base64_input(data: str, **changes: Any) -> str:
    """A usual line whose input is ``data``, encoded BASE64."""
    return line(
        captureData__endpointInput__data=data, captureData__endpointInput__encoding="BASE64",
        **changes,
    )  # fmt: skip


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


USUAL = [
    line(),
    json.dumps(document(), separators=(",", ":")),
    line(eventMetadata__inferenceId=None),
    line(eventMetadata__inferenceId="é-ü"),
    line(captureData__endpointOutput__data="0.2"),
    line(captureData__endpointOutput__data="5e-1\r\n"),
    line(captureData__endpointInput__data="1,25,x\n"),
    base64_input(b64("1,25,y")),
    line(captureData__endpointOutput__data=b64("0.7"),
         captureData__endpointOutput__encoding="BASE64"),
    line(eventMetadata__inferenceTime="2026-11-24T09:30:00.123456+02:00"),
    line(eventMetadata__inferenceTime=LATER),
    line(eventMetadata__inferenceTime="2026-11-24T09:00:00Z"),  # the window's start: inside
    line(eventMetadata__inferenceTime="2026-11-24T10:00:00Z"),  # its end: outside
    line(eventMetadata__inferenceTime="2026-11-24T09:59:59.5-01:00"),  # 10:59:59.5: outside
    line(eventMetadata__inferenceTime="2026-11-24T09:59:59.9999Z"),
    json.dumps(document()) + "\r",
    line(eventMetadata__customAttributes="c=1"),
    line(captureData__endpointInput__observedContentType="TEXT/CSV"),
    line(captureData__endpointInput__observedContentType="text/plain"),
    base64_input("MSwyNSx4"),
    line(captureData__endpointOutput__data="+.5"),
    line(captureData__endpointOutput__data="5."),
    line().replace(", ", " , "),
]  # fmt: skip

ODD = [
    line(captureData__endpointInput__observedContentType=None),
    line(captureData__endpointInput__observedContentType=5),
    json.dumps(document(), sort_keys=True),
    "not json",
    '{"captureData": ',
    line() + " trailing",
    line() + line(),
    line().replace('"e-1"', "'e-1'"),
    line(eventMetadata__eventId=7),
    line(eventMetadata__eventId=""),
    line(eventMetadata__eventId={"id": "e-1"}),
    line(eventMetadata__inferenceId=True),
    line(eventMetadata__inferenceId=1.5),
    line(eventMetadata__inferenceId=1e2),
    line(eventMetadata__inferenceTime=1764000000),
    line(eventMetadata__inferenceTime="2026-02-30T09:30:00Z"),
    line(eventMetadata__inferenceTime="2026-11-24 09:30:00"),
    line(eventMetadata__inferenceTime="2026-11-24T09:30:00.1234567Z"),
    line(eventMetadata__inferenceTime="0001-01-01T00:00:00Z"),
    line(eventMetadata__eventId=None),
    line(eventMetadata=None),
    line(captureData=None),
    line(captureData="text"),
    line(captureData__endpointInput__data=None),
    line(captureData__endpointInput__data=5),
    line(captureData__endpointOutput__data=0.9),
    line(captureData__endpointInput__encoding=None),
    line(captureData__endpointInput__encoding="JSON"),
    line(captureData__endpointInput__encoding="csv"),
    line(captureData__endpointInput__data="1,25"),
    line(captureData__endpointInput__data="1,25,x,4"),
    line(captureData__endpointInput__data='"1",25,x'),
    line(captureData__endpointInput__data="1,25,x\n2,30,y"),
    line(captureData__endpointInput__data="\n1,25,x"),
    line(captureData__endpointInput__data="1,25,x\u2028"),
    line(captureData__endpointInput__data="1,\\25,x"),
    line(captureData__endpointInput__data=""),
    line(captureData__endpointInput__data="   "),
    line(captureData__endpointInput__observedContentType="application/json"),
    line(captureData__endpointInput__observedContentType="application/jsonlines"),
    line(captureData__endpointInput__observedContentType="text/çsv"),
    base64_input("MSwy NSx4"),
    base64_input("MSwyNSx"),
    base64_input("/w=="),
    base64_input("MSwyNSx4", captureData__endpointInput__observedContentType="image/png"),
    line(captureData__endpointOutput__data="high"),
    line(captureData__endpointOutput__data="nan"),
    line(captureData__endpointOutput__data="inf"),
    line(captureData__endpointOutput__data="1e400"),
    line(captureData__endpointOutput__data=" 0.9"),
    line(captureData__endpointOutput__data="1_0"),
    line(captureData__endpointOutput__data="0x1"),
    line(captureData__endpointOutput__data="1.0d"),
    line(captureData__endpointOutput__data="0.9,1"),
    line(captureData__endpointOutput__data="1,0.9"),
    line(captureData__endpointOutput__data="0.9\n0.1"),
    line(captureData__endpointOutput__data=""),
    line().replace('"eventId"', '"EventId"'),
    line().replace('"inferenceId": "1"', '"inferenceId": "1", "InferenceId": "2"'),
    line().replace('"eventVersion"', '"eventId": "e-2", "eventVersion"'),
    line().replace('"mode": "INPUT"', '"mode": "INPUT", "data": "9,9,9"'),
    line().replace('"eventVersion": "0"', '"eventVersion": ["0"]'),
    line().replace('"eventVersion": "0"', '"eventVersion": {"a": {"b": {"c": 1}}}'),
    line().replace("1,25,x", "1,25,x\\u0041"),
    line().replace("1,25,x", "1,25,x\\\\"),
    line().replace("1,25,x", "1,25,x\\\""),
    line().replace("1,25,x", "1,25,\tx"),
    line().replace(": ", ":\t"),
    line().replace('"eventVersion": "0"', '"eventVersion": 01'),
    line().replace('"eventVersion": "0"', '"eventVersion": NaN'),
    line().replace('"eventVersion": "0"', '"eventVersion": s'),
    line().replace("{", "{'x': 1, ", 1),
    "[" + line() + "]",
    line()[:-1],
    line() + "}",
]  # fmt: skip

OPTIONS = {
    "score": DecodingOptions(),
    "score column": DecodingOptions(probability_attribute="1", probability_threshold=0.8),
    "label column": DecodingOptions(inference_attribute="0"),
    "JMESPath": DecodingOptions(probability_attribute="score"),
}


def where(n: int) -> tuple[str, int]:
    """The (file, line) the ``n``-th text is given as (two files, lines numbered from 1)."""
    return f"file-{n % 2}", n + 1


def lines_batch(texts: list[str | bytes]) -> pa.RecordBatch:
    """The texts as ``read_lines`` gives lines (the ``n``-th at ``where(n)``; bytes as ``raw``)."""
    return pa.RecordBatch.from_pylist(
        [
            {"index": 1 - n % 2, "file": where(n)[0], "line": where(n)[1],
             "text": t if isinstance(t, str) else None, "raw": t if isinstance(t, bytes) else None}
            for n, t in enumerate(texts)
        ],
        schema=LINES,
    )  # fmt: skip


def lines_frame(spark: Any, texts: list[str | bytes]) -> Any:
    rows = [tuple(row.values()) for row in lines_batch(texts).to_pylist()]
    return spark.createDataFrame(
        rows, "index long, file string, line long, text string, raw binary"
    )


Place = tuple[str, int]
Rows = dict[Place, list[dict[str, Any]]]


def python_rows(texts: list[str | bytes], decode: Any) -> Rows:
    """Each line's rows from the Python decoder, by (file, line)."""
    batch = lines_batch(texts)
    found: Rows = {}
    for out in decode(iter([batch])):
        for row in out.to_pylist():
            found.setdefault((row["file"], row["line"]), []).append(row)
    return found


def native_rows(frame: Any, schema: pa.Schema) -> tuple[Rows, set[Place]]:
    """The rows Spark decoded, by (file, line), and the lines it left to Python."""
    found: Rows = {}
    left: set[Place] = set()
    for row in frame.collect():
        place = (row["file"], row["line"])
        if row[NATIVE]:
            found.setdefault(place, []).append({name: row[name] for name in schema.names})
        else:
            left.add(place)
    return found, left


def check_captures(
    spark: Any, texts: list[str | bytes], options: DecodingOptions, window: Window
) -> tuple[set[Place], set[Place]]:
    """Compare both decoders; the (file, line)s Spark decoded, and those it left."""
    native = native_captures(
        lines_frame(spark, texts), options=options, window=window, features=FEATURES,
        predicted="predicted_label",
    )  # fmt: skip
    decoded, left = native_rows(native, SCHEMA)
    expected = python_rows(
        texts, lambda b: decode_captures(b, options=options, window=window, schema=SCHEMA)
    )
    for place, rows in decoded.items():
        assert rows == expected[place], texts[place[1] - 1]
    return set(decoded), left


@pytest.mark.parametrize("window", [WINDOW, CUT], ids=["hours", "cut"])
@pytest.mark.parametrize("options", list(OPTIONS.values()), ids=list(OPTIONS))
def test_spark_decodes_usual_lines_as_python_does(
    spark: Any, options: DecodingOptions, window: Window
) -> None:
    texts: list[str | bytes] = [*USUAL, *ODD, b'{"a": "\xff"}', line().encode() + b"\xff"]
    decoded, left = check_captures(spark, texts, options, window)
    usual = {where(n) for n in range(len(USUAL))}
    if options.probability_attribute == "score":
        assert not decoded  # a JMESPath output: every line is Python's
        return
    if options.probability_attribute == "1":  # no second field in the usual lines' "0.9"
        assert not decoded & usual
        return
    assert usual <= decoded  # every usual line by Spark
    if options.inference_attribute is None:  # (scores not read: odd scores are plain labels)
        assert left == {where(n) for n in range(len(USUAL), len(texts))}


def test_a_score_column_and_a_label_column(spark: Any) -> None:
    texts: list[str | bytes] = [
        line(captureData__endpointOutput__data="1,0.9"),
        line(captureData__endpointOutput__data="0,0.5"),
        line(captureData__endpointOutput__data="yes,0.81\n"),
        line(captureData__endpointOutput__data="1"),
        line(captureData__endpointOutput__data="1,high"),
    ]
    decoded, _ = check_captures(spark, texts, OPTIONS["score column"], WINDOW)
    assert decoded == {where(n) for n in range(3)}
    decoded, _ = check_captures(spark, texts, OPTIONS["label column"], WINDOW)
    assert decoded == {where(n) for n in range(5)}


_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)


@st.composite
def mutated(draw: Any) -> str:
    """A usual line with one part changed: a value, its type, or a piece of its text."""
    text = line()
    choice = draw(st.integers(0, 3))
    if choice == 0:
        path = draw(st.sampled_from([
            "eventMetadata__eventId", "eventMetadata__inferenceId",
            "eventMetadata__inferenceTime", "captureData__endpointInput__data",
            "captureData__endpointOutput__data", "captureData__endpointInput__encoding",
            "captureData__endpointOutput__observedContentType",
        ]))  # fmt: skip
        value = draw(st.one_of(
            _TEXT, st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.booleans(),
            st.lists(st.integers(), max_size=2),
            st.from_regex(r"[0-9, .\-+eE\n]{0,10}", fullmatch=True),
        ))  # fmt: skip
        return line(**{path: value})
    start = draw(st.integers(0, len(text)))
    end = draw(st.integers(start, min(len(text), start + 4)))
    piece: str = draw(st.sampled_from(['"', "\\", "{", "}", ",", ":", " ", "1", "\\n", "", "x"]))
    return text[:start] + piece + text[end:]


@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(mutated(), min_size=40, max_size=40))
def test_mutated_lines_decode_alike(spark: Any, texts: list[str]) -> None:
    for options in (OPTIONS["score"], OPTIONS["label column"]):
        check_captures(spark, list(texts), options, CUT)


def truth(event_id: Any = "1", data: Any = "1", encoding: Any = "CSV", **extra: Any) -> str:
    found: dict[str, Any] = {
        "groundTruthData": {"data": data, "encoding": encoding},
        "eventMetadata": {"eventId": event_id},
        "eventVersion": "0",
    }
    if encoding is None:
        del found["groundTruthData"]["encoding"]
    found.update(extra)
    return json.dumps(found, ensure_ascii=False)


def test_spark_decodes_plain_labels_as_python_does(spark: Any) -> None:
    usual = [truth(), truth(data="0\n"), truth(data="1,0"), truth(encoding=None), truth("é")]
    odd = [
        truth(data=1),
        truth(event_id=5),
        truth(event_id=""),
        truth(encoding="JSON", data="{}"),
        truth(encoding="csv"),
        truth(data='"1"'),
        truth(data="1\n0"),
        truth(data=""),
        truth(data=" "),
        truth() + " x",
        truth().replace('"CSV"', "null"),
        truth().replace('"eventVersion"', '"EventId": "2", "eventVersion"'),
        truth(extra={"data": "5"}),
        "{}",
        "oops",
    ]
    texts: list[str | bytes] = [*usual, *odd]
    options = DecodingOptions(label_attribute="y")
    frame = native_labels(lines_frame(spark, texts), label="label")
    decoded, left = native_rows(frame, LABELS)
    expected = python_rows(texts, lambda b: decode_ground_truth(b, options=options, schema=LABELS))
    for place, rows in decoded.items():
        assert rows == expected[place], texts[place[1] - 1]
    assert set(decoded) == {where(n) for n in range(len(usual))}
    assert left == {where(n) for n in range(len(usual), len(texts))}
