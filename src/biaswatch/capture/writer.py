"""``CaptureWriter``: SageMaker-format capture files from any Python serving stack.

:meth:`CaptureWriter.capture` only samples, builds the JSON line and appends it to an in-memory
buffer under a lock; a daemon thread writes the buffer every ``flush_interval`` seconds, and as
soon as it holds more than ``max_buffer_bytes``.

Lines are buffered per UTC hour of their ``inferenceTime`` and written to
``<destination>/<endpoint>/<variant>/yyyy/mm/dd/hh/<MM-SS-mmm>-<uuid>.jsonl``. SageMaker appends
to one file per hour and host; object stores cannot append, so each flush of an hour writes a
*new* file named after the earliest record in it, once, atomically, with whole lines only.

A file that cannot be written keeps its name and bytes and is retried by the next flush: a write
reported as failed that did store the object is repeated identically instead of duplicating
records. :meth:`~CaptureWriter.flush` logs and raises :class:`~biaswatch.errors.StorageError`;
the daemon thread logs and goes on. Nothing is dropped: while the destination is down the buffer
grows.

Choices where SageMaker is silent or differs:

* With ``capture_options=["REQUEST"]`` (or only ``RESPONSE``) the side not captured is written
  with its ``observedContentType``, ``mode`` and ``encoding`` but empty ``data``. No public
  source shows SageMaker's input-only records (it probably leaves the key out); an empty side
  keeps every line readable by :func:`~biaswatch.capture.endpoint.parse_capture_line`.
* A CSV or JSON payload that is not valid UTF-8 is captured as ``BASE64``.
* ``inferenceTime`` is the writer's clock when ``capture`` is called, unless given; the
  middlewares call it once the response is complete.
* An ``atexit`` hook writes what is buffered when the interpreter exits (not when it is killed).
  Create writers after a server forks its workers: threads do not survive ``fork``.

With ``live`` (a :class:`~biaswatch.capture.live.LiveBias`), each flush also counts the records
it writes by minute, facet value and prediction, and writes this writer's counts of each hour
beside the capture (:mod:`biaswatch.capture.live`): what live DPPL and DI are computed from.
"""

from __future__ import annotations

import atexit
import base64
import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from random import Random
from types import TracebackType
from typing import Self

from biaswatch.capture.config import DataCaptureConfig
from biaswatch.capture.endpoint import (
    CaptureRecord,
    Encoding,
    Payload,
    capture_file_name,
    capture_folder,
)
from biaswatch.capture.live import LiveBias, LiveCounts, live_file
from biaswatch.capture.registry import check_endpoint_name, register_endpoint
from biaswatch.errors import ConfigError, StorageError
from biaswatch.storage import join, start_of_hour, write_bytes

__all__ = ["CaptureWriter"]

logger = logging.getLogger(__name__)


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class _Hour:
    """The lines of one UTC hour captured since the last flush."""

    first: datetime
    lines: list[bytes] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Part:
    """A file to write: its URI, its bytes (whole lines) and how many records it holds."""

    uri: str
    data: bytes
    records: int


def _payload(config: DataCaptureConfig, body: bytes, content_type: str, mode: str) -> Payload:
    encoding = config.encoding_for(content_type)
    if not (config.captures_request if mode == "INPUT" else config.captures_response):
        return Payload(content_type, mode, "", encoding)
    if encoding is not Encoding.BASE64:
        try:
            return Payload(content_type, mode, body.decode("utf-8"), encoding)
        except UnicodeDecodeError:
            pass  # not text after all: captured as BASE64, like any unlisted type
    return Payload(content_type, mode, base64.b64encode(body).decode("ascii"), Encoding.BASE64)


def _aware(moment: datetime, field: str) -> datetime:
    if moment.tzinfo is None:
        raise ConfigError(
            f"{field} must be an aware UTC datetime, got the naive {moment.isoformat()}",
            field=field,
            value=moment,
        )
    return moment.astimezone(UTC)


class CaptureWriter:
    """Capture an endpoint's invocations into SageMaker-format JSON Lines files.

    Parameters
    ----------
    config : DataCaptureConfig
        Whether to capture, how much, what and where to.
    endpoint_name : str
        The endpoint's name (SageMaker's rules); the first folder under the destination.
    variant_name : str, default "AllTraffic"
        The production variant; the second folder.
    clock : callable, optional
        Returns the current aware UTC time. Default ``datetime.now(UTC)``.
    max_buffer_bytes : int, default 1 MiB
        A flush starts (in the background) once the buffer holds more than this.
    flush_interval : float, default 5.0
        Seconds between background flushes.
    random : random.Random, optional
        The source of sampling decisions (seed it in tests).
    register : bool, default True
        Register the endpoint's capture location in the endpoint registry (when capture is
        enabled), so monitors can find it by name.
    live : LiveBias, optional
        Count the captured records' facet values and predictions per minute, for live DPPL and
        DI (:mod:`biaswatch.capture.live`).

    Raises
    ------
    ConfigError
        If a name or setting is invalid.

    Examples
    --------
    >>> config = DataCaptureConfig(enable_capture=True, sampling_percentage=100,
    ...                            destination_s3_uri="memory://doctest/capture")
    >>> with CaptureWriter(config, endpoint_name="churn", register=False) as writer:
    ...     writer.capture(request_body=b"1,2,3", request_content_type="text/csv",
    ...                    response_body=b"0.7", response_content_type="text/csv")
    True
    """

    def __init__(
        self,
        config: DataCaptureConfig,
        *,
        endpoint_name: str,
        variant_name: str = "AllTraffic",
        clock: Callable[[], datetime] | None = None,
        max_buffer_bytes: int = 1 << 20,
        flush_interval: float = 5.0,
        random: Random | None = None,
        register: bool = True,
        live: LiveBias | None = None,
    ) -> None:
        check_endpoint_name(endpoint_name)
        check_endpoint_name(variant_name, field="variant_name")
        for name, value, kind in (
            ("max_buffer_bytes", max_buffer_bytes, int),
            ("flush_interval", flush_interval, int | float),
        ):
            if isinstance(value, bool) or not isinstance(value, kind) or value <= 0:
                raise ConfigError(
                    f"{name} must be positive, got {value!r}", field=name, value=value
                )
        self.config = config
        self.endpoint_name = endpoint_name
        self.variant_name = variant_name
        self._folder = capture_folder(config.destination_s3_uri, endpoint_name, variant_name)
        self._clock = clock or _utc_now
        self._random = random or Random()
        self._max_buffer_bytes = max_buffer_bytes
        self._flush_interval = float(flush_interval)
        # _lock guards the fresh lines (_hours, _size, _closed): held only to append or swap.
        # _flush_lock serialises flushes and guards _pending, the parts not yet written.
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._hours: dict[datetime, _Hour] = {}
        self._size = 0
        self._pending: list[_Part] = []
        self._live = None if live is None else LiveCounts(live, uuid.uuid4().hex)
        self._live_records: list[CaptureRecord] = []
        self._closed = False
        self._warned_closed = False
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if not config.enable_capture:
            return
        if register:
            register_endpoint(endpoint_name, config.destination_s3_uri, variant=variant_name)
        self._thread = threading.Thread(
            target=self._run, name=f"biaswatch-capture-{endpoint_name}", daemon=True
        )
        self._thread.start()
        atexit.register(self._close_at_exit)

    @property
    def folder(self) -> str:
        """``<destination>/<endpoint>/<variant>``: where the hour folders are written."""
        return self._folder

    @property
    def buffered_records(self) -> int:
        """How many captured records are not written yet (including failed writes)."""
        with self._lock:
            fresh = sum(len(hour.lines) for hour in self._hours.values())
        return fresh + sum(part.records for part in list(self._pending))

    def capture(
        self,
        *,
        request_body: bytes,
        request_content_type: str,
        response_body: bytes,
        response_content_type: str,
        inference_id: str | None = None,
        event_id: str | None = None,
        custom_attributes: str | None = None,
        inference_time: datetime | None = None,
    ) -> bool:
        """Capture one invocation, if it is sampled.

        Parameters
        ----------
        request_body, response_body : bytes
            The raw request and response payloads.
        request_content_type, response_content_type : str
            Their ``Content-Type`` headers; they decide the encoding (``config.encoding_for``).
        inference_id : str, optional
            The caller's inference id (``eventMetadata.inferenceId``), the ground-truth key.
        event_id : str, optional
            ``eventMetadata.eventId``; a random UUID when not given.
        custom_attributes : str, optional
            ``eventMetadata.customAttributes``.
        inference_time : datetime, optional
            When the inference happened (aware); default the writer's clock.

        Returns
        -------
        bool
            Whether the invocation was sampled and buffered. ``False`` when capture is disabled,
            the invocation is not sampled, or the writer is closed.
        """
        if not self.config.enable_capture:
            return False
        if self._random.random() * 100 >= self.config.sampling_percentage:
            return False
        moment = (
            _aware(self._clock(), "clock")
            if inference_time is None
            else _aware(inference_time, "inference_time")
        )
        record = CaptureRecord(
            input=_payload(self.config, request_body, request_content_type, "INPUT"),
            output=_payload(self.config, response_body, response_content_type, "OUTPUT"),
            event_id=event_id or str(uuid.uuid4()),
            inference_time=moment,
            inference_id=inference_id,
            custom_attributes=custom_attributes,
        )
        line = record.to_line()
        hour = start_of_hour(moment)
        warn = full = False
        with self._lock:
            accepted = not self._closed
            if accepted:
                buffered = self._hours.get(hour)
                if buffered is None:
                    self._hours[hour] = _Hour(moment, [line])
                else:
                    buffered.lines.append(line)
                    buffered.first = min(buffered.first, moment)
                self._size += len(line)
                full = self._size > self._max_buffer_bytes
                if self._live is not None:
                    self._live_records.append(record)
            else:
                warn, self._warned_closed = not self._warned_closed, True
        if warn:
            logger.warning("capture writer for %s is closed; not capturing", self._folder)
        if full:
            self._wake.set()
        return accepted

    def flush(self) -> int:
        """Write every buffered line now: one new file per UTC hour buffered.

        Returns
        -------
        int
            How many records were written.

        Raises
        ------
        StorageError
            If a file could not be written. Its records stay buffered, for the next flush.
        """
        with self._flush_lock:
            with self._lock:
                hours, self._hours, self._size = self._hours, {}, 0
                live, self._live_records = self._live_records, []
            for hour in sorted(hours):
                buffered = hours[hour]
                name = capture_file_name(buffered.first)
                data = b"".join(buffered.lines)
                self._pending.append(_Part(join(self._folder, name), data, len(buffered.lines)))
            try:
                return self._write_pending()
            finally:
                self._write_live(live)

    def _write_live(self, records: list[CaptureRecord]) -> None:
        """Count ``records`` live and write this writer's changed hours.

        A failed write is logged, and tried again at the next flush.
        """
        if self._live is None:
            return
        for record in records:
            self._live.add(record)
        for document in self._live.documents(now=self._clock()):
            try:
                write_bytes(live_file(self._folder, document.hour, document.name), document.data)
            except StorageError as exc:
                logger.warning("live counts not written, kept for the next flush: %s", exc)
                self._live.mark_unwritten(document)

    def _write_pending(self) -> int:
        written, done = 0, 0
        failed: list[_Part] = []
        error: StorageError | None = None
        try:
            for part in self._pending:
                try:
                    write_bytes(part.uri, part.data)
                except StorageError as exc:
                    logger.warning("capture file not written, kept for a retry: %s", exc)
                    failed.append(part)
                    error = exc
                else:
                    written += part.records
                done += 1
        finally:
            # Whatever happened, a part not written stays pending.
            self._pending = failed + self._pending[done:]
        if error is not None:
            kept = sum(part.records for part in failed)
            raise StorageError(
                f"{len(failed)} capture file(s) not written ({kept} records kept for the next "
                f"flush): {error}"
            ) from error
        return written

    def close(self) -> None:
        """Stop capturing, stop the background thread and write what is buffered.

        Closing again retries what a failed final flush kept.

        Raises
        ------
        StorageError
            If the final flush fails (the records are logged as not written).
        """
        with self._lock:
            self._closed = True
        if self._thread is not None:
            self._stop.set()
            self._wake.set()
            self._thread.join()
            self._thread = None
            atexit.unregister(self._close_at_exit)
        self.flush()

    def _close_at_exit(self) -> None:
        try:
            self.close()
        except StorageError as exc:
            logger.error("captured records lost at exit: %s", exc)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self._flush_interval)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.flush()
            except StorageError:
                pass  # logged by flush; the records stay buffered for the next one
            except Exception:
                # This loop is a top-level boundary, like the scheduler's: if it died, nothing
                # would be written again. Unexpected errors (a cloud SDK's own exception types)
                # are logged and the next flush retries.
                logger.exception("capture flush failed; records kept for the next flush")

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
