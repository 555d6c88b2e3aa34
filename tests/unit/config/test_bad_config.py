"""Configs and settings that cannot be used: a ConfigError that names the setting and value."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from biaswatch.config import parse_analysis_config
from biaswatch.config.rules import ViolationRules
from biaswatch.config.settings import (
    CLOUDWATCH_VARIABLE,
    ENGINE_VARIABLE,
    SPARK_THRESHOLD_VARIABLE,
    cloudwatch_mode,
    engine_setting,
    spark_threshold,
)
from biaswatch.errors import ConfigError

MINIMAL = '"label": "y", "label_values_or_threshold": [1], "facet": [{"name_or_index": "sex"}]'


def test_a_config_that_asks_for_no_method_is_rejected() -> None:
    raw = "{" + MINIMAL + ', "methods": {"pre_training_bias": null, "post_training_bias": null}}'
    with pytest.raises(ConfigError, match="'methods' must ask for"):
        parse_analysis_config(raw)


def test_json_lines_without_a_features_path_is_rejected() -> None:
    raw = "{" + MINIMAL + ', "dataset_type": "application/jsonlines"}'
    with pytest.raises(ConfigError, match="'features' \\(a JMESPath\\) is required"):
        parse_analysis_config(raw)
    with_features = "{" + MINIMAL + ', "dataset_type": "application/jsonlines", "features": "x"}'
    assert parse_analysis_config(with_features).features == "x"


@pytest.mark.parametrize(("raw", "kind"), [("[1, 2]", "list"), ('"text"', "str"), ("3", "int")])
def test_a_config_that_is_not_a_json_object_is_rejected(raw: str, kind: str) -> None:
    with pytest.raises(ConfigError, match=f"must be a JSON object, got {kind}"):
        parse_analysis_config(raw, source="config.json")


@pytest.mark.parametrize(
    ("rules", "sagemakers"),
    [
        (ViolationRules(), True),
        (ViolationRules(rule="ideal"), False),
        (ViolationRules(tolerances={"DPPL": 0.1}), False),
        (ViolationRules(min_facet_size=30), False),
    ],
)
def test_only_the_default_rules_are_sagemakers(rules: ViolationRules, sagemakers: bool) -> None:
    assert rules.is_sagemakers is sagemakers


@pytest.mark.parametrize(
    ("variable", "value", "read"),
    [
        (CLOUDWATCH_VARIABLE, "sometimes", cloudwatch_mode),
        (ENGINE_VARIABLE, "dask", engine_setting),
        (SPARK_THRESHOLD_VARIABLE, "5e6", spark_threshold),
    ],
)
def test_a_bad_setting_names_its_variable_and_value(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, read: Callable[[], object]
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=f"{variable}='{value}'"):
        read()


def test_settings_are_read_case_and_space_insensitively(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CLOUDWATCH_VARIABLE, " OFF ")
    monkeypatch.setenv(ENGINE_VARIABLE, "Spark")
    monkeypatch.setenv(SPARK_THRESHOLD_VARIABLE, "1000")
    assert (cloudwatch_mode(), engine_setting(), spark_threshold()) == ("off", "spark", 1000)
