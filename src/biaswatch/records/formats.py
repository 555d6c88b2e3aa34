"""Which format a payload is in: CSV, JSON or JSON Lines, from its content type."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["PayloadFormat", "media_type", "payload_format"]


class PayloadFormat(StrEnum):
    """The three payload formats Clarify reads."""

    CSV = "csv"
    JSON = "json"
    JSON_LINES = "jsonlines"


def media_type(content_type: str) -> str:
    """The content type without parameters, lower case.

    Examples
    --------
    >>> media_type("text/csv; charset=utf-8")
    'text/csv'
    """
    return content_type.split(";", 1)[0].strip().lower()


def payload_format(content_type: str, *, encoding: str) -> PayloadFormat | None:
    """The format of a payload: by its content type, else by its capture encoding.

    Returns None when neither says (for instance a base64 payload of an unknown type).

    Examples
    --------
    >>> payload_format("application/jsonlines", encoding="JSON")
    <PayloadFormat.JSON_LINES: 'jsonlines'>
    >>> payload_format("", encoding="CSV")
    <PayloadFormat.CSV: 'csv'>
    """
    media = media_type(content_type)
    if "csv" in media:
        return PayloadFormat.CSV
    if "jsonlines" in media or "ndjson" in media or "json-seq" in media:
        return PayloadFormat.JSON_LINES
    if "json" in media:
        return PayloadFormat.JSON
    if encoding == "CSV":
        return PayloadFormat.CSV
    if encoding == "JSON":
        return PayloadFormat.JSON
    return None
