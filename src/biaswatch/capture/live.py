"""Live counts: what the capture sees of a facet and the prediction, minute by minute.

DPPL, DI and a facet's share of traffic need no ground truth: only each record's facet value
and predicted label. A :class:`~biaswatch.capture.writer.CaptureWriter` given a
:class:`LiveBias` counts, for every captured record, its facet values and its prediction, per
UTC minute of its inference time — decoded exactly as a monitoring execution decodes the
capture (:func:`~biaswatch.capture.endpoint_window.decode_invocation`), in the writer's
background thread, never on the request's path.

Each flush writes, beside the capture, one small JSON document per hour and writer:
``<capture folder>/live/yyyy/mm/dd/hh/<writer id>.json``, holding that writer's counts for the
hour so far (rewritten whole at each flush). Several processes (uvicorn workers) write one file
each, and a reader adds them; a restarted process is a new writer, so nothing is counted twice.

Memory is bounded by the distinct (facet values, prediction) pairs per minute, not by traffic:
hours are forgotten once written and past. A record that cannot be decoded is skipped and
counted (``skipped`` in the hour's document), as an execution counts malformed records.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson

from biaswatch.capture.assembly import TableLayout, table_naming
from biaswatch.capture.endpoint import CaptureRecord
from biaswatch.capture.endpoint_window import decode_invocation
from biaswatch.config import AnalysisConfig, FacetConfig, config_from_dict
from biaswatch.errors import ConfigError
from biaswatch.records import NULL_MARKERS, DecodingOptions, Malformed, PayloadDecoder
from biaswatch.storage import hour_folder, join, start_of_hour

__all__ = ["LIVE_FOLDER", "LiveBias", "LiveCounts", "LiveDocument", "live_file"]

LIVE_FOLDER = "live"
FORMAT = "biaswatch-live/1"
_MISSING = frozenset(NULL_MARKERS)

Key = tuple[Any, ...]
"""A counted record: its facet columns' values, then its prediction (JSON scalars)."""


@dataclass(frozen=True, slots=True)
class LiveBias:
    """What to count live: the analysis config's facets, how to decode a payload.

    Create it with :meth:`create`, which checks the config (a bad one fails there, naming the
    field).
    """

    config: AnalysisConfig
    options: DecodingOptions
    facets: tuple[FacetConfig, ...]
    """The config's facets, each naming its column(s) as the captured features are named."""
    columns: tuple[str, ...]
    """The facet columns counted, by name."""
    positions: tuple[int, ...]
    """Their positions in a decoded record."""
    group: int | None
    """The group variable's position: a record without a group value is not analysed by an
    execution, so it is not counted here either."""
    width: int | None
    """How many features a record has (the headers say; without them, any record holding the
    facets counts)."""

    @property
    def last(self) -> int:
        """The last position a record must have."""
        return max((*self.positions, self.group or 0))

    @classmethod
    def create(
        cls,
        analysis_config: dict[str, Any] | AnalysisConfig,
        *,
        features_attribute: str | None = None,
        inference_attribute: str | int | None = None,
        probability_attribute: str | int | None = None,
        probability_threshold: float = 0.5,
    ) -> LiveBias:
        """Count the facets of ``analysis_config`` (the monitor's), decoding as its schedule.

        The attributes are the schedule's ``EndpointInput`` ones. Raises
        :class:`~biaswatch.errors.ConfigError` when the config is invalid or a facet is not one
        of the features its headers name.
        """
        config = (
            analysis_config
            if isinstance(analysis_config, AnalysisConfig)
            else config_from_dict(analysis_config, source="the live analysis config")
        )
        options = DecodingOptions(
            features_attribute=features_attribute,
            inference_attribute=inference_attribute,
            probability_attribute=probability_attribute,
            probability_threshold=probability_threshold,
        )
        PayloadDecoder(options)  # a bad attribute fails now
        label, kept = table_naming(config.headers, config.label, config.predicted_label)
        names, headers = TableLayout(label=label, headers=kept).feature_names, list(kept or ())
        facets, columns = [], []
        for facet in config.facet:
            references = facet.name_or_index
            many = isinstance(references, list)
            resolved = [
                _column(reference, names, headers, field="facet")
                for reference in (references if isinstance(references, list) else [references])
            ]
            columns += resolved
            named = resolved if many else resolved[0]
            facets.append(facet.model_copy(update={"name_or_index": named}))
        group = None
        if config.group_variable is not None:
            group_name = _column(config.group_variable, names, headers, field="group_variable")
            group = _position(group_name, names)
        columns = list(dict.fromkeys(columns))
        positions = tuple(_position(name, names) for name in columns)
        width = None if names is None else len(names)
        return cls(config, options, tuple(facets), tuple(columns), positions, group, width)


def _column(reference: Any, names: list[str] | None, headers: list[str], *, field: str) -> str:
    if isinstance(reference, int) and not isinstance(reference, bool):
        if names is None:
            return f"feature_{reference}"
        if 0 <= reference < len(headers) and headers[reference] in names:
            return headers[reference]
    elif isinstance(reference, str) and (
        (names is not None and reference in names)
        or (names is None and reference.startswith("feature_") and reference[8:].isdigit())
    ):
        return reference
    known = ", ".join(names) if names is not None else "feature_0, feature_1, …"
    raise ConfigError(
        f"{field} = {reference!r} is not one of the captured features ({known}): live counts"
        " read the facets from the captured records",
        field=field,
        value=reference,
    )


def _position(name: str, names: list[str] | None) -> int:
    return int(name[8:]) if names is None else names.index(name)


def live_file(folder: str, hour: datetime, name: str) -> str:
    """Where a writer's document ``name`` of ``hour`` goes, under a capture ``folder``."""
    return join(folder, LIVE_FOLDER, hour_folder(hour), f"{name}.json")


def _missing(value: Any) -> bool:
    """Whether an execution's table would hold no value here (null, NaN, a missing marker).

    For one decoded value; :func:`~biaswatch.capture.assembly.missing_values` reads a column.
    """
    if value is None:
        return True
    if isinstance(value, float):
        return value != value
    return isinstance(value, str) and value in _MISSING


@dataclass
class _Hour:
    name: str
    """The document's name: the writer's id, then ``-<n>`` when the hour was opened again."""
    minutes: dict[datetime, Counter[Key]] = field(default_factory=dict)
    skipped: int = 0
    changed: bool = True


@dataclass(frozen=True, slots=True)
class LiveDocument:
    """One writer's counts of an hour (or of a part of it), to write under ``name``."""

    hour: datetime
    name: str
    data: bytes


class LiveCounts:
    """One writer's live counts, by hour and minute.

    :meth:`add` decodes and counts; :meth:`documents` gives the hours changed since the last
    call, as the JSON documents to write. An hour is forgotten once written and past; a late
    record of a forgotten hour opens it again under a new name, so no document is overwritten
    with less than it held. Safe to call from several threads.
    """

    def __init__(self, bias: LiveBias, writer: str) -> None:
        self.bias = bias
        self.writer = writer
        self._decoder = PayloadDecoder(bias.options)
        self._hours: dict[datetime, _Hour] = {}
        self._opened: dict[datetime, int] = {}
        """How often each hour was opened (one integer per hour seen)."""
        self._lock = threading.Lock()

    def add(self, record: CaptureRecord) -> None:
        """Count one captured invocation's records (or skip it, counted, if it cannot be read)."""
        moment = record.inference_time
        minute = moment.replace(second=0, microsecond=0)
        try:
            rows, predictions = decode_invocation(record.input, record.output, self._decoder)
        except Malformed:
            rows, predictions = [], []
            skipped = 1
        else:
            skipped = 0
        bias = self.bias
        keys = []
        for row, prediction in zip(rows, predictions, strict=True):
            if len(row) != bias.width if bias.width is not None else len(row) <= bias.last:
                skipped += 1  # an execution finds this record malformed
                continue
            if bias.group is not None and _missing(row[bias.group]):
                continue
            key = (*(row[p] for p in bias.positions), prediction)
            if any(isinstance(value, list | dict) for value in key):
                skipped += 1  # a list or an object is no facet value or label
                continue
            keys.append(key)
        with self._lock:
            hour = self._open(start_of_hour(moment))
            hour.minutes.setdefault(minute, Counter()).update(keys)
            hour.skipped += skipped
            hour.changed = True

    def _open(self, start: datetime) -> _Hour:
        hour = self._hours.get(start)
        if hour is None:
            opened = self._opened.get(start, 0)
            self._opened[start] = opened + 1
            hour = _Hour(self.writer if not opened else f"{self.writer}-{opened}")
            self._hours[start] = hour
        return hour

    def documents(self, *, now: datetime) -> list[LiveDocument]:
        """The hours changed since the last call, as documents.

        Hours before ``now``'s previous hour are forgotten once given.
        """
        with self._lock:
            changed = [
                LiveDocument(start, hour.name, self._document(start, hour))
                for start, hour in self._hours.items()
                if hour.changed
            ]
            for hour in self._hours.values():
                hour.changed = False
            oldest = start_of_hour(now) - timedelta(hours=1)
            given = {document.hour for document in changed}
            for start in [h for h in self._hours if h < oldest and h not in given]:
                del self._hours[start]
        return changed

    def mark_unwritten(self, document: LiveDocument) -> None:
        """A document could not be written: give its hour again next time."""
        with self._lock:
            hour = self._hours.get(document.hour)
            if hour is not None and hour.name == document.name:
                hour.changed = True

    def _document(self, start: datetime, hour: _Hour) -> bytes:
        return orjson.dumps(
            {
                "format": FORMAT,
                "writer": self.writer,
                "hour": start.isoformat(),
                "columns": list(self.bias.columns),
                "skipped": hour.skipped,
                "minutes": {
                    minute.isoformat(): [[list(key), count] for key, count in counts.items()]
                    for minute, counts in sorted(hour.minutes.items())
                },
            }
        )
