"""The embedded engine gives exactly what the usual reader gives, or declines the window.

Every window here runs twice: as executions run it (DuckDB counts a window of the common
shape) and with the embedded engine switched off (the usual reader decodes every record). The
files written — ``analysis.json``, ``constraint_violations.json``, the report's figures and
``diagnostics.json`` but its timings — must be equal, byte for byte. Windows of the common
shape must be counted by DuckDB; windows with anything unusual must be declined (and then, by
construction, equal).
"""

from __future__ import annotations

import json
import random
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.capture_data import T, capture, write_capture, write_truth

import biaswatch.jobs.execution as execution
from biaswatch.capture import GroundTruthRecord
from biaswatch.capture.endpoint import CaptureRecord, Encoding, Payload
from biaswatch.config.monitor import EndpointInputDefinition, MonitoringJobDefinition
from biaswatch.embedded import CountedWindow, count_endpoint_window
from biaswatch.jobs.attempt import window_of
from biaswatch.jobs.execution import run_execution

HEADERS = ["sex", "age", "x", "label"]
METHODS = ["DPPL", "DI", "DCA", "DCR", "RD", "DAR", "DRR", "AD", "TE", "CDDPL", "SD", "GE"]


def definition(base: Path, **changes: Any) -> MonitoringJobDefinition:
    fields: dict[str, Any] = {
        "schedule_name": "bias",
        "endpoint_input": EndpointInputDefinition(
            endpoint_name="ep", capture_uri=str(base / "capture"), probability_attribute="0"
        ),
        "ground_truth_uri": str(base / "truth"),
        "output_uri": str(base / "reports"),
        "analysis_config": {
            "headers": HEADERS,
            "label": "label",
            "label_values_or_threshold": [1],
            "facet": [{"name_or_index": "sex", "value_or_threshold": [0]}],
            "group_variable": "age",
            "methods": {
                "pre_training_bias": {"methods": "all"},
                "post_training_bias": {"methods": METHODS},
            },
        },
    }
    return MonitoringJobDefinition(**(fields | changes))


def outputs(base: Path, chosen: MonitoringJobDefinition, *, embedded: bool) -> dict[str, Any]:
    """The files an execution writes (diagnostics without timings), and how it ended."""
    folder = base / f"{'embedded' if embedded else 'rows'}-{uuid.uuid4().hex[:8]}"
    outcome = run_execution(chosen.model_copy(update={"output_uri": str(folder)}), T)
    found: dict[str, Any] = {"status": outcome.status, "reason": outcome.failure_reason}
    for path in sorted(folder.rglob("*.json")):
        document = json.loads(path.read_text())
        document.pop("timings", None)
        found[path.name] = document
    return found


class Recorder:
    """The embedded engine, recording whether it counted or declined each window."""

    def __init__(self) -> None:
        self.counted: list[bool] = []

    def __call__(self, **arguments: Any) -> CountedWindow | None:
        result = count_endpoint_window(**arguments)
        self.counted.append(result is not None)
        return result


def compare(base: Path, chosen: MonitoringJobDefinition, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Run both ways, assert equal files; whether DuckDB counted the window."""
    recorder = Recorder()
    with monkeypatch.context() as patch:
        patch.setattr(execution, "count_endpoint_window", recorder)
        fast = outputs(base, chosen, embedded=True)
    with monkeypatch.context() as patch:
        patch.setattr(execution, "count_endpoint_window", lambda **_: None)
        usual = outputs(base, chosen, embedded=False)
    assert fast == usual
    return recorder.counted == [True]


def write_window(base: Path, rows: list[tuple[Any, ...]], *, files: int = 1) -> None:
    """Capture ``rows`` (sex, age, x, label, score, key) over ``files`` files, and their labels."""
    per_file = -(-len(rows) // files)
    for index in range(files):
        part = rows[index * per_file : (index + 1) * per_file]
        lines = [capture(key, f"{s},{a},{x}", score).to_line() for s, a, x, _, score, key in part]
        write_capture(str(base / "capture"), lines)
    truth = {key: label for *_, label, _, key in rows if label is not None}
    write_truth(str(base / "truth"), [GroundTruthRecord(str(k), str(v)) for k, v in truth.items()])


def clean_rows(seed: int, n: int) -> list[tuple[Any, ...]]:
    rng = random.Random(seed)
    return [
        (
            rng.choice([0, 1]),
            rng.choice([25, 40, 61]),
            rng.randint(0, 9),
            rng.choice([0, 1]),
            f"{rng.random():.4f}",
            key,
        )
        for key in range(n)
    ]


@pytest.fixture
def base(tmp_path: Path) -> Path:
    return tmp_path / uuid.uuid4().hex


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(12, 80),
    files=st.integers(1, 3),
    unlabelled=st.integers(0, 5),
    repeated=st.booleans(),
    flip_test=st.booleans(),
)
def test_windows_of_the_common_shape_are_counted_alike(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    seed: int,
    n: int,
    files: int,
    unlabelled: int,
    repeated: bool,
    flip_test: bool,
) -> None:
    # With FT: few distinct feature values make FT's neighbours tie, and ties fall by the
    # rows' order, which must be the usual reader's.
    base = tmp_path / uuid.uuid4().hex
    rows = clean_rows(seed, n)
    rows += [(r[0], r[1], r[2], None, r[4], 10_000 + i) for i, r in enumerate(rows[:unlabelled])]
    if repeated:  # the same id captured twice: both rows join its label
        rows.append(rows[0])
    write_window(base, rows, files=files)
    config = definition(base).analysis_config
    if flip_test:
        config = config | {"methods": {"post_training_bias": {"methods": "all"}}}
    chosen = definition(base, analysis_config=config, baseline_constraints_uri=None)
    assert compare(base, chosen, monkeypatch)


def test_a_window_beyond_the_flip_test_sample(base: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """FT runs on a sample of the joined rows; every other metric on all of them."""
    write_window(base, clean_rows(15, 300))
    monkeypatch.setenv("BIASWATCH_FT_SAMPLE", "100")
    config = definition(base).analysis_config | {
        "methods": {"post_training_bias": {"methods": "all"}}
    }
    chosen = definition(base, analysis_config=config)
    found = outputs(base, chosen, embedded=True)
    with monkeypatch.context() as patch:
        patch.setattr(execution, "count_endpoint_window", lambda **_: None)
        usual = outputs(base, chosen, embedded=False)
    assert found["diagnostics.json"]["records"].pop("ft_rows") == 100
    assert usual["diagnostics.json"]["records"].pop("ft_rows") is None  # all of them
    assert found["diagnostics.json"] == usual["diagnostics.json"]

    def metrics(document: dict[str, Any]) -> dict[str, Any]:
        (entry,) = document["post_training_bias_metrics"]["facets"]["sex"]
        return {m["name"]: m["value"] for m in entry["metrics"]}

    sampled, exact = metrics(found["analysis.json"]), metrics(usual["analysis.json"])
    assert isinstance(sampled.pop("FT"), float)
    assert isinstance(exact.pop("FT"), float)
    assert sampled == exact  # every other metric counts all the rows


@pytest.mark.parametrize(
    "changes",
    [
        {"confidence_level": 0.9},
        {"violation_rules": {"rule": "ideal", "min_facet_size": 5}},
    ],
    ids=["intervals", "rules"],
)
def test_options_that_work_on_counts(
    base: Path, monkeypatch: pytest.MonkeyPatch, changes: dict[str, Any]
) -> None:
    write_window(base, clean_rows(3, 120))
    assert compare(base, definition(base, **changes), monkeypatch)


def test_string_facets_a_float_threshold_and_labels_from_the_output(
    base: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(5)
    rows = [
        (rng.choice(["female", "male"]), rng.choice(["young", "old"]), f"{rng.random():.2f}",
         rng.choice([0, 1]), f"{rng.choice([0, 1])},{rng.random():.3f}", key)
        for key in range(60)
    ]  # fmt: skip
    write_window(base, rows)
    config = definition(base).analysis_config | {
        "facet": [
            {"name_or_index": "sex", "value_or_threshold": ["female"]},
            {"name_or_index": "x", "value_or_threshold": [0.5]},
        ]
    }
    labelled = EndpointInputDefinition(
        endpoint_name="ep", capture_uri=str(base / "capture"), inference_attribute="0"
    )
    assert compare(
        base, definition(base, analysis_config=config, endpoint_input=labelled), monkeypatch
    )


def line(record: CaptureRecord) -> bytes:
    return record.to_line()


def raw(document: dict[str, Any]) -> bytes:
    return json.dumps(document).encode() + b"\n"


_EVENT = {"eventId": "e-0", "inferenceId": "0", "inferenceTime": "2026-11-24T09:30:00Z"}


def _invocation(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "captureData": {
            "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT",
                              "data": "0,25,3", "encoding": "CSV"},
            "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT",
                               "data": "0.9", "encoding": "CSV"},
        },
        "eventMetadata": dict(_EVENT),
    }  # fmt: skip
    for path, value in changes.items():
        *parents, leaf = path.split(".")
        target = document
        for parent in parents:
            target = target[parent]
        target[leaf] = value
    return document


UNUSUAL: dict[str, bytes] = {
    "malformed line": b'{"captureData": \n',
    "JSON payload": line(
        capture(0, '{"features": [0, 25, 3]}', "0.9", input_type="application/json")
    ),
    "base64": line(capture(0, "0,25,3", "0.9", encoding=Encoding.BASE64)),
    "two records": line(capture(0, "0,25,3\n1,40,2", "0.9\n0.1")),
    "quoted CSV": line(capture(0, '"0",25,3', "0.9")),
    "wrong width": line(capture(0, "0,25", "0.9")),
    "missing facet": line(capture(0, ",25,3", "0.9")),
    "null marker": line(capture(0, "NA,25,3", "0.9")),
    "spaces": line(capture(0, " 0,25,3", "0.9")),
    "not a score": line(capture(0, "0,25,3", "high")),
    "NaN score": line(capture(0, "0,25,3", "nan")),
    "numeric event id": raw(_invocation(**{"eventMetadata.eventId": 7})),
    "boolean inference id": raw(_invocation(**{"eventMetadata.inferenceId": True})),
    "numeric output": raw(_invocation(**{"captureData.endpointOutput.data": 0.9})),
    "object event id": raw(_invocation(**{"eventMetadata.eventId": {"id": "e-0"}})),
    "numeric inference time": raw(_invocation(**{"eventMetadata.inferenceTime": 1764000000})),
    "no event id": raw(_invocation(**{"eventMetadata.eventId": None})),
    "no encoding": raw(_invocation(**{"captureData.endpointInput.encoding": None})),
    "JSON content type": raw(
        _invocation(**{"captureData.endpointOutput.observedContentType": "application/json"})
    ),
}  # fmt: skip


@pytest.mark.parametrize("odd", list(UNUSUAL), ids=list(UNUSUAL))
def test_an_unusual_record_sends_the_window_the_usual_way(
    base: Path, monkeypatch: pytest.MonkeyPatch, odd: str
) -> None:
    assert not compare(base, _window_with(base, UNUSUAL[odd]), monkeypatch)


def test_the_same_window_with_a_usual_record_is_counted(
    base: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert compare(base, _window_with(base, line(capture(0, "0,25,3", "0.9"))), monkeypatch)


def _window_with(base: Path, record: bytes) -> MonitoringJobDefinition:
    """A window of the common shape and ``record``, with id 0 and a label of its own."""
    write_window(base, clean_rows(7, 40)[1:])
    write_capture(str(base / "capture"), [record])
    write_truth(str(base / "truth"), [GroundTruthRecord("0", "1")], name="b")
    return definition(base)


# Ids and outputs read through JSON's escapes, null or absent ids: counted, as the usual reader
# reads them.
ALIKE: dict[str, bytes] = {
    "escaped inference id": raw(_invocation(**{"eventMetadata.inferenceId": "\u00e9-1"})),
    "escaped quote in an id": raw(_invocation(**{"eventMetadata.inferenceId": 'say "1"'})),
    "null inference id": raw(_invocation(**{"eventMetadata.inferenceId": None})),
    "no inference id": raw(
        {"captureData": _invocation()["captureData"], "eventMetadata": {"eventId": "e-0",
         "inferenceTime": _EVENT["inferenceTime"]}}
    ),
    "empty inference id": raw(_invocation(**{"eventMetadata.inferenceId": ""})),
    "escaped output": raw(_invocation(**{"captureData.endpointOutput.data": "0.9,\u00e9"})),
}  # fmt: skip


@pytest.mark.parametrize("record", list(ALIKE), ids=list(ALIKE))
def test_escaped_null_and_absent_ids_are_counted_alike(
    base: Path, monkeypatch: pytest.MonkeyPatch, record: str
) -> None:
    write_window(base, clean_rows(14, 40))
    write_capture(str(base / "capture"), [ALIKE[record]])
    labels = [GroundTruthRecord(key, "1") for key in ("é-1", 'say "1"', "e-0", "")]
    write_truth(str(base / "truth"), labels, name="b")
    assert compare(base, definition(base), monkeypatch)


@pytest.mark.parametrize(
    "truth",
    [
        [GroundTruthRecord("3", "1")],  # uploaded twice: the latest wins
        [GroundTruthRecord("900", '{"label": 1}', "JSON")],
        [GroundTruthRecord("901", "yes")],  # not a number, where the label values are
        [GroundTruthRecord("902", "2")],  # neither 0 nor 1
        [GroundTruthRecord("903", " 1")],
    ],
    ids=["duplicate", "JSON label", "word", "two", "space"],
)
def test_an_unusual_label_sends_the_window_the_usual_way(
    base: Path, monkeypatch: pytest.MonkeyPatch, truth: list[GroundTruthRecord]
) -> None:
    assert not compare(base, _labelled_late(base, truth), monkeypatch)


def test_the_same_window_with_usual_late_labels_is_counted(
    base: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    late = [GroundTruthRecord(str(key), "1") for key in (900, 901, 902, 903)]
    assert compare(base, _labelled_late(base, late), monkeypatch)


def _labelled_late(base: Path, truth: list[GroundTruthRecord]) -> MonitoringJobDefinition:
    """A window of the common shape with four unlabelled ids (900-903), and ``truth``."""
    rows = clean_rows(8, 40) + [(0, 25, 1, None, "0.7", key) for key in (900, 901, 902, 903)]
    write_window(base, rows)
    write_truth(str(base / "truth"), truth, name="late")
    return definition(base)


@pytest.mark.parametrize(
    "changes",
    [
        {"facet": [{"name_or_index": "sex"}]},  # one-vs-rest: entries in order of appearance
        {"facet": [{"name_or_index": 0, "value_or_threshold": [0]}]},
        {"group_variable": None, "facet": [{"name_or_index": ["sex", "age"]}]},
    ],
    ids=["one-vs-rest", "facet by index", "intersectional"],
)
def test_configurations_the_engine_leaves_to_the_usual_reader(
    base: Path, monkeypatch: pytest.MonkeyPatch, changes: dict[str, Any]
) -> None:
    write_window(base, clean_rows(9, 60))
    config = {k: v for k, v in (definition(base).analysis_config | changes).items() if v}
    assert not compare(base, definition(base, analysis_config=config), monkeypatch)


def test_windows_it_cannot_count(base: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_window(base, clean_rows(10, 30))
    cut = definition(base, cut_at_inference_time=True)
    assert not compare(base, cut, monkeypatch)
    assert not compare(base, definition(base / "nothing-here"), monkeypatch)  # no files
    unlabelled = definition(base, ground_truth_uri=str(base / "no-labels"))
    assert not compare(base, unlabelled, monkeypatch)
    json_features = EndpointInputDefinition(
        endpoint_name="ep", capture_uri=str(base / "capture"), features_attribute="features"
    )
    assert not compare(base, definition(base, endpoint_input=json_features), monkeypatch)


def test_a_payload_with_a_trailing_line_break_is_counted(
    base: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = clean_rows(11, 30)
    lines = [
        CaptureRecord(
            input=Payload("text/csv", "INPUT", f"{s},{a},{x}\n", Encoding.CSV),
            output=Payload("text/csv; charset=utf-8", "OUTPUT", f"{score}\r\n", Encoding.CSV),
            event_id=f"event-{key}",
            inference_id=str(key),
            inference_time=T.replace(hour=9, minute=30),
        ).to_line()
        for s, a, x, _, score, key in rows
    ]
    write_capture(str(base / "capture"), lines)
    write_truth(str(base / "truth"), [GroundTruthRecord(str(r[5]), str(r[3])) for r in rows])
    assert compare(base, definition(base), monkeypatch)


def test_a_whole_output_as_the_score_and_word_labels_that_fail_alike(
    base: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [(s, a, x, "yes" if label else "no", score, key)
            for s, a, x, label, score, key in clean_rows(12, 50)]  # fmt: skip
    write_window(base, rows)
    bare = EndpointInputDefinition(endpoint_name="ep", capture_uri=str(base / "capture"))
    config = definition(base).analysis_config | {"label_values_or_threshold": ["yes"]}
    assert compare(base, definition(base, endpoint_input=bare, analysis_config=config), monkeypatch)


def test_outputs_it_leaves_to_the_usual_reader(base: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_window(base, clean_rows(13, 30))
    jmespath = EndpointInputDefinition(
        endpoint_name="ep", capture_uri=str(base / "capture"), inference_attribute="label"
    )
    assert not compare(base, definition(base, endpoint_input=jmespath), monkeypatch)


def test_labels_for_other_ids(base: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_capture(str(base / "capture"), [capture(1, "0,25,3", "0.9").to_line()])
    write_truth(str(base / "truth"), [GroundTruthRecord("2", "1")])
    assert not compare(base, definition(base), monkeypatch)  # it fails, the usual way


def test_files_elsewhere_than_on_local_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    root = f"memory://embedded-{uuid.uuid4().hex}"
    write_capture(f"{root}/capture", [capture(1, "0,25,3", "0.9").to_line()])
    write_truth(f"{root}/truth", [GroundTruthRecord("1", "1")])
    remote = definition(Path("unused")).model_copy(
        update={
            "endpoint_input": EndpointInputDefinition(
                endpoint_name="ep", capture_uri=f"{root}/capture", probability_attribute="0"
            ),
            "ground_truth_uri": f"{root}/truth",
        }
    )
    layout, options = execution._reading(remote)
    counted = count_endpoint_window(
        capture_uri=f"{root}/capture",
        ground_truth_uri=f"{root}/truth",
        window=window_of(remote, T),
        endpoint="ep",
        variant="AllTraffic",
        options=options,
        layout=layout,
        config=execution._window_config(remote, layout.label, layout.predicted_column()),
    )
    assert counted is None
