"""DataCaptureConfig: the SDK's signature and defaults, validation, encodings by content type."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from biaswatch.capture.config import DataCaptureConfig, biaswatch_home
from biaswatch.capture.endpoint import Encoding
from biaswatch.errors import ConfigError


def test_defaults_are_the_sdks() -> None:
    config = DataCaptureConfig(enable_capture=True)
    assert config.sampling_percentage == 20
    assert config.capture_options == ("REQUEST", "RESPONSE")
    assert config.csv_content_types == ("text/csv",)
    assert config.json_content_types == ("application/json",)
    assert config.kms_key_id is None
    assert config.captures_request
    assert config.captures_response


def test_default_destination_is_under_biaswatch_home() -> None:
    home = os.environ["BIASWATCH_HOME"]
    assert biaswatch_home() == home
    assert DataCaptureConfig(enable_capture=True).destination_s3_uri == f"{home}/data-capture"


def test_home_defaults_to_the_users_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("BIASWATCH_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    config = DataCaptureConfig(enable_capture=True)
    assert config.destination_s3_uri == f"{tmp_path}/.biaswatch/data-capture"


def test_home_is_read_when_the_config_is_built(monkeypatch: pytest.MonkeyPatch) -> None:
    first = DataCaptureConfig(enable_capture=True)
    monkeypatch.setenv("BIASWATCH_HOME", "s3://bucket/biaswatch")
    second = DataCaptureConfig(enable_capture=True)
    assert first.destination_s3_uri != second.destination_s3_uri
    assert second.destination_s3_uri == "s3://bucket/biaswatch/data-capture"


def test_sdk_style_construction_by_keyword_and_position() -> None:
    by_keyword = DataCaptureConfig(
        enable_capture=True,
        sampling_percentage=100,
        destination_s3_uri="s3://bucket/capture",
        kms_key_id="arn:aws:kms:eu-west-1:111122223333:key/abc",
        capture_options=["REQUEST", "RESPONSE"],
        csv_content_types=["text/csv"],
        json_content_types=["application/json", "application/jsonlines"],
        sagemaker_session=object(),
    )
    by_position = DataCaptureConfig(True, 100, "s3://bucket/capture")
    assert by_keyword.destination_s3_uri == by_position.destination_s3_uri == "s3://bucket/capture"
    assert by_keyword.json_content_types == ("application/json", "application/jsonlines")


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["REQUEST"], ("REQUEST",)),
        (["response"], ("RESPONSE",)),
        (["Input", "Output"], ("REQUEST", "RESPONSE")),
        (["output", "REQUEST", "Input"], ("RESPONSE", "REQUEST")),
        ([], ("REQUEST", "RESPONSE")),
    ],
)
def test_capture_options_in_any_spelling(options: list[str], expected: tuple[str, ...]) -> None:
    config = DataCaptureConfig(enable_capture=True, capture_options=options)
    assert config.capture_options == expected
    assert config.captures_request == ("REQUEST" in expected)
    assert config.captures_response == ("RESPONSE" in expected)


@pytest.mark.parametrize(
    ("arguments", "field", "value"),
    [
        ({"sampling_percentage": 101}, "sampling_percentage", 101),
        ({"sampling_percentage": -1}, "sampling_percentage", -1),
        ({"sampling_percentage": 50.5}, "sampling_percentage", 50.5),
        ({"sampling_percentage": True}, "sampling_percentage", True),
        ({"capture_options": ["REQUEST", "InputAndOutput"]}, "capture_options", "InputAndOutput"),
        ({"capture_options": "REQUEST"}, "capture_options", "REQUEST"),
        ({"csv_content_types": [1]}, "csv_content_types", [1]),
        ({"destination_s3_uri": " "}, "destination_s3_uri", " "),
        ({"enable_capture": "yes"}, "enable_capture", "yes"),
    ],
)
def test_invalid_settings_name_the_field_and_value(
    arguments: dict[str, object], field: str, value: object
) -> None:
    settings: dict[str, object] = {"enable_capture": True, **arguments}
    with pytest.raises(ConfigError) as caught:
        DataCaptureConfig(**settings)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert caught.value.value == value
    assert repr(value) in str(caught.value)


@pytest.mark.parametrize("percentage", [0, 100])
def test_sampling_bounds_are_valid(percentage: int) -> None:
    assert DataCaptureConfig(True, percentage).sampling_percentage == percentage


@pytest.mark.parametrize(
    ("content_type", "encoding"),
    [
        ("text/csv", Encoding.CSV),
        ("text/csv; charset=utf-8", Encoding.CSV),
        ("Text/CSV ;charset=UTF-8", Encoding.CSV),
        ("application/json", Encoding.JSON),
        ("application/JSON; charset=utf-8", Encoding.JSON),
        ("application/jsonlines", Encoding.BASE64),
        ("text/html", Encoding.BASE64),
        ("application/octet-stream", Encoding.BASE64),
        ("", Encoding.BASE64),
    ],
)
def test_encoding_by_content_type(content_type: str, encoding: Encoding) -> None:
    assert DataCaptureConfig(enable_capture=True).encoding_for(content_type) is encoding


def test_listed_types_are_matched_without_parameters_or_case() -> None:
    config = DataCaptureConfig(
        enable_capture=True,
        csv_content_types=["Text/Plain; charset=utf-8"],
        json_content_types=["application/jsonlines"],
    )
    assert config.encoding_for("text/plain") is Encoding.CSV
    assert config.encoding_for("text/csv") is Encoding.BASE64
    assert config.encoding_for("application/JSONLines; charset=utf-8") is Encoding.JSON
    assert config.encoding_for("application/json") is Encoding.BASE64


def test_config_is_frozen() -> None:
    config = DataCaptureConfig(enable_capture=True)
    with pytest.raises(AttributeError):
        config.sampling_percentage = 50  # type: ignore[misc]
    assert config == DataCaptureConfig(enable_capture=True)
    assert hash(config) == hash(DataCaptureConfig(enable_capture=True))
