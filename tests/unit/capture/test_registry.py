"""The endpoint registry: one JSON file per endpoint under BIASWATCH_HOME."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from biaswatch.capture.registry import (
    RegisteredEndpoint,
    check_endpoint_name,
    register_endpoint,
    registered_endpoint,
)
from biaswatch.errors import ConfigError


def _registration(name: str) -> Path:
    return Path(os.environ["BIASWATCH_HOME"]) / "endpoints" / f"{name}.json"


def test_register_and_read_back() -> None:
    register_endpoint("churn-model", "s3://bucket/capture", url="http://localhost:8080")
    assert json.loads(_registration("churn-model").read_text()) == {
        "endpoint_name": "churn-model",
        "variant_name": "AllTraffic",
        "capture_uri": "s3://bucket/capture",
        "url": "http://localhost:8080",
    }
    assert registered_endpoint("churn-model") == RegisteredEndpoint(
        "churn-model", "AllTraffic", "s3://bucket/capture", "http://localhost:8080"
    )


def test_registering_again_replaces_the_registration() -> None:
    register_endpoint("ep", "memory://first")
    register_endpoint("ep", "memory://second", variant="Canary")
    assert registered_endpoint("ep") == RegisteredEndpoint("ep", "Canary", "memory://second")
    assert [p.name for p in _registration("ep").parent.iterdir()] == ["ep.json"]


def test_local_capture_paths_are_stored_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    register_endpoint("ep", "capture")
    endpoint = registered_endpoint("ep")
    assert endpoint is not None
    assert endpoint.capture_uri == str(tmp_path / "capture")


def test_unregistered_endpoint_is_none() -> None:
    assert registered_endpoint("nobody") is None


@pytest.mark.parametrize("name", ["a", "A-1", "a--b", "x" * 63, "9lives"])
def test_valid_names(name: str) -> None:
    assert check_endpoint_name(name) == name


@pytest.mark.parametrize("name", ["", "-a", "a-", "a_b", "a/b", "../etc", "x" * 64, "a b"])
def test_invalid_names_are_config_errors(name: str) -> None:
    with pytest.raises(ConfigError) as caught:
        register_endpoint(name, "s3://bucket/capture")
    assert caught.value.field == "endpoint_name"
    assert caught.value.value == name
    with pytest.raises(ConfigError):
        registered_endpoint(name)


@pytest.mark.parametrize(
    ("arguments", "field", "value"),
    [
        ({"variant": "All_Traffic"}, "variant", "All_Traffic"),
        ({"capture_uri": ""}, "capture_uri", ""),
        ({"url": "localhost:8080"}, "url", "localhost:8080"),
    ],
)
def test_invalid_registration_fields(arguments: dict[str, str], field: str, value: str) -> None:
    settings = {"capture_uri": "s3://bucket/capture", **arguments}
    with pytest.raises(ConfigError) as caught:
        register_endpoint("ep", **settings)
    assert (caught.value.field, caught.value.value) == (field, value)


@pytest.mark.parametrize("content", ["not json", '{"endpoint_name": "ep"}', "[1]"])
def test_a_damaged_registration_is_a_config_error(content: str) -> None:
    path = _registration("ep")
    path.parent.mkdir(parents=True)
    path.write_text(content)
    with pytest.raises(ConfigError) as caught:
        registered_endpoint("ep")
    assert caught.value.value == "ep"
