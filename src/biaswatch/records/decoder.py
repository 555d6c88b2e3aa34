"""Decoding captured payloads into records: features, predicted labels, ground-truth labels.

A payload may hold one record or many: several CSV lines, several JSON Lines, or a JSON
document whose attribute selects a list (``instances[*].features``). Predicted labels come from
``inference_attribute``, or from ``probability_attribute`` with ``score > threshold`` (a bare
CSV number is a score); labels from ground truth come from the analysis config's ``label``
JMESPath for JSON. Anything that does not fit raises :class:`Malformed` with the reason.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from typing import Any

import orjson

from biaswatch.errors import DataError
from biaswatch.records.attributes import Attribute
from biaswatch.records.formats import PayloadFormat

__all__ = ["DecodingOptions", "Malformed", "PayloadDecoder", "split_csv_line"]


class Malformed(DataError):
    """A record that cannot be used; ``reason`` says why. Counted and sampled, never fatal."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def utf8_text(line: bytes) -> str:
    r"""The text of one record's bytes, or :class:`Malformed` naming the first bad byte.

    Examples
    --------
    >>> utf8_text(b"1,2")
    '1,2'
    >>> utf8_text(b"1,\xff")
    Traceback (most recent call last):
    ...
    biaswatch.records.decoder.Malformed: not UTF-8 text: byte 0xff at position 2
    """
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Malformed(
            f"not UTF-8 text: byte 0x{line[exc.start]:02x} at position {exc.start}"
        ) from None


@dataclass(frozen=True, slots=True)
class DecodingOptions:
    """SageMaker's ``EndpointInput``/``BatchTransformInput`` attributes, plus the label's path."""

    features_attribute: str | None = None
    inference_attribute: str | int | None = None
    probability_attribute: str | int | None = None
    probability_threshold: float = 0.5
    label_attribute: str | None = None


def split_csv_line(line: str) -> list[str]:
    """The fields of one CSV line (quotes honoured only where there are any)."""
    if '"' not in line:
        return line.split(",")
    return next(csv.reader([line]), [])


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def _json(text: str, what: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise Malformed(f"{what} is not valid JSON: {exc.msg}") from None


def _records(value: Any, *, nested: bool) -> list[Any]:
    """A selected value as a list of records: a list of lists (or of values, when not nested)."""
    if isinstance(value, list) and (not nested or (value and isinstance(value[0], list))):
        return value if nested else [value]
    return [value]


class PayloadDecoder:
    """Decode payloads with one set of attributes (parsed once)."""

    def __init__(self, options: DecodingOptions) -> None:
        self.options = options
        self._features = (
            Attribute.parse(options.features_attribute, field="features_attribute")
            if options.features_attribute
            else None
        )
        self._inference = (
            Attribute.parse(options.inference_attribute, field="inference_attribute")
            if options.inference_attribute is not None and str(options.inference_attribute)
            else None
        )
        self._probability = (
            Attribute.parse(options.probability_attribute, field="probability_attribute")
            if options.probability_attribute is not None and str(options.probability_attribute)
            else None
        )
        self._label = (
            Attribute.parse(options.label_attribute, field="label")
            if options.label_attribute
            else None
        )

    # ----------------------------------------------------------------- features

    def feature_rows(self, text: str, payload_format: PayloadFormat) -> list[list[Any]]:
        """The feature rows of an input payload (CSV fields stay strings)."""
        if payload_format is PayloadFormat.CSV:
            return [split_csv_line(line) for line in _lines(text)]
        if payload_format is PayloadFormat.JSON_LINES:
            rows = []
            for line in _lines(text):
                rows.extend(self.json_features(_json(line, "a JSON Lines input record")))
            return rows
        return self.json_features(_json(text, "the JSON input"))

    def json_features(self, document: Any) -> list[list[Any]]:
        """The feature rows of a parsed JSON document."""
        selected = self._features.search(document) if self._features else document
        if selected is None:
            raise Malformed(
                f"features_attribute {self.options.features_attribute!r} selects nothing"
                if self._features
                else "a JSON input needs features_attribute to find its features"
            )
        if isinstance(selected, dict):
            return [list(selected.values())]
        rows = _records(selected, nested=True)
        if not all(isinstance(row, list) for row in rows):
            raise Malformed("the features of a JSON input must be a list of values")
        return rows

    # -------------------------------------------------------------- predictions

    def predictions(self, text: str, payload_format: PayloadFormat, *, count: int) -> list[Any]:
        """One predicted label per input record, from an output payload.

        With ``probability_attribute`` (and no ``inference_attribute``), or a bare CSV number,
        the label is ``1`` when the score is above the threshold, else ``0``.
        """
        if payload_format is PayloadFormat.CSV:
            labels = self._csv_predictions(text, count)
        elif payload_format is PayloadFormat.JSON_LINES:
            labels = [
                label
                for line in _lines(text)
                for label in self.json_predictions(_json(line, "a JSON Lines output record"))
            ]
        else:
            labels = self.json_predictions(_json(text, "the JSON output"))
        if len(labels) != count:
            raise Malformed(f"the output holds {len(labels)} predictions for {count} input records")
        return labels

    def _csv_predictions(self, text: str, count: int) -> list[Any]:
        rows = [split_csv_line(line) for line in _lines(text)]
        if len(rows) == 1 and count > 1 and len(rows[0]) == count and not self._inference:
            rows = [[value] for value in rows[0]]  # one line of scores for a batch request
        if self._inference is not None:
            inference = self._inference
            return [self._required(inference.pick(row), "inference_attribute") for row in rows]
        if self._probability is not None:
            return [
                self._above(self._required(self._probability.pick(row), "probability_attribute"))
                for row in rows
            ]
        if any(len(row) != 1 for row in rows):
            raise Malformed(
                "a CSV output with several values needs inference_attribute or"
                " probability_attribute"
            )
        return [self._above(row[0]) for row in rows]

    def json_predictions(self, document: Any) -> list[Any]:
        """The predicted labels of a parsed JSON document, one per record."""
        if self._inference is not None:
            labels = self._required(self._inference.search(document), "inference_attribute")
            scores = self._probability.search(document) if self._probability else None
            return self._best_labels(labels, scores)
        if self._probability is not None:
            scores = self._required(self._probability.search(document), "probability_attribute")
            if isinstance(scores, list):
                return [self._above(score) for score in scores]
            return [self._above(scores)]
        if isinstance(document, int | float) and not isinstance(document, bool):
            return [self._above(document)]
        raise Malformed("a JSON output needs inference_attribute or probability_attribute")

    def _best_labels(self, labels: Any, scores: Any) -> list[Any]:
        """Labels per record; where a record has a list of labels, the most probable one."""
        records = labels if isinstance(labels, list) else [labels]
        if not isinstance(scores, list):
            return records
        chosen = []
        for record, score in zip(records, scores, strict=False):
            if isinstance(record, list) and isinstance(score, list) and record:
                chosen.append(record[max(range(len(score)), key=score.__getitem__)])
            else:
                chosen.append(record)
        return chosen

    def _required(self, value: Any, attribute: str) -> Any:
        if value is None:
            raise Malformed(f"{attribute} {getattr(self.options, attribute)!r} selects nothing")
        return value

    def _above(self, score: Any) -> int:
        try:
            number = float(score)
        except (TypeError, ValueError):
            raise Malformed(f"score {score!r} is not a number") from None
        if not math.isfinite(number):  # NaN is never above a threshold: it would read as 0
            raise Malformed(f"score {score!r} is not a finite number")
        return 1 if number > self.options.probability_threshold else 0

    # ------------------------------------------------------------------- labels

    def labels(self, text: str, payload_format: PayloadFormat) -> list[Any]:
        """The labels of a ground-truth payload: bare CSV values, or the ``label`` JMESPath."""
        if payload_format is PayloadFormat.CSV:
            return [value for line in _lines(text) for value in split_csv_line(line)]
        document = _json(text, "the ground-truth data")
        value = self._label.search(document) if self._label else document
        if value is None:
            raise Malformed(f"label {self.options.label_attribute!r} selects nothing")
        return value if isinstance(value, list) else [value]
