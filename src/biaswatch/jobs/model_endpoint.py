"""Calling a model behind an HTTP inference endpoint for a baseline's predictions.

:class:`HttpPredictor` is a predictor (feature rows in, one predicted label per row out) that
sends the rows in batches, as Clarify's ``ModelConfig`` describes the request:

- ``text/csv``: one CSV line per record;
- ``application/jsonlines``: one line per record, ``content_template`` with ``$features``
  (default ``{"features":$features}``);
- ``application/json``: one document per batch, ``content_template`` with ``$records``
  (default ``{"instances":$records}``) and ``record_template`` with ``$features``; a template
  with ``$features`` and no ``$records`` sends one record per request.

Responses (``accept_type``, else the request's type) are decoded like captured responses: the
``label`` / ``probability`` attributes of ``ModelPredictedLabelConfig``, a probability becoming
a label by ``score > probability_threshold``. Requests run a few at a time; a failed one is
retried, then fails the baseline with the server's answer.
"""

from __future__ import annotations

import csv
import io
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import orjson

from biaswatch.errors import BaselineError, ConfigError
from biaswatch.records import (
    DecodingOptions,
    Malformed,
    PayloadDecoder,
    PayloadFormat,
    payload_format,
)

__all__ = ["HttpPredictor"]

_DEFAULT_TEMPLATES = {
    PayloadFormat.JSON_LINES: '{"features":$features}',
    PayloadFormat.JSON: '{"instances":$records}',
}
_ATTEMPTS = 3


def _format(content_type: str, field: str) -> PayloadFormat:
    found = payload_format(content_type, encoding="")
    if found is None:
        raise ConfigError(
            f"{field} {content_type!r} is not CSV, JSON or JSON Lines",
            field=field,
            value=content_type,
        )
    return found


def _csv_line(row: Sequence[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(["" if v is None else v for v in row])
    return buffer.getvalue()


def _features(row: Sequence[Any]) -> str:
    return orjson.dumps(list(row), option=orjson.OPT_SERIALIZE_NUMPY).decode()


@dataclass
class HttpPredictor:
    """Predictions from an HTTP inference endpoint; see the module docstring."""

    url: str
    content_type: str = "text/csv"
    accept_type: str | None = None
    content_template: str | None = None
    record_template: str = "$features"
    options: DecodingOptions = field(default_factory=DecodingOptions)
    records_per_request: int = 500
    concurrent_requests: int = 4
    timeout: float = 60.0
    headers: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._request_format = _format(self.content_type, "content_type")
        self._response_format = _format(self.accept_type or self.content_type, "accept_type")
        self._decoder = PayloadDecoder(self.options)
        template = self.content_template or _DEFAULT_TEMPLATES.get(self._request_format)
        self._template = template
        if self._request_format is PayloadFormat.JSON_LINES and "$features" not in str(template):
            raise ConfigError(
                "a JSON Lines content_template needs $features",
                field="content_template",
                value=template,
            )
        if self._request_format is PayloadFormat.JSON:
            text = str(template)
            if "$records" not in text and "$features" not in text:
                raise ConfigError(
                    "a JSON content_template needs $records (or $features for one record"
                    " per request)",
                    field="content_template",
                    value=template,
                )
            if "$records" not in text:
                self.records_per_request = 1
        if self.records_per_request < 1:
            raise ConfigError(
                "records_per_request must be at least 1",
                field="records_per_request",
                value=self.records_per_request,
            )

    def __call__(self, rows: list[list[Any]]) -> list[Any]:
        """One predicted label per row, in order."""
        size = self.records_per_request
        batches = [rows[start : start + size] for start in range(0, len(rows), size)]
        with ThreadPoolExecutor(max_workers=max(1, self.concurrent_requests)) as pool:
            answers = list(pool.map(self._predict, batches, range(len(batches))))
        return [label for answer in answers for label in answer]

    def body(self, batch: Sequence[Sequence[Any]]) -> bytes:
        """The request body for a batch of rows."""
        if self._request_format is PayloadFormat.CSV:
            return "\n".join(_csv_line(row) for row in batch).encode()
        template = str(self._template)
        if self._request_format is PayloadFormat.JSON_LINES:
            return "\n".join(template.replace("$features", _features(r)) for r in batch).encode()
        if "$records" not in template:
            return template.replace("$features", _features(batch[0])).encode()
        records = ",".join(self.record_template.replace("$features", _features(r)) for r in batch)
        return template.replace("$records", f"[{records}]").encode()

    def _predict(self, batch: list[list[Any]], number: int) -> list[Any]:
        text = self._post(self.body(batch), number)
        try:
            return self._decoder.predictions(text, self._response_format, count=len(batch))
        except Malformed as exc:
            raise BaselineError(
                f"the model at {self.url} answered request {number + 1} ({len(batch)} records)"
                f" with what cannot be read: {exc.reason}; the answer began {text[:200]!r}"
            ) from None

    def _post(self, body: bytes, number: int) -> str:
        headers = {
            "Content-Type": self.content_type,
            "Accept": self.accept_type or self.content_type,
            **self.headers,
        }
        problem = ""
        for attempt in range(_ATTEMPTS):
            if attempt:
                time.sleep(0.2 * 2**attempt)
            request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return bytes(response.read()).decode("utf-8")
            except urllib.error.HTTPError as exc:
                detail = exc.read()[:500].decode("utf-8", "replace")
                problem = f"HTTP {exc.code} {exc.reason}: {detail}"
                if exc.code < 500 and exc.code != 429:
                    break  # the request itself is wrong: sending it again cannot help
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                problem = str(getattr(exc, "reason", exc))
        raise BaselineError(
            f"calling the model at {self.url} failed on request {number + 1}: {problem}"
        )
