"""``biaswatch analyze`` end to end: the files it writes and what it prints."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from tests.conftest import run_cli

from biaswatch import __version__
from biaswatch.examples import example_path


def test_analyze_writes_analysis_and_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = example_path("adult")
    out = tmp_path / "nested" / "out"
    code = run_cli(
        [
            "analyze",
            *("--analysis-config", str(folder / "analysis_config.json")),
            *("--dataset", str(folder / "validation.jsonl")),
            *("--output-dir", str(out)),
        ]
    )
    assert code == 0
    document = json.loads((out / "analysis.json").read_text())
    assert list(document) == ["version", "post_training_bias_metrics", "pre_training_bias_metrics"]
    report = (out / "report.html").read_text()
    assert report.startswith("<!DOCTYPE html>")
    assert "<svg" in report
    printed = capsys.readouterr().out
    assert "Analysed 666 rows" in printed
    assert str(out / "report.html") in printed
    assert sorted(p.name for p in out.iterdir()) == ["analysis.json", "report.html"]
    mode = stat.S_IMODE((out / "analysis.json").stat().st_mode)
    assert mode & stat.S_IRGRP, "written files get the usual permissions, not mkstemp's 0600"


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"biaswatch {__version__}"


def test_usage_error_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "x.csv").write_text("a,b\n1,2\n")
    assert run_cli(["analyze", "--dataset", str(tmp_path / "x.csv")]) == 2
    assert "--analysis-config" in capsys.readouterr().err


def test_an_output_dir_that_cannot_be_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    folder = example_path("adult")
    code = run_cli(
        [
            "analyze",
            *("--analysis-config", str(folder / "analysis_config.json")),
            *("--dataset", str(folder / "validation.jsonl")),
            *("--output-dir", str(blocker / "out")),
        ]
    )
    assert code == 1
    assert "cannot write" in capsys.readouterr().err
    assert blocker.read_text() == "not a folder"
