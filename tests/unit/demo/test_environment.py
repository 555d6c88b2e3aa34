"""The demo's settings: required extras, and an environment of its own, restored after."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from biaswatch.demo._extras import require_demo_extras
from biaswatch.demo.environment import demo_environment
from biaswatch.errors import ConfigError


def test_the_environment_is_the_demo_folder_and_is_restored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BIASWATCH_CLOUDWATCH", "send")
    monkeypatch.setenv("BIASWATCH_PROMETHEUS_TEXTFILE", "/var/lib/node-exporter/bias.prom")
    monkeypatch.delenv("BIASWATCH_DATABASE_URL", raising=False)
    before = dict(os.environ)
    with demo_environment(tmp_path):
        assert os.environ["BIASWATCH_HOME"] == str(tmp_path)
        assert os.environ["BIASWATCH_DATABASE_URL"] == f"sqlite:///{tmp_path / 'biaswatch.db'}"
        assert os.environ["BIASWATCH_CLOUDWATCH"] == "file"
        assert "BIASWATCH_PROMETHEUS_TEXTFILE" not in os.environ
    assert dict(os.environ) == before


def test_missing_extras_name_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    require_demo_extras()  # installed in the development environment
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *args: None if name in ("uvicorn", "sklearn") else find_spec(name, *args),
    )
    with pytest.raises(
        ConfigError, match=r"uvicorn, scikit-learn: pip install 'biaswatch\[demo\]'"
    ):
        require_demo_extras()
