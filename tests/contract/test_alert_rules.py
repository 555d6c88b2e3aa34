"""The alerting rules and the Grafana dashboard shipped in ``deploy/``, against real tools.

``promtool`` (Debian's ``prometheus`` package; ``.ci/run`` installs it) checks the rules and runs
their unit tests, and checks each dashboard query as PromQL. Every metric they name must be
one biaswatch exports.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from biaswatch.publish import BiasMetricsCollector, LatestMetric, ScheduleSnapshot

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
RULES = DEPLOY / "prometheus" / "biaswatch-alerts.yml"
DASHBOARD = DEPLOY / "grafana" / "biaswatch-dashboard.json"
T = datetime(2026, 11, 24, 10, tzinfo=UTC)


def _promtool(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    if shutil.which("promtool") is None:
        pytest.fail(
            "the alert-rule tests need promtool (apt-get install prometheus; .ci/run installs it)"
        )
    return subprocess.run(
        ["promtool", *arguments], cwd=cwd, capture_output=True, text=True, check=False
    )


def _exported_names() -> set[str]:
    """The sample names biaswatch's collector exposes, with every gauge present."""
    snapshot = ScheduleSnapshot(
        "s",
        "ep",
        "CompletedWithViolations",
        T,
        1,
        [LatestMetric("post_training", "sex", "0", "DPPL", 0.2)],
        failures=1,
        next_time=T + timedelta(hours=1),
    )
    registry = CollectorRegistry()
    registry.register(BiasMetricsCollector(lambda: [snapshot]))
    text = generate_latest(registry).decode()
    return {
        sample.name for family in text_string_to_metric_families(text) for sample in family.samples
    }


def _named(expression: str) -> set[str]:
    return set(re.findall(r"\bbiaswatch_[a-z_]+\b", expression))


def test_the_rules_pass_promtool_check_and_their_unit_tests() -> None:
    checked = _promtool("check", "rules", RULES.name, cwd=RULES.parent)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 3 rules found" in checked.stdout
    tested = _promtool("test", "rules", "biaswatch-alerts.test.yml", cwd=RULES.parent)
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_promtool_fails_a_rule_that_does_not_fire_as_tested(tmp_path: Path) -> None:
    # The unit tests can fail: the violation rule made to need four violations misses three.
    violations = "expr: biaswatch_last_execution_violations > 0"
    assert violations in RULES.read_text()
    rules = RULES.read_text().replace(violations, violations.replace("> 0", "> 3"))
    (tmp_path / RULES.name).write_text(rules)
    shutil.copy(RULES.parent / "biaswatch-alerts.test.yml", tmp_path)
    tested = _promtool("test", "rules", "biaswatch-alerts.test.yml", cwd=tmp_path)
    assert tested.returncode != 0
    assert "BiasConstraintViolations" in tested.stdout + tested.stderr


def test_the_rules_name_only_metrics_biaswatch_exports() -> None:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    rules = [rule for group in groups for rule in group["rules"]]
    assert {rule["alert"] for rule in rules} == {
        "BiasConstraintViolations",
        "BiasMonitoringExecutionFailed",
        "BiasMonitoringScheduleStalled",
    }
    named = set().union(*(_named(rule["expr"]) for rule in rules))
    assert named <= _exported_names()


def _queries(dashboard: dict[str, Any]) -> list[str]:
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


def test_the_dashboard_s_queries_are_promql_over_biaswatch_s_metrics(tmp_path: Path) -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    variables = {variable["name"] for variable in dashboard["templating"]["list"]}
    assert variables == {"schedule", "metric"}
    queries = _queries(dashboard)
    assert len(queries) == len(dashboard["panels"])
    used = set().union(*(re.findall(r"\$(\w+)", query) for query in queries))
    assert used <= variables
    named = set().union(*(_named(query) for query in queries))
    assert named <= _exported_names()
    assert "biaswatch_bias_metric" in named
    # Each query, its variables given a value, as a recording rule that promtool parses.
    rules = {
        "groups": [
            {
                "name": "dashboard",
                "rules": [
                    {"record": f"biaswatch:panel_{index}", "expr": re.sub(r"\$\w+", ".*", query)}
                    for index, query in enumerate(queries)
                ],
            }
        ]
    }
    (tmp_path / "panels.yml").write_text(yaml.safe_dump(rules))
    checked = _promtool("check", "rules", "panels.yml", cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_dashboard_imports_with_any_prometheus_data_source() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    assert [source["name"] for source in dashboard["__inputs"]] == ["DS_PROMETHEUS"]
    sources = re.findall(r'"uid": "([^"]*)"', json.dumps(dashboard))
    assert set(sources) - {dashboard["uid"]} == {"${DS_PROMETHEUS}"}
