"""Every command's help, as a new user reads it at 80 columns.

Each command and group says what it does, each option and argument has a help text, no flag
shows a ``<bool>`` metavar, no line is wider than the terminal, the top-level help says where
data lives and which environment variables matter, and ``demo --help`` names an extra that
pyproject.toml defines.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from typing import Any

import pytest
import typer
from tests.conftest import REPO, run_cli

from biaswatch.cli import app


def _tree(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every command of the tree with its path, groups included (the root is ``()``)."""
    yield path, command
    for name, sub in sorted((getattr(command, "commands", None) or {}).items()):
        yield from _tree(sub, (*path, name))


TREE = list(_tree(typer.main.get_command(app)))


@pytest.fixture(autouse=True)
def columns_80(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")


def _help(path: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    assert run_cli([*path, "--help"]) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize(
    ("path", "command"), TREE, ids=[" ".join(p) or "biaswatch" for p, _ in TREE]
)
def test_every_command_and_parameter_says_what_it_does(
    path: tuple[str, ...], command: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (command.help or "").strip(), f"{' '.join(path)} has no help"
    for parameter in command.params:
        assert (getattr(parameter, "help", None) or "").strip(), (
            f"{' '.join(path) or 'biaswatch'}: {parameter.opts or parameter.name} has no help"
        )
    text = _help(path, capsys)
    assert "<bool>" not in text
    too_wide = [line for line in text.splitlines() if len(line) > 80]
    assert too_wide == []


def test_the_top_level_help_says_where_data_lives_and_which_variables_matter(
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = _help((), capsys)
    assert "BIASWATCH_HOME" in text
    assert "~/.biaswatch" in text
    assert "BIASWATCH_DATABASE_URL" in text
    # Every setting the README lists is named.
    readme = (REPO / "README.md").read_text()
    paragraph = readme[readme.index("Settings (environment):") :].split("\n\n", 1)[0]
    settings = set(re.findall(r"BIASWATCH_[A-Z0-9_]+", paragraph))
    assert {"BIASWATCH_HOME", "BIASWATCH_DATABASE_URL"} <= settings
    assert {name for name in settings if name not in text} == set()
    assert "3 CompletedWithViolations" in text  # and the exit codes


def test_demo_help_names_the_extra_that_installs_what_it_needs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    named = re.findall(r"pip install 'biaswatch\[([a-z0-9-]+)\]'", _help(("demo",), capsys))
    assert named == ["demo"]
    # The demo serves a FastAPI model (extra server) and trains it with scikit-learn (extra ft).
    assert "biaswatch[server,ft]" in extras["demo"]
    assert re.findall(r"'biaswatch\[([a-z0-9-]+)\]'", _help(("server",), capsys)) == ["server"]
    assert "server" in extras


def test_every_listing_offers_json(capsys: pytest.CaptureFixture[str]) -> None:
    listings = [path for path, _ in TREE if path and path[-1] in ("list", "attempts", "describe")]
    assert len(listings) == 6
    for path in listings:
        assert "--json" in _help(path, capsys), " ".join(path)
