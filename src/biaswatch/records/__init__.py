"""Decoding captured payloads into columns.

CSV, JSON and JSON Lines payloads, JMESPath attributes, scores turned into predicted labels,
and text typed as pandas would type it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from biaswatch._lazy import lazy_exports

if TYPE_CHECKING:
    from biaswatch.records.attributes import Attribute, excluded_positions
    from biaswatch.records.decoder import (
        DecodingOptions,
        Malformed,
        PayloadDecoder,
        split_csv_line,
        utf8_text,
    )
    from biaswatch.records.formats import PayloadFormat, media_type, payload_format
    from biaswatch.records.typing import NULL_MARKERS, text_column, typed_column, values_column

__all__ = [
    "NULL_MARKERS",
    "Attribute",
    "DecodingOptions",
    "Malformed",
    "PayloadDecoder",
    "PayloadFormat",
    "excluded_positions",
    "media_type",
    "payload_format",
    "split_csv_line",
    "text_column",
    "typed_column",
    "utf8_text",
    "values_column",
]

__getattr__, __dir__ = lazy_exports(__name__, __file__)
