"""Names people give are SageMaker names everywhere they are created, and never leave a root."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.conftest import run_cli

from biaswatch.clarify import BiasConfig
from biaswatch.config.names import NAME_RULE, check_name, is_name
from biaswatch.errors import ConfigError
from biaswatch.model_monitor import BiasAnalysisConfig, ModelBiasMonitor
from biaswatch.storage import join
from biaswatch.store import Store

BAD = ["../../../../x", "a/b", "-lead", "trail-", "", "x" * 64, "x" * 5000, "sp ace", "ü"]
T = datetime(2026, 11, 24, 10, tzinfo=UTC)


@given(st.from_regex(NAME_RULE, fullmatch=True))
def test_every_name_of_the_rule_is_accepted(name: str) -> None:
    assert check_name(name, field="f") == name


@pytest.mark.parametrize("name", BAD, ids=range(len(BAD)))
def test_names_outside_the_rule_are_config_errors(name: str) -> None:
    assert not is_name(name)
    with pytest.raises(ConfigError) as caught:
        check_name(name, field="monitor_schedule_name")
    assert caught.value.field == "monitor_schedule_name"
    assert len(str(caught.value)) < 300  # a 5,000-character name is not echoed whole


@pytest.mark.parametrize("name", BAD[:3], ids=range(3))
def test_the_store_refuses_them(name: str, tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 's.db'}")
    with pytest.raises(ConfigError):
        store.create_schedule(name, expression=None, definition={}, now=T)
    with pytest.raises(ConfigError):
        store.register_endpoint(name, capture_uri="/c", now=T)
    assert store.schedules() == []
    store.engine.dispose()


def test_the_facade_refuses_them_before_anything_is_written(tmp_path: Path) -> None:
    monitor = ModelBiasMonitor(store=Store.open(f"sqlite:///{tmp_path / 's.db'}"))
    with pytest.raises(ConfigError, match=r"monitor_schedule_name '\.\./x' is not a valid name"):
        monitor.create_monitoring_schedule(
            monitor_schedule_name="../x",
            endpoint_input="ep",
            ground_truth_input=str(tmp_path / "gt"),
            output_s3_uri=str(tmp_path / "out"),
            analysis_config=BiasAnalysisConfig(
                BiasConfig(label_values_or_threshold=[1], facet_name="s"),
                headers=["s", "y"],
                label="y",
            ),
        )
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("s.db")) == []


def test_the_cli_refuses_them(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    arguments = ["--endpoint", "ep", "--ground-truth-uri", str(tmp_path)]
    code = run_cli(["schedules", "create", "../../x", *arguments])
    assert code == 2
    assert "'../../x' is not a valid name" in capsys.readouterr().err


def test_a_path_part_never_climbs_out_of_its_root() -> None:
    assert join("/reports", "ep", "s") == "/reports/ep/s"
    for part in ("..", "../x", "a/../../b", "a/.."):
        with pytest.raises(ConfigError, match="would lead out of"):
            join("s3://bucket/reports", part)
