"""The README's exit codes, command by command: 2 for every usage or configuration error.

Every command of the tree answers ``--help`` with 0 and an unknown option with 2. Then each
command's own configuration errors — a file named on the command line that is missing, a config
that does not fit its dataset, an unknown schedule, a port out of range or in use — exit 2 with
a message on stderr, while a real data failure exits 1.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from tests.conftest import GOLDEN, run_cli

from biaswatch.cli import app

CASE = GOLDEN / "case-000"


def _commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    subcommands = getattr(command, "commands", None)  # a group (typer bundles its own click)
    if subcommands:
        for name, sub in sorted(subcommands.items()):
            yield from _commands(sub, (*path, name))
    else:
        yield path


COMMANDS = list(_commands(typer.main.get_command(app)))


def test_the_tree_is_what_the_readme_lists() -> None:
    assert {" ".join(c) for c in COMMANDS} == {
        "analyze",
        "backfill",
        "baseline",
        "demo",
        "endpoints list",
        "endpoints register",
        "executions attempts",
        "executions describe",
        "executions list",
        "executions notifications",
        "executions run",
        "executions stop",
        "ground-truth upload",
        "scheduler",
        "schedules create",
        "schedules delete",
        "schedules describe",
        "schedules list",
        "schedules live-episodes",
        "schedules start",
        "schedules stop",
        "schedules test-notify",
        "schedules update",
        "server",
    }


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_exits_0_and_an_unknown_option_exits_2(
    command: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli([*command, "--help"]) == 0
    capsys.readouterr()
    assert run_cli([*command, "--no-such-option"]) == 2
    assert "No such option" in capsys.readouterr().err


def _config(tmp_path: Path, **changes: object) -> str:
    config = json.loads((CASE / "analysis_config.json").read_text()) | changes
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    return str(path)


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield int(taken.getsockname()[1])


def _dataset() -> str:
    return str(CASE / "dataset.csv")


CONFIG_ERRORS: dict[str, Callable[[Path, int], tuple[list[str], str]]] = {
    "analyze: a column typo": lambda t, _: (
        ["analyze", "--analysis-config", _config(t, label="labl"), "--dataset", _dataset(),
         "--output-dir", str(t / "out")],
        "label = 'labl': no such column",
    ),
    "analyze: a label value absent from the data": lambda t, _: (
        ["analyze", "--analysis-config", _config(t, label_values_or_threshold=[7]),
         "--dataset", _dataset(), "--output-dir", str(t / "out")],
        "no row of label column 'label' is positive",
    ),
    "analyze: a facet value absent from the data": lambda t, _: (
        ["analyze", "--analysis-config",
         _config(t, facet=[{"name_or_index": "sex", "value_or_threshold": ["X"]}]),
         "--dataset", _dataset(), "--output-dir", str(t / "out")],
        "no row of facet column 'sex'",
    ),
    "analyze: a missing dataset": lambda t, _: (
        ["analyze", "--analysis-config", _config(t), "--dataset", str(t / "none.csv"),
         "--output-dir", str(t / "out")],
        "Invalid value for '--dataset'",
    ),
    "analyze: a config that is not JSON": lambda t, _: (
        ["analyze", "--analysis-config", _dataset(), "--dataset", _dataset(),
         "--output-dir", str(t / "out")],
        "not valid JSON",
    ),
    "baseline: a missing dataset": lambda t, _: (
        ["baseline", "--dataset", str(t / "none.csv"), "--analysis-config", _config(t),
         "--output-uri", str(t / "b")],
        "does not exist",
    ),
    "baseline: a column typo": lambda t, _: (
        ["baseline", "--dataset", _dataset(), "--analysis-config", _config(t, label="labl"),
         "--output-uri", str(t / "b")],
        "label = 'labl': no such column",
    ),
    "endpoints register: a bad name": lambda t, _: (
        ["endpoints", "register", "no spaces", "--capture-uri", str(t)],
        "is not a valid name",
    ),
    "schedules create: no analysis config": lambda t, _: (
        ["schedules", "create", "s", "--endpoint", "e", "--ground-truth-uri", str(t),
         "--output-uri", str(t)],
        "analysis_config is mandatory",
    ),
    "schedules create: a malformed --facet-value-label": lambda t, _: (
        ["schedules", "create", "s", "--endpoint", "e", "--ground-truth-uri", str(t),
         "--facet-value-label", "female"],
        "--facet-value-label 'female' is not VALUE=NAME",
    ),
    "schedules describe: unknown": lambda t, _: (
        ["schedules", "describe", "nope"], "no monitoring schedule called 'nope'"),
    "schedules start: unknown": lambda t, _: (
        ["schedules", "start", "nope"], "no monitoring schedule called 'nope'"),
    "schedules stop: unknown": lambda t, _: (
        ["schedules", "stop", "nope"], "no monitoring schedule called 'nope'"),
    "schedules delete: unknown": lambda t, _: (
        ["schedules", "delete", "nope"], "no monitoring schedule called 'nope'"),
    "schedules live-episodes: unknown": lambda t, _: (
        ["schedules", "live-episodes", "nope"], "no monitoring schedule called 'nope'"),
    "executions list: unknown schedule": lambda t, _: (
        ["executions", "list", "--schedule", "nope"], "no monitoring schedule called 'nope'"),
    "executions run: unknown schedule": lambda t, _: (
        ["executions", "run", "--schedule", "nope", "--scheduled-time", "2026-11-24T10:00Z"],
        "no monitoring schedule called 'nope'",
    ),
    "backfill: unknown schedule": lambda t, _: (
        ["backfill", "--schedule", "nope", "--start", "2026-11-24T10:00Z",
         "--end", "2026-11-24T12:00Z"],
        "no monitoring schedule called 'nope'",
    ),
    "scheduler: a port out of range": lambda t, _: (
        ["scheduler", "--metrics-port", "70000"], "Invalid value for '--metrics-port'"),
    "scheduler: a port in use": lambda t, port: (
        ["scheduler", "--metrics-port", str(port)], "Address already in use"),
    "scheduler: no workers": lambda t, _: (
        ["scheduler", "--workers", "0"], "Invalid value for '--workers'"),
    "server: a port out of range": lambda t, _: (
        ["server", "--port", "70000"], "Invalid value for '--port'"),
    "server: a port in use": lambda t, port: (
        ["server", "--port", str(port)], "Address already in use"),
    "ground-truth upload: a missing file": lambda t, _: (
        ["ground-truth", "upload", "--ground-truth-uri", str(t), "--labels", str(t / "x.csv")],
        "Invalid value for '--labels'",
    ),
    "ground-truth upload: an unknown column": lambda t, _: (
        ["ground-truth", "upload", "--ground-truth-uri", str(t), "--labels", _dataset()],
        "no column 'inference_id' (--id-column)",
    ),
    "demo: a folder that is not empty": lambda t, _: (
        ["demo", "--folder", str(CASE.parent)], "needs a new or empty folder"),
    "demo: a dashboard port in use": lambda t, port: (
        ["demo", "--serve", "--port", str(port), "--folder", str(t / "demo")],
        "Address already in use",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", CONFIG_ERRORS, ids=list(CONFIG_ERRORS))
def test_configuration_errors_exit_2_with_the_reason(
    case: str, tmp_path: Path, busy_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments, message = CONFIG_ERRORS[case](tmp_path, busy_port)
    assert run_cli(arguments) == 2
    assert message in " ".join(capsys.readouterr().err.split())


def test_a_data_failure_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = (CASE / "dataset.csv").read_text().splitlines()
    broken = tmp_path / "broken.csv"
    broken.write_text("\n".join([*lines[:3], "1,2", *lines[3:]]) + "\n")
    arguments = ["analyze", "--analysis-config", _config(tmp_path), "--dataset", str(broken)]
    assert run_cli([*arguments, "--output-dir", str(tmp_path / "out")]) == 1
    assert "line 4: expected 9 fields, got 2" in capsys.readouterr().err


def test_a_config_error_ends_the_process_cleanly_every_time(tmp_path: Path) -> None:
    """As a process: exit 2, the reason, and no abort from a native thread at exit."""
    config = _config(tmp_path, label="labl")
    for _ in range(5):
        done = subprocess.run(
            [sys.executable, "-m", "biaswatch", "analyze", "--analysis-config", config,
             "--dataset", _dataset(), "--output-dir", str(tmp_path / "out")],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert done.returncode == 2, done.stderr
        assert done.stderr.strip() == (
            "error: label = 'labl': no such column; columns are 'x1', 'x2', 'x3', 'age',"
            " 'sex', 'race', 'group', 'label', 'prediction'"
        )
