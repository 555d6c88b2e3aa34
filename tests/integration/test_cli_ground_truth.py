"""``biaswatch ground-truth upload``."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.conftest import run_cli

from biaswatch.capture import parse_ground_truth_line
from biaswatch.storage import list_files, read_bytes


def test_upload_a_csv_of_labels(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    labels = tmp_path / "labels.csv"
    labels.write_text("inference_id,label\n1,0\n2,1\n")
    root = str(tmp_path / "truth")
    code = run_cli(
        [
            "ground-truth",
            "upload",
            "--ground-truth-uri",
            root,
            "--labels",
            str(labels),
            "--collected-at",
            "2026-11-24T10:15:00Z",
        ]
    )
    assert code == 0
    [uri] = list_files(f"{root}/2026/11/24/10")
    records = [parse_ground_truth_line(line) for line in read_bytes(uri).splitlines()]
    assert [(r.event_id, r.data, r.encoding) for r in records] == [
        ("1", "0", "CSV"),
        ("2", "1", "CSV"),
    ]
    assert f"Uploaded 2 labels to {uri}" in capsys.readouterr().out


def test_upload_twice_keeps_both_files(tmp_path: Path) -> None:
    labels = tmp_path / "labels.csv"
    labels.write_text("id,y\na,1\n")
    args = [
        "ground-truth",
        "upload",
        "--ground-truth-uri",
        str(tmp_path / "t"),
        "--labels",
        str(labels),
        "--id-column",
        "id",
        "--label-column",
        "y",
        "--collected-at",
        "2026-11-24T10:00:00Z",
    ]
    assert run_cli(args) == 0
    assert run_cli(args) == 0
    assert len(list_files(str(tmp_path / "t/2026/11/24/10"))) == 2


def test_upload_json_lines_is_validated(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    labels = tmp_path / "labels.jsonl"
    good = '{"groundTruthData": {"data": "1"}, "eventMetadata": {"eventId": "x"}}'
    labels.write_text(good + '\n{"eventMetadata": {}}\n')
    code = run_cli(
        [
            "ground-truth",
            "upload",
            "--ground-truth-uri",
            str(tmp_path / "t"),
            "--labels",
            str(labels),
        ]
    )
    assert code == 1
    assert "line 2: groundTruthData.data is missing" in capsys.readouterr().err
    assert not (tmp_path / "t").exists()


def test_unknown_csv_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    labels = tmp_path / "labels.csv"
    labels.write_text("id,label\n1,0\n")
    assert (
        run_cli(
            [
                "ground-truth",
                "upload",
                "--ground-truth-uri",
                str(tmp_path / "t"),
                "--labels",
                str(labels),
            ]
        )
        == 2
    )
    assert "no column 'inference_id' (--id-column)" in capsys.readouterr().err
