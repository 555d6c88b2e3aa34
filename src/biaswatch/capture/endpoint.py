"""SageMaker's real-time endpoint capture format: one JSON line per invocation.

::

    {"captureData": {"endpointInput":  {"observedContentType": "text/csv", "mode": "INPUT",
                                        "data": "9,45,45", "encoding": "CSV"},
                     "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT",
                                        "data": "0.30", "encoding": "CSV"}},
     "eventMetadata": {"eventId": "74b0dd56-…", "inferenceId": "95",
                       "inferenceTime": "2023-01-19T06:04:56Z"},
     "eventVersion": "0"}

Files live at ``<capture>/<endpoint>/<variant>/yyyy/mm/dd/hh/<MM-SS-mmm>-<uuid>.jsonl``, the
hour being the UTC hour of the invocation.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import orjson

from biaswatch.records import Malformed
from biaswatch.storage import hour_folder, join

__all__ = [
    "CaptureRecord",
    "Encoding",
    "Payload",
    "capture_file_name",
    "capture_folder",
    "format_inference_time",
    "parse_capture_line",
    "parse_inference_time",
]

EVENT_VERSION = "0"


class Encoding(StrEnum):
    """How a captured payload's ``data`` is written."""

    CSV = "CSV"
    JSON = "JSON"
    BASE64 = "BASE64"


@dataclass(frozen=True, slots=True)
class Payload:
    """One side of an invocation: its content type, mode, data and encoding."""

    content_type: str
    mode: str
    data: str
    encoding: Encoding

    def text(self) -> str:
        """The payload as text (base64 payloads decoded as UTF-8)."""
        if self.encoding is not Encoding.BASE64:
            return self.data
        try:
            return base64.b64decode(self.data, validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError) as exc:
            raise Malformed(f"{self.mode.lower()} data is not valid BASE64 UTF-8 text") from exc

    def to_json(self) -> dict[str, str]:
        """The payload in SageMaker's JSON shape."""
        return {
            "observedContentType": self.content_type,
            "mode": self.mode,
            "data": self.data,
            "encoding": self.encoding.value,
        }


@dataclass(frozen=True, slots=True)
class CaptureRecord:
    """One captured invocation."""

    input: Payload
    output: Payload
    event_id: str
    inference_time: datetime
    inference_id: str | None = None
    custom_attributes: str | None = None

    @property
    def join_key(self) -> str:
        """The ground-truth key: the inference id when the caller gave one, else the event id."""
        return self.inference_id if self.inference_id is not None else self.event_id

    def to_line(self) -> bytes:
        """The record as one line of a capture file (with its newline)."""
        metadata: dict[str, Any] = {"eventId": self.event_id}
        if self.inference_id is not None:
            metadata["inferenceId"] = self.inference_id
        metadata["inferenceTime"] = format_inference_time(self.inference_time)
        if self.custom_attributes is not None:
            metadata["customAttributes"] = self.custom_attributes
        document = {
            "captureData": {
                "endpointInput": self.input.to_json(),
                "endpointOutput": self.output.to_json(),
            },
            "eventMetadata": metadata,
            "eventVersion": EVENT_VERSION,
        }
        return orjson.dumps(document) + b"\n"


def format_inference_time(moment: datetime) -> str:
    """``2023-01-19T06:04:56Z`` (milliseconds kept when there are any)."""
    moment = moment.astimezone(UTC)
    if moment.microsecond:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_inference_time(text: str) -> datetime:
    """Parse an ISO-8601 UTC time such as ``2023-01-19T06:04:56Z``."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, AttributeError) as exc:
        raise Malformed(f"inferenceTime {text!r} is not an ISO-8601 time") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _payload(side: Any, name: str) -> Payload:
    if not isinstance(side, dict):
        raise Malformed(f"captureData.{name} is missing")
    data, encoding = side.get("data"), side.get("encoding")
    if not isinstance(data, str):
        raise Malformed(f"captureData.{name}.data is missing or not a string")
    try:
        kind = Encoding(str(encoding))
    except ValueError:
        raise Malformed(
            f"captureData.{name}.encoding {encoding!r} is not CSV, JSON or BASE64"
        ) from None
    content_type = side.get("observedContentType")
    return Payload(
        content_type if isinstance(content_type, str) else "",
        str(side.get("mode", "")),
        data,
        kind,
    )


def parse_capture_line(line: bytes | str) -> CaptureRecord:
    """Parse one line of a capture file, or raise :class:`Malformed` saying what is wrong."""
    try:
        document = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise Malformed(f"invalid JSON: {exc.msg}") from None
    if not isinstance(document, dict):
        raise Malformed("a capture record must be a JSON object")
    capture = document.get("captureData")
    if not isinstance(capture, dict):
        raise Malformed("captureData is missing")
    metadata = document.get("eventMetadata")
    if not isinstance(metadata, dict):
        raise Malformed("eventMetadata is missing")
    event_id = metadata.get("eventId")
    if not isinstance(event_id, str) or not event_id:
        raise Malformed("eventMetadata.eventId is missing")
    time = metadata.get("inferenceTime")
    if not isinstance(time, str):
        raise Malformed("eventMetadata.inferenceTime is missing")
    inference_id = metadata.get("inferenceId")
    custom = metadata.get("customAttributes")
    return CaptureRecord(
        input=_payload(capture.get("endpointInput"), "endpointInput"),
        output=_payload(capture.get("endpointOutput"), "endpointOutput"),
        event_id=event_id,
        inference_time=parse_inference_time(time),
        inference_id=None if inference_id is None else str(inference_id),
        custom_attributes=None if custom is None else str(custom),
    )


def capture_folder(root: str, endpoint: str, variant: str) -> str:
    """``<root>/<endpoint>/<variant>``: where an endpoint variant's hour folders are."""
    return join(root, endpoint, variant)


def capture_file_name(moment: datetime, *, unique: str | None = None) -> str:
    """``yyyy/mm/dd/hh/<MM-SS-mmm>-<uuid>.jsonl`` for a file opened at ``moment``.

    Examples
    --------
    >>> capture_file_name(datetime(2023, 1, 19, 5, 28, 32, 105000, tzinfo=UTC), unique="b59d")
    '2023/01/19/05/28-32-105-b59d.jsonl'
    """
    moment = moment.astimezone(UTC)
    stamp = moment.strftime("%M-%S-") + f"{moment.microsecond // 1000:03d}"
    return f"{hour_folder(moment)}/{stamp}-{unique or uuid.uuid4()}.jsonl"
